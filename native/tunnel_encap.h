// Tunnel encapsulation (VXLAN, MPLSoUDP, MPLSoGRE, Ethernet over GRE) of packets in a batch:
// the outer header is a TunnelTemplate built once per tunnel in the slow
// path, copied into the packet's headroom (Batch::push_head, no payload copy)
// and patched per packet.
//
// Per packet the fast path writes: outer IPv4 total length, ID (IpIdPolicy),
// DF (DfPolicy), TTL (TtlPolicy), header checksum (RFC 1624 updates of the
// template's checksum); or IPv6 payload length and hop limit; UDP length,
// source port (udp_src_port of COL_HASH; a missing hash is computed with
// tunnel_flow_hash and written back to COL_HASH; with kTplSportOvsHash OVS's
// 5-tuple hash of the frame instead, tunnel_ovs_hash.h), UDP checksum (UdpCsumPolicy;
// a computed 0 is sent as 0xFFFF); MPLS label TTLs (TtlPolicy).
// An L3 payload (MPLS to an inet nexthop) first loses its Ethernet header and
// VLAN tags: the inner frame must hold IPv4 or IPv6.
//
// After encap the layer columns describe the new packet: L2 = 0, L2_5 the
// first label (or kAbsent), L3/L4 the outer IP and UDP/GRE headers, TNL the
// VXLAN header / first MPLSoUDP label / GRE header, INNER_L2 the inner frame
// (kAbsent for an L3 payload), INNER_L3/INNER_L4 the inner IP and L4 headers
// when tunnel_inspect_inner found them. FLAG_TUNNEL is set, FLAG_VLAN and
// FLAG_MPLS follow the outer header, FLAG_PARSED is cleared: the flow key still
// describes the inner packet, re-parse before matching on outer fields.
// CSUM_START of a NEEDS_CSUM packet moves with the inner headers.
//
// Does not: fragment (VTEPs must not), segment GSO packets, write a GRE
// checksum or sequence number, complete inner partial checksums (do that
// first when the outer UDP checksum is computed), or parse beyond
// tunnel_inspect_inner.
#pragma once
#include <cstdint>

#include "batch.h"
#include "drop_reason.h"
#include "tunnel_types.h"

namespace vs {

// The column pointers of one batch, read once for encapsulating many of its
// packets (tunnel_encap_packet reads them per call). Valid while the batch's
// buffer is; encap() is tunnel_encap_packet.
class TunnelEncapBatch {
 public:
  explicit TunnelEncapBatch(const Batch& batch);
  DropReason encap(uint32_t i, const TunnelTemplate& t, TunnelState& state, uint16_t* global_id = nullptr) const;
  // Batch::packet_valid and Batch::headroom from the columns at hand.
  bool valid(uint32_t i) const {
    return i < count && slot_start[i] <= off[i] && uint64_t(off[i]) + len[i] <= slot_end[i] && slot_end[i] <= data_size;
  }
  uint32_t headroom(uint32_t i) const { return valid(i) ? off[i] - slot_start[i] : 0; }

 private:
  uint8_t* data;
  uint32_t data_size, count;
  uint32_t *off, *len, *wire, *slot_start, *slot_end, *hash, *flags;
  uint16_t *l2, *l2_5, *l3, *l4, *tnl, *il2, *il3, *il4, *csum_start;
};

// Encapsulates packet i. Returns DropReason::NONE, or the reason the packet
// cannot be encapsulated (left unchanged; the caller marks the drop):
// HEAD_SPACE_RESERVE_FAIL, TUNNEL_TOO_BIG, TUNNEL_PAYLOAD_NOT_IP,
// TRUNCATED_ETHERNET / TRUNCATED_VLAN (inner frame cut short),
// TRUNCATED_CAPTURE (a computed UDP checksum needs bytes the capture lacks).
// `global_id` is the counter of IpIdPolicy::GLOBAL templates (null: the
// tunnel's own state.ip_id stands in).
DropReason tunnel_encap_packet(Batch& batch, uint32_t i, const TunnelTemplate& t, TunnelState& state,
                               uint16_t* global_id = nullptr);

// Encapsulates the live packets of the batch: with `select` null every live
// packet with templates[0]; else packet i with templates[select[i]], skipping
// packets whose select value is >= n_templates (e.g. 0xFFFF). states has
// n_templates entries; `global_id` the counter shared by GLOBAL-ID templates
// (null: each tunnel's own). Drops are marked in COL_DROP. Returns the number
// of packets encapsulated.
uint32_t tunnel_encap_batch(Batch& batch, const TunnelTemplate* templates, TunnelState* states,
                            uint32_t n_templates, const uint16_t* select, uint16_t* global_id = nullptr);

// The roofline of encapsulation for benchmarks: copies `hdr_len` bytes into
// every packet's headroom (push_head + memcpy) and nothing else. Returns the
// number of packets grown.
uint32_t tunnel_roofline_batch(Batch& batch, const uint8_t* hdr, uint32_t hdr_len);

}  // namespace vs
