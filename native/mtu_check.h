// The MTU check of an output port: does packet i fit, and if not, what
// happens to it (fragment, or drop + ICMP error per profile).
//
// Sizes: `ip_mtu` limits the outer IP packet (IPv4 total length or 40 +
// IPv6 payload length); `frame_limit` (0 = none) limits the whole frame as
// a port configured by frame size does (1518 / 1522 with a VLAN tag). A GSO
// packet (GSO_TYPE set) is judged by its largest segment, as Linux
// skb_gso_validate_network_len does.
#pragma once
#include <cstdint>

#include "batch.h"

namespace vs {

enum class MtuVerdict : uint8_t {
  FITS = 0,
  FRAGMENT = 1,    // IPv4 without DF: fragment (ipv4_frag.h)
  TOO_BIG_DF = 2,  // IPv4 with DF: drop, ICMP type 3 code 4 per profile
  TOO_BIG_V6 = 3,  // IPv6: drop, ICMPv6 Packet Too Big per profile
  NOT_IP = 4,      // too big and not IP (or headers not parsed): drop
};

// The verdict for packet i. `*ip_len` receives the (largest segment's) IP
// length used for the decision (0 for non-IP).
MtuVerdict mtu_check(const Batch& b, uint32_t i, uint32_t ip_mtu, uint32_t frame_limit, uint32_t* ip_len);

}  // namespace vs
