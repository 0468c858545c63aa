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
// An IPv4 or IPv6 header failing OVS's sanity checks (against the frame's
// length on the wire) hashes as if it had no fields (dl_type alone), as
// miniflow_extract leaves them out.
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

// lib/hash.h's Murmur3 steps (hash_rot, mhash_add, mhash_finish): one round
// over a 32-bit word (a zero word leaves the hash before the rotation
// unchanged, as the standard round does too), and the final avalanche.
inline uint32_t hash_rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

inline uint32_t mhash_add(uint32_t h, uint32_t d) {
  if (d) {
    d *= 0xcc9e2d51u;
    d = hash_rotl(d, 15);
    d *= 0x1b873593u;
    h ^= d;
  }
  h = hash_rotl(h, 13);
  return h * 5 + 0xe6546b64u;
}

inline uint32_t mhash_finish(uint32_t h, uint32_t final) {
  h ^= final;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  h *= 0xc2b2ae35u;
  h ^= h >> 16;
  return h;
}

// miniflow_hash_5tuple(flow of `frame`, 0), as above. Reads only within
// `frame`; `wire` is the frame's length on the wire when it was captured short
// (0: its length), against which the IP lengths are checked.
uint32_t ovs_hash_5tuple(ByteView frame, size_t wire = 0);

}  // namespace vs
