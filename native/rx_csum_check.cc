#include "rx_csum_check.h"

#include "bytes.h"
#include "csum.h"

namespace vs {

DropReason rx_l4_csum_check(const Batch& b, uint32_t i) {
  uint32_t flags = b.u32(COL_FLAGS)[i];
  if (!b.packet_valid(i) || (flags & (FLAG_DATA_VALID | FLAG_IP_FRAGMENT | FLAG_TRUNCATED))) return DropReason::NONE;
  if (b.u32(COL_LENGTH)[i] < b.u32(COL_WIRE_LENGTH)[i]) return DropReason::NONE;
  uint16_t l3 = b.u16(COL_L3)[i], l4 = b.u16(COL_L4)[i];
  if (l3 == kAbsent || l4 == kAbsent || l4 <= l3) return DropReason::NONE;
  ByteView p = b.packet(i).view();
  uint8_t vihl = 0;
  if (!p.u8(l3, vihl)) return DropReason::NONE;
  bool v6 = (vihl >> 4) == 6;
  uint32_t end = 0;
  uint8_t proto = 0;
  const uint8_t *src = nullptr, *dst = nullptr;
  if ((vihl >> 4) == 4) {
    uint16_t tot = 0, fo = 0;
    if (!p.has(l3, 20) || !p.be16(l3 + 2u, tot) || !p.be16(l3 + 6u, fo) || (fo & 0x3FFF)) return DropReason::NONE;
    end = tot ? uint32_t(l3) + tot : uint32_t(p.size());
    p.u8(l3 + 9u, proto);
    src = p.data() + l3 + 12;
    dst = p.data() + l3 + 16;
  } else if (v6) {
    uint16_t plen = 0;
    if (!p.has(l3, 40) || !p.be16(l3 + 4u, plen)) return DropReason::NONE;
    end = plen ? uint32_t(l3) + 40 + plen : uint32_t(p.size());
    src = p.data() + l3 + 8;
    dst = p.data() + l3 + 24;
    // The L4 protocol is the last next-header before COL_L4: read it from the
    // byte the parser followed (IPv6 header or last extension header).
    uint32_t off = l3 + 40u;
    p.u8(l3 + 6u, proto);
    for (int n = 0; n < 8 && off < l4 && (proto == 0 || proto == 43 || proto == 60 || proto == 51); n++) {
      uint8_t next = 0, hl = 0;
      if (!p.u8(off, next) || !p.u8(off + 1, hl)) return DropReason::NONE;
      off += proto == 51 ? (uint32_t(hl) + 2) * 4 : (uint32_t(hl) + 1) * 8;
      proto = next;
    }
    if (off != l4) return DropReason::NONE;
  } else {
    return DropReason::NONE;
  }
  if ((proto != 6 && proto != 17) || end > p.size() || end <= l4) return DropReason::NONE;
  uint32_t l4_len = end - l4;
  if (l4_len < (proto == 6 ? 20u : 8u)) return DropReason::NONE;
  L4CsumInput in;
  in.l4 = ByteView(p.data() + l4, l4_len);
  in.field_off = proto == 6 ? 16 : 6;
  in.pseudo = v6 ? pseudo_sum_v6(src, dst, proto, l4_len) : pseudo_sum_v4(src, dst, proto, l4_len);
  in.pseudo_no_len = v6 ? pseudo_sum_v6(src, dst, proto, 0) : pseudo_sum_v4(src, dst, proto, 0);
  in.udp_over_ipv4 = proto == 17 && !v6;
  in.udp_over_ipv6 = proto == 17 && v6;
  in.allow_partial = false;
  CsumStatus s = verify_l4_checksum(in);
  if (s == CsumStatus::GOOD || s == CsumStatus::UNVERIFIED || s == CsumStatus::NONE) return DropReason::NONE;
  if (s == CsumStatus::ABSENT && !v6) return DropReason::NONE;
  return DropReason::BAD_L4_CHECKSUM;
}

uint32_t rx_l4_csum_check_batch(const Batch& b) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < b.count(); i++) {
    if (b.dropped(i)) continue;
    DropReason r = rx_l4_csum_check(b, i);
    if (r != DropReason::NONE) {
      b.mark_drop(i, uint16_t(r));
      n++;
    }
  }
  return n;
}

}  // namespace vs
