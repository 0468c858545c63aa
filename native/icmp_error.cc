#include "icmp_error.h"

#include <cstring>

#include "bytes.h"
#include "csum.h"

namespace vs {

namespace {

constexpr uint32_t kMaxError = 14 + 8 + 1280;

Status append_error(const Batch& in, uint32_t i, const uint8_t* frame, uint32_t len, uint32_t l3, Batch& out) {
  if (out.append(frame, len, len, in.u32(COL_TS_SEC)[i], in.u32(COL_TS_NSEC)[i], in.u32(COL_IN_PORT)[i]) !=
      Status::OK)
    return Status::OUTPUT_FULL;
  uint32_t j = out.count() - 1;
  out.u16(COL_L2)[j] = 0;
  out.u16(COL_L3)[j] = uint16_t(l3);
  out.u16(COL_L4)[j] = uint16_t(l3 + (frame[l3] >> 4 == 6 ? 40 : 20));
  out.u32(COL_NEXT)[j] = in.u32(COL_IN_PORT)[i];
  return Status::OK;
}

// The offender's source MAC (bytes 6..11 of its frame), zeros without L2.
void offender_mac(const Batch& in, uint32_t i, uint8_t* mac) {
  ByteView p = in.packet(i).view();
  uint16_t l2 = in.u16(COL_L2)[i];
  if (l2 == kAbsent || !p.copy(l2 + 6u, mac, 6)) std::memset(mac, 0, 6);
}

// The offender's VLAN tags (802.1Q / 802.1ad / 0x9100, up to two: the bytes
// between its MAC addresses and its IP ethertype), copied into the error so it
// goes back on the same VLAN. Returns the tag bytes written to dst (0 without
// tags, or when something other than tags sits there, e.g. MPLS).
uint32_t offender_tags(const Batch& in, uint32_t i, uint8_t* dst) {
  ByteView p = in.packet(i).view();
  uint16_t l2 = in.u16(COL_L2)[i], l3 = in.u16(COL_L3)[i];
  if (l2 == kAbsent || l3 == kAbsent || in.u16(COL_L2_5)[i] != kAbsent || l3 < l2 + 14u) return 0;
  uint32_t n = l3 - l2 - 14u;
  if (n == 0 || n > 8 || n % 4) return 0;
  for (uint32_t k = 0; k < n; k += 4) {
    uint16_t tpid = 0;
    if (!p.be16(l2 + 12u + k, tpid) || (tpid != 0x8100 && tpid != 0x88a8 && tpid != 0x9100)) return 0;
  }
  return p.copy(l2 + 12u, dst, n) ? n : 0;
}

// Bytes of the offending IP packet from its header on (captured bytes).
ByteView offender_ip(const Batch& in, uint32_t i, uint8_t version) {
  ByteView p = in.packet(i).view();
  uint16_t l3 = in.u16(COL_L3)[i];
  uint8_t v;
  if (l3 == kAbsent || !p.u8(l3, v) || (v >> 4) != version) return ByteView();
  ByteView ip = p.from(l3);
  return ip.size() >= (version == 4 ? 20u : 40u) ? ip : ByteView();
}

}  // namespace

bool icmp_error_allowed(const Batch& in, uint32_t i) {
  ByteView p = in.packet(i).view();
  uint16_t l3 = in.u16(COL_L3)[i];
  uint8_t v;
  if (l3 == kAbsent || !p.u8(l3, v)) return false;
  if ((v >> 4) == 4) {
    ByteView ip = p.from(l3);
    uint16_t fo;
    uint8_t proto, src0, ihl = uint8_t((v & 15) * 4);
    if (!ip.be16(6, fo) || !ip.u8(9, proto) || !ip.u8(12, src0)) return false;
    if (fo & 0x1FFF) return false;
    if (src0 == 0 || src0 >= 224) return false;  // 0/8, multicast, broadcast
    if (proto == 1) {
      uint8_t type;
      if (!ip.u8(ihl, type)) return false;
      bool info = type == 0 || type == 8 || type == 13 || type == 14 || type == 17 || type == 18;
      return info;
    }
    return true;
  }
  if ((v >> 4) == 6) {
    ByteView ip = p.from(l3);
    uint8_t nh, src0, type;
    if (!ip.u8(6, nh) || !ip.u8(8, src0)) return false;
    if (src0 == 0xff) return false;
    if (nh == 58 && ip.u8(40, type) && type < 128) return false;
    return true;
  }
  return false;
}

Status icmp_frag_needed(const Batch& in, uint32_t i, uint16_t next_hop_mtu, const IcmpErrorOptions& opt,
                        Batch& out) {
  ByteView ip = offender_ip(in, i, 4);
  if (!ip.size()) return Status::BAD_ARGUMENT;
  uint32_t max_len = opt.max_len ? opt.max_len : 576;
  if (max_len > 1280 || max_len < 28 + 20) return Status::BAD_ARGUMENT;
  uint32_t quote = uint32_t(ip.size()) < max_len - 28 ? uint32_t(ip.size()) : max_len - 28;
  uint8_t f[kMaxError];
  uint8_t mac[6];
  offender_mac(in, i, mac);
  std::memcpy(f, mac, 6);
  std::memcpy(f + 6, opt.src_mac, 6);
  uint32_t tags = offender_tags(in, i, f + 12);
  store_be16(f + 12 + tags, 0x0800);
  uint8_t* h = f + 14 + tags;
  uint32_t tot = 28 + quote;
  h[0] = 0x45;
  h[1] = opt.tos;
  store_be16(h + 2, uint16_t(tot));
  store_be16(h + 4, opt.ip_id);
  store_be16(h + 6, opt.df ? 0x4000 : 0);
  h[8] = opt.ttl;
  h[9] = 1;
  std::memcpy(h + 12, opt.src_ip, 4);
  std::memcpy(h + 16, ip.data() + 12, 4);  // offender's source
  store_be16(h + 10, ipv4_header_checksum(h, 20));
  uint8_t* m = h + 20;
  m[0] = 3;
  m[1] = 4;
  store_be16(m + 2, 0);
  store_be16(m + 4, 0);
  store_be16(m + 6, next_hop_mtu);
  std::memcpy(m + 8, ip.data(), quote);
  store_be16(m + 2, csum_finish(csum_add_bytes(0, m, 8 + quote)));
  return append_error(in, i, f, 14 + tags + tot, 14 + tags, out);
}

Status icmpv6_packet_too_big(const Batch& in, uint32_t i, uint32_t mtu, const IcmpErrorOptions& opt, Batch& out) {
  ByteView ip = offender_ip(in, i, 6);
  if (!ip.size()) return Status::BAD_ARGUMENT;
  uint32_t max_len = opt.max_len ? opt.max_len : 1280;
  if (max_len > 1280 || max_len < 48 + 40) return Status::BAD_ARGUMENT;
  uint32_t quote = uint32_t(ip.size()) < max_len - 48 ? uint32_t(ip.size()) : max_len - 48;
  if (mtu < 1280) mtu = 1280;
  uint8_t f[kMaxError];
  uint8_t mac[6];
  offender_mac(in, i, mac);
  std::memcpy(f, mac, 6);
  std::memcpy(f + 6, opt.src_mac, 6);
  uint32_t tags = offender_tags(in, i, f + 12);
  store_be16(f + 12 + tags, 0x86dd);
  uint8_t* h = f + 14 + tags;
  store_be32(h, 0x60000000u | (opt.flow_label & 0xFFFFF));
  store_be16(h + 4, uint16_t(8 + quote));
  h[6] = 58;
  h[7] = opt.ttl;
  std::memcpy(h + 8, opt.src_ip, 16);
  std::memcpy(h + 24, ip.data() + 8, 16);
  uint8_t* m = h + 40;
  m[0] = 2;
  m[1] = 0;
  store_be16(m + 2, 0);
  store_be32(m + 4, mtu);
  std::memcpy(m + 8, ip.data(), quote);
  uint32_t sum = pseudo_sum_v6(h + 8, h + 24, 58, 8 + quote);
  store_be16(m + 2, csum_finish(csum_add_bytes(sum, m, 8 + quote)));
  return append_error(in, i, f, 14 + tags + 40 + 8 + quote, 14 + tags, out);
}

}  // namespace vs
