// ICMP errors for packets too big for the next hop: IPv4 "fragmentation
// needed" (RFC 792 / RFC 1191: type 3 code 4, next-hop MTU in the second
// 16-bit word of the rest-of-header) and ICMPv6 Packet Too Big (RFC 4443:
// type 2 code 0, 32-bit MTU, never below 1280), built the way Linux
// icmp_send / icmp6_send build them:
//
//   IPv4: Eth(dst = offender's source MAC, src = opt.src_mac, the
//         offender's VLAN tags (up to two 802.1Q/802.1ad/0x9100), 0x0800)
//         IP(TOS opt.tos (Linux 0xc0), ID opt.ip_id, DF per opt.df, TTL
//         opt.ttl, proto 1, src opt.src_ip, dst = offender's source)
//         ICMP(3, 4, checksum, 0, mtu) + the offending IP packet from its IP
//         header on, cut so the error's IP length <= opt.max_len (576).
//   IPv6: Eth(..., 0x86dd) IPv6(tclass 0, flow label opt.flow_label, next
//         header 58, hop limit opt.ttl, src opt.src_ip, dst = offender's
//         source) ICMPv6(2, 0, checksum, mtu) + quote, total <= opt.max_len
//         (1280).
// The error is appended to out with L2/L3/L4 set (L3 after the tags) and NEXT = the offender's
// IN_PORT (it goes back where the packet came from).
//
// Does not: rate-limit, decide whether to answer (never for ICMP errors or
// non-first fragments; use icmp_error_allowed), or quote the offender's L2
// header (the quote starts at its IP header, as RFC 792 says).
#pragma once
#include <cstdint>

#include "batch.h"
#include "drop_reason.h"
#include "status.h"

namespace vs {

struct IcmpErrorOptions {
  uint8_t src_mac[6] = {0};
  uint8_t src_ip[16] = {0};  // IPv4 in the first 4 bytes
  uint8_t ttl = 64;
  uint8_t tos = 0xc0;  // IPv4 only (Linux: IPTOS_PREC_INTERNETCONTROL)
  bool df = false;     // IPv4 only
  uint16_t ip_id = 0;  // IPv4 only (Linux: random)
  uint32_t flow_label = 0;  // IPv6 only (Linux: a flow hash unless auto_flowlabels=0)
  uint32_t max_len = 0;     // 0 = 576 (IPv4) / 1280 (IPv6)
};

// False when RFC 1122 / RFC 4443 forbid an error about packet i: it is an
// ICMP error itself, a non-first IPv4 fragment, or its source is not unicast.
bool icmp_error_allowed(const Batch& in, uint32_t i);

// Appends the error about packet i (IPv4 at COL_L3). BAD_ARGUMENT when i has
// no IPv4/IPv6 header; OUTPUT_FULL when out has no room.
Status icmp_frag_needed(const Batch& in, uint32_t i, uint16_t next_hop_mtu, const IcmpErrorOptions& opt,
                        Batch& out);
Status icmpv6_packet_too_big(const Batch& in, uint32_t i, uint32_t mtu, const IcmpErrorOptions& opt, Batch& out);

}  // namespace vs
