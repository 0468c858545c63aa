// IPv4 (RFC 791 / RFC 815) and IPv6 (RFC 8200 section 4.5) reassembly of
// fragments arriving on a modelled host or tunnel endpoint, before
// decapsulation (fragmented VXLAN: the Open vSwitch on Windows case) or local
// delivery.
//
// IPv4 datagrams are keyed by (source, destination, protocol, ID); IPv6 ones
// by (source, destination, 32-bit identification). Rules (Linux
// ip_fragment.c / reassembly.c since 4.19 where it matters), both families:
//   - a fragment that overlaps data already held drops the whole datagram
//     (REASM_OVERLAP, counted once per fragment held plus the new one;
//     RFC 5722 for IPv6). As Linux, later fragments of that datagram start a
//     new one (RFC 5722's "not yet received" fragments are not remembered);
//   - an exact duplicate (same offset and end) is dropped alone (REASM_DUPLICATE);
//   - a non-last fragment whose data length is not a multiple of 8, or data
//     beyond 65535 bytes of IP packet (IPv6: of payload length):
//     REASM_BAD_FRAGMENT;
//   - a new datagram when `max_datagrams` are in flight: REASM_TOO_MANY_DATAGRAMS;
//     a fragment that would take the held bytes over `max_bytes`:
//     REASM_TOO_MANY_BYTES. One table and one byte count serve both families
//     (Linux keeps two pools with the same defaults);
//   - expire() drops datagrams older than their family's timeout since their
//     first fragment (`timeout_ns`, Linux 30 s, IPv4; `timeout6_ns`, Linux
//     60 s, IPv6) (REASM_TIMEOUT per fragment held).
// IPv6 only:
//   - the fragment header is found after the unfragmentable part (hop-by-hop,
//     routing, destination options, in any order before it); a fragment whose
//     extension chain is truncated before it: TRUNCATED_IPV6_EXTENSION;
//   - an atomic fragment (offset 0, M 0) is processed alone (RFC 6946): it is
//     emitted at once with its fragment header removed, whatever is held for
//     the same identification;
//   - a first fragment (offset 0, M 1) that does not hold the whole header
//     chain up to and including the upper-layer header is dropped
//     (REASM_INCOMPLETE_CHAIN; RFC 7112 allows it, RFC 8200 requires the chain
//     in the first fragment, and Linux drops it: ipv6_frag_thdr_truncated,
//     8 bytes of UDP / ICMPv6, 20 of TCP, 1 of anything else);
//   - a fragment with payload length 0 (a jumbogram, RFC 2675 forbids a
//     fragment header there): REASM_BAD_FRAGMENT.
// A completed IPv4 datagram is appended to the output batch: the L2 header and
// IP header (with options) of the offset-0 fragment, total length and checksum
// rewritten, MF and offset cleared (DF kept), then the data. A completed IPv6
// datagram: the L2 header, IPv6 header and unfragmentable extension headers of
// the offset-0 fragment, the fragment header removed, the Next Header that
// pointed at it set from the offset-0 fragment's fragment header, payload
// length rewritten, then the data. Columns: L2, L3 as in that fragment, L4
// after the IP header (IPv6: after the unfragmentable part), IN_PORT/HASH/TUN_ID
// of the last fragment, FLAG_PARSED and FLAG_IP_FRAGMENT cleared: re-parse it.
// Non-fragments pass through as copies.
//
// Does not: send ICMP time exceeded on timeout or parameter problem on a bad
// fragment; check the IPv6 link-local scope (interface) in the key.
// State is per instance: one per modelled host, no globals.
#pragma once
#include <array>
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
  uint64_t timeout_ns = 30000000000ull;   // IPv4 (Linux ipfrag_time 30 s)
  uint64_t timeout6_ns = 60000000000ull;  // IPv6 (Linux ip6frag_time 60 s)
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

  // Feeds packet i of in (parsed: COL_L3 at the IPv4 or IPv6 header) at time now_ns.
  // OUTPUT_FULL when out has no room for the completed datagram (the
  // datagram is then dropped from the table, and res->drop is NONE).
  Status feed(const Batch& in, uint32_t i, uint64_t now_ns, Batch& out, ReasmResult* res);

  // Drops every datagram whose first fragment arrived at or before
  // now_ns - timeout (its family's); appends what was dropped to *expired (may be null).
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
    bool v6 = false;
    uint32_t nh_at = 0;   // IPv6: offset in head of the Next Header byte that named the fragment header
    uint8_t nh = 0;       // IPv6: Next Header of the offset-0 fragment's fragment header
    std::vector<uint8_t> data;
    std::vector<Range> ranges;  // sorted, non-overlapping
    uint32_t total = 0;         // known when the last fragment arrived, else 0
    bool have_last = false;
    uint32_t held_bytes = 0;
  };
  // (family 4 or 6, source, destination, IPv4 protocol or 0, identification);
  // IPv4 addresses use the first 4 bytes.
  using Addr = std::array<uint8_t, 16>;
  using Key = std::tuple<uint8_t, Addr, Addr, uint8_t, uint32_t>;
  using Iter = std::map<Key, Datagram>::iterator;
  enum class Step { HELD, DROPPED };
  void drop(Iter it);
  Status pass_through(const Batch& in, uint32_t i, Batch& out, ReasmResult* res);
  // Finds or creates the datagram for key (limits checked); null when dropped.
  Datagram* lookup(const Key& key, uint32_t dlen, uint64_t now_ns, ReasmResult* res, Iter* it);
  // Adds [start, end) of data to the datagram: HELD (res->held set) or DROPPED (res says why).
  Step insert(Iter it, uint32_t start, uint32_t end, bool mf, const uint8_t* data, ReasmResult* res);
  static bool complete(const Datagram& d);  // head known, last known, no holes
  Status emit(const Batch& in, uint32_t i, const std::vector<uint8_t>& whole, uint32_t l3, uint32_t l4, Batch& out,
              ReasmResult* res);
  Status feed6(const Batch& in, uint32_t i, uint64_t now_ns, Batch& out, ReasmResult* res);

  ReasmLimits lim_;
  std::map<Key, Datagram> table_;
  uint64_t bytes_ = 0;
};

}  // namespace vs
