// Shared slicing for GSO and fragmentation (internal to gso_*.cc, ufo.cc and
// ipv4_frag.cc): locating the header chain of a parsed super-packet, emitting
// one segment (headers + a payload slice) into an output batch, and the small
// per-segment header updates.
#pragma once
#include <cstdint>

#include "batch.h"
#include "csum_complete.h"
#include "drop_reason.h"
#include "status.h"

namespace vs {

// The headers of one packet, innermost L3/L4 first; outer fields only for a
// tunnelled packet. Offsets are from the packet start.
struct GsoChain {
  uint32_t l3 = 0, l4 = 0;
  bool v6 = false;
  uint8_t proto = 0;     // innermost L4 protocol (6 TCP, 17 UDP)
  uint32_t hdr_len = 0;  // bytes copied in front of every segment
  uint32_t payload = 0;  // bytes after hdr_len (from the IP length, padding excluded)
  bool tunnel = false;
  uint32_t o_l3 = 0;
  bool o_v6 = false;
  uint32_t o_udp = kAbsent;  // outer UDP header (VXLAN, MPLSoUDP), kAbsent for GRE
  bool o_udp_csum = false;   // outer UDP checksum is computed per segment
  uint32_t o_gre = kAbsent;  // outer GRE header (MPLSoGRE, Ethernet over GRE)
  bool o_gre_csum = false;   // GRE C bit: RFC 2784 checksum computed per segment
};

// Fills chain for packet i from its layer columns. hdr_len covers the
// innermost L4 header when `through_l4`, else stops at the innermost L4 start
// (UFO / fragmentation slice the IP payload). want_proto 0 accepts TCP or UDP.
DropReason gso_chain_find(const Batch& in, uint32_t i, uint8_t want_proto, bool through_l4, GsoChain* c);

// Out-batch state to restore when a multi-packet operation fails midway.
struct OutMark {
  uint32_t count, data_used;
};
inline OutMark out_mark(const Batch& out) { return {out.header().count, out.header().data_used}; }
inline void out_restore(const Batch& out, OutMark m) {
  out.header().count = m.count;
  out.header().data_used = m.data_used;
}

// Appends headers [0, hdr_len) of `in` packet i followed by its bytes
// [hdr_len + poff, + plen) and copies the columns (see gso_segment.h).
// OUTPUT_FULL when out has no room.
Status slice_emit(const Batch& in, uint32_t i, uint32_t hdr_len, uint32_t poff, uint32_t plen, Batch& out,
                  uint32_t* j);

// Rewrites an IP header for a new length (bytes from l3 to the end of the
// datagram) and, for IPv4, the ID and the header checksum.
void fix_ipv4(uint8_t* ip, uint32_t total_len, uint16_t id);
void fix_ipv6(uint8_t* ip, uint32_t total_len);

// Writes the innermost L4 checksum of segment j: full (zero per `zero`) or
// partial (pseudo-header sum, NEEDS_CSUM, CSUM_START/OFFSET set).
void seg_l4_csum(const Batch& out, uint32_t j, const GsoChain& c, bool partial, ZeroFold zero);

// Per segment outer headers: IP length, IPv4 ID id0 + k and checksum, UDP
// length and (when enabled) UDP checksum, GRE checksum (when the C bit is
// set: over the GRE header and everything after it, RFC 2784). Call after the
// inner checksum.
void seg_fix_outer(const Batch& out, uint32_t j, const GsoChain& c, uint16_t o_id);

}  // namespace vs
