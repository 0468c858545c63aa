#include "gso_slice.h"

#include <cstring>
#include <initializer_list>

#include "csum.h"

namespace vs {
namespace {

struct IpInfo {
  bool v6;
  uint8_t proto;
  uint32_t end;  // l3 + IP length (datagram end)
};

// IPv4 or IPv6 (no extension headers) at l3 inside pkt of `size` bytes.
bool ip_info(ByteView pkt, uint32_t l3, IpInfo* ip) {
  uint8_t vihl;
  if (!pkt.u8(l3, vihl)) return false;
  if ((vihl >> 4) == 4) {
    if (!pkt.has(l3, 20) || (vihl & 15) < 5) return false;
    uint16_t tot = 0;
    pkt.be16(l3 + 2, tot);
    uint32_t len = tot ? tot : uint32_t(pkt.size() - l3);
    if (len < uint32_t(vihl & 15) * 4 || !pkt.has(l3, len)) return false;
    ip->v6 = false;
    pkt.u8(l3 + 9, ip->proto);
    ip->end = l3 + len;
    return true;
  }
  if ((vihl >> 4) == 6) {
    if (!pkt.has(l3, 40)) return false;
    uint16_t plen = 0;
    pkt.be16(l3 + 4, plen);
    uint32_t len = plen ? 40u + plen : uint32_t(pkt.size() - l3);
    if (!pkt.has(l3, len)) return false;
    ip->v6 = true;
    pkt.u8(l3 + 6, ip->proto);
    ip->end = l3 + len;
    return true;
  }
  return false;
}

}  // namespace

DropReason gso_chain_find(const Batch& in, uint32_t i, uint8_t want_proto, bool through_l4, GsoChain* c) {
  if (!in.packet_valid(i)) return DropReason::BAD_PACKET_SLOT;
  if (in.u32(COL_LENGTH)[i] < in.u32(COL_WIRE_LENGTH)[i]) return DropReason::TRUNCATED_CAPTURE;
  ByteView pkt = in.packet(i).view();
  uint32_t flags = in.u32(COL_FLAGS)[i];
  uint16_t l3 = in.u16(COL_L3)[i], l4 = in.u16(COL_L4)[i];
  uint16_t il3 = in.u16(COL_INNER_L3)[i], il4 = in.u16(COL_INNER_L4)[i];
  *c = GsoChain();
  if ((flags & FLAG_TUNNEL) && il3 != kAbsent) {
    if (l3 == kAbsent) return DropReason::GSO_BAD_HEADERS;
    IpInfo o;
    if (!ip_info(pkt, l3, &o)) return DropReason::GSO_BAD_HEADERS;
    c->tunnel = true;
    c->o_l3 = l3;
    c->o_v6 = o.v6;
    if (o.proto == 17) {
      if (l4 == kAbsent || !pkt.has(l4, 8)) return DropReason::GSO_BAD_HEADERS;
      c->o_udp = l4;
      uint16_t ck = 0;
      pkt.be16(l4 + 6, ck);
      c->o_udp_csum = ck != 0;
    } else if (o.proto == 47) {
      if (l4 == kAbsent || !pkt.has(l4, 4)) return DropReason::GSO_BAD_HEADERS;
      uint16_t gf = 0;
      pkt.be16(l4, gf);
      c->o_gre = l4;
      c->o_gre_csum = (gf & 0x8000) != 0;
      if (c->o_gre_csum && !pkt.has(l4, 8)) return DropReason::GSO_BAD_HEADERS;
    } else {
      return DropReason::GSO_BAD_HEADERS;
    }
    l3 = il3;
    l4 = il4;
  }
  if (l3 == kAbsent || l4 == kAbsent || l4 <= l3) return DropReason::GSO_BAD_HEADERS;
  IpInfo ip;
  if (!ip_info(pkt, l3, &ip)) return DropReason::GSO_BAD_HEADERS;
  if (ip.v6) {
    // Hop-by-hop, routing and destination options are copied into every
    // segment as part of the headers (as Linux ipv6_gso_segment); a fragment
    // header (or anything else) in front of L4 is refused.
    uint32_t off = l3 + 40u;
    uint8_t nh = ip.proto;
    for (int n = 0; n < 8 && (nh == 0 || nh == 43 || nh == 60); n++) {
      uint8_t next = 0, hl = 0;
      if (!pkt.u8(off, next) || !pkt.u8(off + 1, hl)) return DropReason::GSO_BAD_HEADERS;
      off += (uint32_t(hl) + 1) * 8;
      nh = next;
    }
    if (off != l4 || off > ip.end) return DropReason::GSO_BAD_HEADERS;
    ip.proto = nh;
  }
  if (want_proto && ip.proto != want_proto) return DropReason::GSO_TYPE_MISMATCH;
  c->l3 = l3;
  c->l4 = l4;
  c->v6 = ip.v6;
  c->proto = ip.proto;
  uint32_t hdr = l4;
  if (through_l4) {
    if (ip.proto == 6) {
      uint8_t off;
      if (!pkt.u8(l4 + 12, off) || (off >> 4) < 5) return DropReason::GSO_BAD_HEADERS;
      hdr = l4 + uint32_t(off >> 4) * 4;
    } else if (ip.proto == 17) {
      hdr = l4 + 8;
    } else {
      return DropReason::GSO_TYPE_MISMATCH;
    }
  }
  if (hdr > ip.end) return DropReason::GSO_BAD_HEADERS;
  c->hdr_len = hdr;
  c->payload = ip.end - hdr;
  return DropReason::NONE;
}

Status slice_emit(const Batch& in, uint32_t i, uint32_t hdr_len, uint32_t poff, uint32_t plen, Batch& out,
                  uint32_t* j) {
  MutByteView pkt = in.packet(i);
  if (!pkt.has(size_t(hdr_len) + poff, plen)) return Status::BAD_ARGUMENT;
  // One copy: the bytes in front of the slice (earlier payload, or the headers
  // themselves for the first slice) come along and are overwritten below.
  const uint8_t* src = pkt.data() + poff;
  uint32_t len = hdr_len + plen;
  uint32_t ts = in.u32(COL_TS_SEC)[i], tn = in.u32(COL_TS_NSEC)[i], port = in.u32(COL_IN_PORT)[i];
  if (out.append(src, len, len, ts, tn, port) != Status::OK) return Status::OUTPUT_FULL;
  uint32_t k = out.count() - 1;
  MutByteView seg = out.packet(k);
  if (poff) std::memcpy(seg.data(), pkt.data(), hdr_len);
  for (Column col : {COL_FLAGS, COL_HASH, COL_TUN_ID, COL_NEXT})
    out.u32(col)[k] = in.u32(col)[i];
  for (Column col : {COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4,
                     COL_CSUM_START, COL_CSUM_OFFSET})
    out.u16(col)[k] = in.u16(col)[i];
  std::memcpy(out.key(k), in.key(i), sizeof(FlowKey));
  *j = k;
  return Status::OK;
}

void fix_ipv4(uint8_t* ip, uint32_t total_len, uint16_t id) {
  store_be16(ip + 2, uint16_t(total_len));
  store_be16(ip + 4, id);
  store_be16(ip + 10, 0);
  store_be16(ip + 10, ipv4_header_checksum(ip, size_t(ip[0] & 15) * 4));
}

void fix_ipv6(uint8_t* ip, uint32_t total_len) { store_be16(ip + 4, uint16_t(total_len - 40)); }

static uint32_t l4_pseudo(const uint8_t* pkt, uint32_t l3, bool v6, uint8_t proto, uint32_t l4_len) {
  return v6 ? pseudo_sum_v6(pkt + l3 + 8, pkt + l3 + 24, proto, l4_len)
            : pseudo_sum_v4(pkt + l3 + 12, pkt + l3 + 16, proto, l4_len);
}

void seg_l4_csum(const Batch& out, uint32_t j, const GsoChain& c, bool partial, ZeroFold zero) {
  MutByteView seg = out.packet(j);
  uint8_t* p = seg.data();
  uint32_t l4_len = uint32_t(seg.size()) - c.l4;
  uint32_t field = c.proto == 6 ? 16 : 6;
  uint32_t pseudo = l4_pseudo(p, c.l3, c.v6, c.proto, l4_len);
  store_be16(p + c.l4 + field, csum_fold(pseudo));
  out.u16(COL_CSUM_START)[j] = uint16_t(c.l4);
  out.u16(COL_CSUM_OFFSET)[j] = uint16_t(field);
  uint32_t& flags = out.u32(COL_FLAGS)[j];
  if (partial) {
    flags |= FLAG_NEEDS_CSUM | FLAG_L4_CSUM_PARTIAL;
    return;
  }
  csum_complete_bytes(seg, c.l4, field, zero);
  flags &= ~uint32_t(FLAG_NEEDS_CSUM | FLAG_L4_CSUM_PARTIAL);
}

void seg_fix_outer(const Batch& out, uint32_t j, const GsoChain& c, uint16_t o_id) {
  MutByteView seg = out.packet(j);
  uint8_t* p = seg.data();
  uint32_t end = uint32_t(seg.size());
  if (c.o_v6) {
    fix_ipv6(p + c.o_l3, end - c.o_l3);
  } else {
    fix_ipv4(p + c.o_l3, end - c.o_l3, o_id);
  }
  if (c.o_gre != kAbsent) {
    if (c.o_gre_csum) {
      store_be16(p + c.o_gre + 4, 0);
      store_be16(p + c.o_gre + 4, csum_finish(csum_add_bytes(0, p + c.o_gre, end - c.o_gre)));
    }
    return;
  }
  if (c.o_udp == kAbsent) return;
  uint32_t ulen = end - c.o_udp;
  store_be16(p + c.o_udp + 4, uint16_t(ulen));
  if (!c.o_udp_csum) return;
  store_be16(p + c.o_udp + 6, csum_fold(l4_pseudo(p, c.o_l3, c.o_v6, 17, ulen)));
  csum_complete_bytes(seg, c.o_udp, 6, ZeroFold::MANGLE);
}

}  // namespace vs
