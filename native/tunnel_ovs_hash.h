// Open vSwitch's packet hash for tunnel UDP source ports: what dpif-netdev
// stores as the packet's RSS hash when the NIC gives none
// (dpif_netdev_packet_get_rss_hash_orig_pkt -> miniflow_hash_5tuple(mf, 0),
// lib/flow.c, OVS 3.1, generic build: the Murmur3 variant of lib/hash.h) and
// netdev_tnl_get_src_port maps onto tnl/egress_port_range.
//
//   IPv4 / ARP: h = add(add(0, nw_src), nw_dst)     (ARP: SPA, TPA)
//   IPv6:       h = add64 of the four 64-bit words of ipv6_src, ipv6_dst
//   then        h = add(h, nw_proto)                (ARP: opcode when <= 0xff)
//   TCP, UDP, SCTP, ICMP, ICMPv6: h = add(h, tp_src | tp_dst << 16)
//   result      hash_finish(h, 42); other EtherTypes: hash_finish(0, 42)
// Addresses and the port pair are read as little-endian words of their wire
// bytes (x86 memory order); ICMP's "ports" are type and code.
//
// Does not: follow IPv6 extension headers other than hop-by-hop, routing,
// destination options and fragment; check IP header checksums (OVS does
// not either); know the hash the packet had when it entered the datapath
// (the caller hashes the frame as it is at tnl_push, which differs from OVS
// only when the flow rewrote addresses or ports before the push).
#pragma once
#include <cstdint>

#include "bytes.h"

namespace vs {

// miniflow_hash_5tuple(flow of `frame`, 0), as above. Reads only within `frame`.
uint32_t ovs_hash_5tuple(ByteView frame);

}  // namespace vs
