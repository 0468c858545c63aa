// What encap needs to know about the frame it wraps, found with bounded
// reads: Ethernet, up to two VLAN tags, the IP header fields the outer header
// may inherit (TTL, DF, ID) and the L4 ports for the flow hash. Not a parser:
// it does not validate beyond what it reads and never follows IPv6 extension
// headers (the L4 offset is then absent).
#pragma once
#include <cstdint>

#include "bytes.h"

namespace vs {

struct InnerInfo {
  uint16_t l3 = 0xFFFF;      // IP header offset in the frame, kAbsent when not IP
  uint16_t l4 = 0xFFFF;      // TCP/UDP/... header offset, kAbsent when unknown
  uint16_t eth_type = 0;     // EtherType after VLAN tags
  uint8_t ip_version = 0;    // 4, 6 or 0 (not IP or IP header cut short)
  uint8_t ttl = 0;           // IPv4 TTL / IPv6 hop limit
  uint8_t proto = 0;         // IPv4 protocol / IPv6 next header
  bool df = false;           // IPv4 DF bit
  bool fragment = false;     // IPv4 MF or offset set (no ports hashed)
  uint16_t ip_id = 0;        // IPv4 identification
};

// Fills `out` from the frame. Returns false when the frame is shorter than an
// Ethernet header or a VLAN tag is cut short (then `out` is partial).
// Inline: it runs for every encapsulated packet.
inline bool tunnel_inspect_inner(ByteView frame, InnerInfo* out) {
  constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86DD, kEthVlan = 0x8100, kEthQinQ = 0x88A8;
  *out = InnerInfo();
  uint16_t type;
  if (!frame.be16(12, type) || frame.size() < 14) return false;
  size_t off = 14;
  for (int tags = 0; tags < 2 && (type == kEthVlan || type == kEthQinQ); tags++) {
    if (!frame.be16(off + 2, type)) return false;
    off += 4;
  }
  out->eth_type = type;
  if (type == kEthIpv4) {
    uint8_t vihl;
    if (!frame.has(off, 20) || !frame.u8(off, vihl) || (vihl >> 4) != 4 || (vihl & 15) < 5) return true;
    const uint8_t* ip = frame.data() + off;
    out->l3 = uint16_t(off);
    out->ip_version = 4;
    out->ip_id = load_be16(ip + 4);
    uint16_t frag = load_be16(ip + 6);
    out->df = (frag & 0x4000) != 0;
    out->fragment = (frag & 0x3FFF) != 0;
    out->ttl = ip[8];
    out->proto = ip[9];
    size_t l4 = off + size_t(vihl & 15) * 4;
    if (!out->fragment && l4 <= frame.size() && l4 < 0xFFFF) out->l4 = uint16_t(l4);
  } else if (type == kEthIpv6) {
    uint8_t v;
    if (!frame.has(off, 40) || !frame.u8(off, v) || (v >> 4) != 6) return true;
    const uint8_t* ip = frame.data() + off;
    out->l3 = uint16_t(off);
    out->ip_version = 6;
    out->proto = ip[6];
    out->ttl = ip[7];
    size_t l4 = off + 40;
    bool known_l4 = out->proto == 6 || out->proto == 17 || out->proto == 58 || out->proto == 132;
    if (known_l4 && l4 < 0xFFFF) out->l4 = uint16_t(l4);
  }
  return true;
}

// A flow hash of the inner frame when the caller left none (COL_HASH 0): the
// RSS Toeplitz hash of the inner IP headers (rss.h, what the datapath puts in
// COL_HASH), else (non-IP, or a zero Toeplitz value) a murmur3-style mix of
// MACs and EtherType. Never returns 0 (0 means "no hash").
uint32_t tunnel_flow_hash(ByteView frame, const InnerInfo& info);

}  // namespace vs
