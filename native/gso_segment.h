// Software GSO: one super-packet of an input batch becomes its segments,
// appended to an output batch (batch in, batch out).
//
// The input packet must be parsed (parse_batch): its layer columns locate the
// headers. A plain packet uses L3/L4; a tunnelled one (FLAG_TUNNEL with
// INNER_L3/INNER_L4: VXLAN, MPLSoUDP, MPLSoGRE) is segmented on its inner
// TCP/UDP and every segment gets a copy of the outer headers, with per
// segment outer IP length, outer IPv4 ID (id0 + k), outer IPv4 header
// checksum, outer UDP length and outer UDP checksum (only when the super-
// packet's is non-zero; then computed over the segment).
//
// What the segment type does (COL_GSO_TYPE, virtio values):
//   TCPV4/TCPV6 (gso_tcp.cc): seq0 + k*mss; FIN and PSH on the last segment
//     only; CWR on the first only (GsoProfile::LINUX) or on all (OVS, DPDK);
//     IPv4 ID id0 + k unless fixed_id (kept only with DF); IP lengths per
//     segment; TCP checksum valid (a computed 0 stays 0x0000, as Linux GSO).
//   UDP_L4 (gso_udp.cc, USO): each segment its own datagram with UDP length
//     and checksum (0 sent as 0xFFFF), IPv4 ID id0 + k; > 128 segments drops.
//   UDP (ufo.cc, UFO): the UDP checksum over the whole datagram, then IPv4
//     fragments of gso_size & ~7 data bytes (same ID, MF, offsets), UDP header
//     only in the first. IPv4 only.
// With partial_csum (a NIC with NETIF_F_HW_CSUM completes it) the innermost
// TCP/UDP checksum is left partial (pseudo-header sum of the segment length,
// FLAG_NEEDS_CSUM, CSUM_START/OFFSET set); IP header checksums are always
// written. Output packets copy the input's columns (layer offsets, flags, in
// port, hash, tunnel id, next, timestamps, flow key) with GSO_TYPE/SIZE 0.
//
// IPv6 hop-by-hop, routing and destination-options headers between IPv6 and
// TCP/UDP are copied into every segment (payload length per segment); a
// fragment header there refuses the packet. A GRE outer header with the C bit
// gets its RFC 2784 checksum recomputed per segment (then the inner checksum
// is always completed, never left partial).
//
// Does not: parse, check the MTU, change TTLs, use a routing header's final
// destination in the pseudo-header, IPv4 options in a UFO datagram other than
// as Linux copies them, GRE sequence numbers, or segment ECN-flagged
// (gso_type | 0x80) TCP differently (the flag is ignored, CWR rules apply).
#pragma once
#include <cstdint>

#include "batch.h"
#include "drop_reason.h"
#include "status.h"

namespace vs {

enum class GsoProfile : uint8_t {
  LINUX = 0,  // CWR on the first segment only
  OVS = 1,    // CWR kept on every segment (OVS userspace, DPDK)
};

struct GsoOptions {
  GsoProfile profile = GsoProfile::LINUX;
  bool partial_csum = false;  // leave the innermost L4 checksum to a HW_CSUM NIC
  bool fixed_id = false;      // IPv4 ID not incremented (honoured only with DF)
  uint16_t gso_size = 0;      // override of COL_GSO_SIZE when non-zero (vRouter shrink)
};

constexpr uint32_t kUsoMaxSegments = 128;

// Result of segmenting one packet.
struct GsoResult {
  DropReason drop = DropReason::NONE;  // why the input cannot be segmented
  uint32_t segments = 0;               // packets appended to out
};

// Segments input packet i into out. When the packet needs no segmentation
// (gso_type NONE, or payload <= gso_size) it is copied as one packet (its
// NEEDS_CSUM state kept). Returns OUTPUT_FULL when out has no room (out is
// then left as it was before the call), OK otherwise; res.drop names a
// packet the segmenter refuses (nothing appended).
Status gso_packet(const Batch& in, uint32_t i, Batch& out, const GsoOptions& opt, GsoResult* res);

// Segments every live packet of in into out, in order. A refused packet is
// marked dropped in `in` and not copied. Stops with OUTPUT_FULL at the first
// packet that does not fit (*consumed = packets of in fully handled).
Status gso_batch(const Batch& in, Batch& out, const GsoOptions& opt, uint32_t* consumed);

// Per-type entry points (gso_packet chooses among them).
Status gso_tcp(const Batch& in, uint32_t i, Batch& out, const GsoOptions& opt, GsoResult* res);
Status gso_udp(const Batch& in, uint32_t i, Batch& out, const GsoOptions& opt, GsoResult* res);
Status ufo_fragment(const Batch& in, uint32_t i, Batch& out, const GsoOptions& opt, GsoResult* res);

}  // namespace vs
