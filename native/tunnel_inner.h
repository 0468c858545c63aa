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
bool tunnel_inspect_inner(ByteView frame, InnerInfo* out);

// A flow hash of the inner frame when the caller left none (COL_HASH 0): the
// RSS Toeplitz hash of the inner IP headers (rss.h, what the datapath puts in
// COL_HASH), else (non-IP, or a zero Toeplitz value) a murmur3-style mix of
// MACs and EtherType. Never returns 0 (0 means "no hash").
uint32_t tunnel_flow_hash(ByteView frame, const InnerInfo& info);

}  // namespace vs
