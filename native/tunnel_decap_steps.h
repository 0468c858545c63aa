// Internal to the decap files: the per-protocol steps tunnel_decap.cc chains.
// Each step reads with bounds checks and returns NONE or a drop reason.
#pragma once
#include <cstddef>
#include <cstdint>

#include "bytes.h"
#include "drop_reason.h"
#include "tunnel_receiver.h"
#include "tunnel_types.h"

namespace vs {

// Where the inner payload starts and what it is, once the outer headers check out.
struct DecapResult {
  size_t inner_off = 0;           // first byte of the payload (frame-relative)
  bool ip_payload = false;        // MPLS label to an IP nexthop: synthesize Ethernet
  const uint8_t* macs = nullptr;  // 12 bytes of that Ethernet header
};

// `pkt` spans the captured bytes up to the end of the outer IP packet;
// `wire_short` says the capture stopped before that end (checks needing
// missing bytes report TRUNCATED_CAPTURE).

// VXLAN header at `off` (right after UDP), payload to the end of `pkt`.
DropReason vxlan_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx,
                            TunnelMeta* meta, DecapResult* res);
// The GRE header at `off` (RFC 2784/2890): version 0, flag bits within
// rx.gre_accept, protocol type `proto`, checksum verified when present, key
// recorded in `meta`. Sets *len to the header length (4 + checksum, key,
// sequence words).
DropReason gre_header_check(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx, TunnelMeta* meta,
                            uint16_t proto, size_t* len);
// GRE header at `off` with protocol 0x6558: the inner Ethernet frame follows (OVS gre port).
DropReason gre_eth_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx, TunnelMeta* meta,
                              DecapResult* res);
// GRE header at `off`; continues into the MPLS label stack.
DropReason mplsogre_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx,
                               TunnelMeta* meta, DecapResult* res);
// MPLS label stack at `off` (after UDP or GRE), then the payload per label entry.
DropReason mpls_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx, TunnelMeta* meta,
                           DecapResult* res);
// The inner Ethernet frame at `off`: long enough, VLAN policy.
DropReason inner_ethernet_check(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx);

// A header of `len` bytes at `off` is missing: the capture's fault or the packet's.
inline DropReason missing(bool wire_short, DropReason packet_reason) {
  return wire_short ? DropReason::TRUNCATED_CAPTURE : packet_reason;
}

}  // namespace vs
