// IPv4 reassembly (RFC 791 / RFC 815) of fragments arriving on a modelled
// host or tunnel endpoint, before decapsulation (fragmented VXLAN: the Open
// vSwitch on Windows case) or local delivery.
//
// Datagrams are keyed by (source, destination, protocol, ID). Rules (Linux
// ip_fragment.c since 4.19 where it matters):
//   - a fragment that overlaps data already held drops the whole datagram
//     (REASM_OVERLAP, counted once per fragment held plus the new one);
//   - an exact duplicate (same offset and end) is dropped alone (REASM_DUPLICATE);
//   - a non-last fragment whose data length is not a multiple of 8, or data
//     beyond 65535 bytes of IP packet: REASM_BAD_FRAGMENT;
//   - a new datagram when `max_datagrams` are in flight: REASM_TOO_MANY_DATAGRAMS;
//     a fragment that would take the held bytes over `max_bytes`: REASM_TOO_MANY_BYTES;
//   - expire() drops datagrams older than `timeout_ns` (Linux 30 s) since their
//     first fragment (REASM_TIMEOUT per fragment held).
// A completed datagram is appended to the output batch: the L2 header and IP
// header (with options) of the offset-0 fragment, total length and checksum
// rewritten, MF and offset cleared (DF kept), then the data. Its columns: L2,
// L3 as in that fragment, L4 after the IP header, IN_PORT/HASH/TUN_ID of the
// last fragment, FLAG_PARSED and FLAG_IP_FRAGMENT cleared: re-parse it.
// Non-fragments pass through as copies.
//
// Does not: reassemble IPv6 (not yet), or send ICMP time exceeded on timeout.
// State is per instance: one per modelled host, no globals.
#pragma once
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "batch.h"
#include "drop_reason.h"
#include "status.h"

namespace vs {

struct ReasmLimits {
  uint32_t max_datagrams = 1024;
  uint32_t max_bytes = 4u << 20;  // Linux ipfrag_high_thresh default
  uint64_t timeout_ns = 30000000000ull;
};

struct ReasmResult {
  DropReason drop = DropReason::NONE;  // this fragment (and its datagram for OVERLAP) dropped
  uint32_t dropped_fragments = 0;      // fragments dropped by this call (held ones included)
  bool held = false;                   // fragment kept, datagram incomplete
  bool emitted = false;                // a packet was appended to out
};

// One expired (timed out) datagram.
struct ReasmExpired {
  uint32_t fragments;
  uint32_t bytes;
};

class Reassembler {
 public:
  explicit Reassembler(ReasmLimits limits = ReasmLimits()) : lim_(limits) {}

  // Feeds packet i of in (parsed: COL_L3 at IPv4) at time now_ns.
  // OUTPUT_FULL when out has no room for the completed datagram (the
  // datagram is then dropped from the table, and res->drop is NONE).
  Status feed(const Batch& in, uint32_t i, uint64_t now_ns, Batch& out, ReasmResult* res);

  // Drops every datagram whose first fragment arrived at or before
  // now_ns - timeout_ns; appends what was dropped to *expired (may be null).
  uint32_t expire(uint64_t now_ns, std::vector<ReasmExpired>* expired);

  uint32_t datagrams() const { return uint32_t(table_.size()); }
  uint64_t bytes() const { return bytes_; }

 private:
  struct Range {
    uint32_t start, end;
  };
  struct Datagram {
    uint64_t first_ns = 0;
    std::vector<uint8_t> head;  // L2 + IP header of the offset-0 fragment
    uint32_t l3 = 0;
    std::vector<uint8_t> data;
    std::vector<Range> ranges;  // sorted, non-overlapping
    uint32_t total = 0;         // known when the last fragment arrived, else 0
    bool have_last = false;
    uint32_t held_bytes = 0;
  };
  using Key = std::tuple<uint32_t, uint32_t, uint8_t, uint16_t>;
  void drop(std::map<Key, Datagram>::iterator it);

  ReasmLimits lim_;
  std::map<Key, Datagram> table_;
  uint64_t bytes_ = 0;
};

}  // namespace vs
