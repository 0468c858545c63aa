// Tunnel decapsulation (VXLAN, MPLSoUDP, MPLSoGRE, Ethernet over GRE) of packets in a batch:
// validate the outer headers against a TunnelReceiver, strip them in place
// (Batch::pull_head, Ethernet padding after the outer IP packet trimmed) and
// leave the inner Ethernet frame plus TunnelMeta.
//
// Checks, each a named drop: outer Ethernet/VLAN/IP/UDP/GRE cut short or with
// inconsistent lengths (parser reasons), outer IP fragment, not a tunnel the
// receiver terminates, outer UDP checksum wrong when non-zero (a zero one is
// accepted over IPv4, over IPv6 only with kRxZeroCsumIpv6; with FLAG_DATA_VALID
// it is not checked), VXLAN without the I flag or with an unknown VNI (other
// reserved bits are ignored, RFC 7348), GRE version not 0, GRE flags outside
// the accepted set, GRE protocol not 0x8847 (MPLSoGRE) or 0x6558 (Ethernet over
// GRE, kRxGre), wrong GRE checksum, MPLS stack cut
// short or deeper than kTunnelDecapMaxLabels, bottom label unknown, payload
// not matching the label entry (IP version nibble, control word), inner VLAN
// tag when kRxDiscardInnerVlan.
//
// The MPLS payload kind comes from the label table entry of the bottom-of-
// stack label (labels above it are transport labels, recorded in TunnelMeta),
// never from guessing. An IP payload gets the entry's Ethernet header.
//
// After decap: TunnelMeta filled; COL_TUN_ID = VNI, GRE key (Ethernet over GRE) or bottom label; FlowKey
// tun_id / tun_src / tun_dst / tun_flags set (the parser must keep them);
// L2 = 0 and every other layer column kAbsent, FLAG_PARSED and the outer-
// header flags cleared: re-parse the inner frame. A NEEDS_CSUM offset inside
// the removed headers is cleared.
//
// Does not: reassemble outer fragments (do it first), follow IPv6 extension
// headers in the outer packet, check that the outer destination is local, or
// decap GRE payloads other than MPLS and Ethernet.
#pragma once
#include <cstdint>

#include "batch.h"
#include "drop_reason.h"
#include "tunnel_receiver.h"
#include "tunnel_types.h"

namespace vs {

// Decapsulates packet i; `meta` (may be null) receives the outer facts.
// Returns DropReason::NONE or the reason (the packet is left unchanged and
// meta->type is NONE; the caller marks the drop).
DropReason tunnel_decap_packet(Batch& batch, uint32_t i, const TunnelReceiver& rx, TunnelMeta* meta);

// Decapsulates every live packet; metas (null, or count() entries) receive
// each packet's metadata (type NONE for dropped/skipped packets). Drops are
// marked in COL_DROP. Returns the number of packets decapsulated.
uint32_t tunnel_decap_batch(Batch& batch, const TunnelReceiver& rx, TunnelMeta* metas);

}  // namespace vs
