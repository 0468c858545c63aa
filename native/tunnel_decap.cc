// Decap dispatcher: outer Ethernet / IP / UDP checks, then the VXLAN, MPLSoUDP,
// MPLSoGRE or Ethernet-over-GRE step, then the strip and the metadata.
#include "tunnel_decap.h"

#include <cstring>
#include <initializer_list>

#include "csum.h"
#include "tunnel_decap_steps.h"

namespace vs {
namespace {

constexpr uint32_t kFlagsClearedByDecap = FLAG_PARSED | FLAG_VLAN | FLAG_QINQ | FLAG_MPLS | FLAG_TUNNEL |
                                          FLAG_IP_FRAGMENT | FLAG_L4_CSUM_PARTIAL | FLAG_IP_LENGTH_FROM_FRAME |
                                          FLAG_MALFORMED | FLAG_TRUNCATED;

struct Outer {
  size_t l3 = 0, l4 = 0, end = 0;  // end: one past the outer IP packet, then the UDP datagram
  bool v6 = false;
  uint8_t proto = 0;
};

void map_v4(const uint8_t* a, uint8_t out[16]) {
  std::memset(out, 0, 10);
  out[10] = out[11] = 0xFF;
  std::memcpy(out + 12, a, 4);
}

DropReason parse_outer_ip(ByteView p, size_t frame_len, Outer* o, TunnelMeta* meta) {
  auto need = [&](size_t off, size_t len, DropReason r) {
    if (p.has(off, len)) return DropReason::NONE;
    return off + len <= frame_len ? DropReason::TRUNCATED_CAPTURE : r;
  };
  DropReason r = need(0, 14, DropReason::TRUNCATED_ETHERNET);
  if (r != DropReason::NONE) return r;
  size_t off = 14;
  uint16_t type = load_be16(p.data() + 12);
  for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88A8 || type == 0x9100); tags++) {
    if ((r = need(off, 4, DropReason::TRUNCATED_VLAN)) != DropReason::NONE) return r;
    type = load_be16(p.data() + off + 2);
    off += 4;
  }
  o->l3 = off;
  if (type == 0x0800) {
    if ((r = need(off, 20, DropReason::TRUNCATED_IPV4)) != DropReason::NONE) return r;
    const uint8_t* ip = p.data() + off;
    if ((ip[0] >> 4) != 4) return DropReason::BAD_IPV4_VERSION;
    size_t ihl = size_t(ip[0] & 15) * 4;
    if (ihl < 20) return DropReason::BAD_IPV4_IHL;
    if ((r = need(off, ihl, DropReason::TRUNCATED_IPV4)) != DropReason::NONE) return r;
    size_t total = load_be16(ip + 2);
    if (total == 0) total = frame_len - off;  // TSO / BIG TCP: length from the frame
    if (total < ihl || off + total > frame_len) return DropReason::BAD_IPV4_TOTAL_LENGTH;
    if (load_be16(ip + 6) & 0x3FFF) return DropReason::TUNNEL_OUTER_FRAGMENT;
    o->proto = ip[9];
    o->l4 = off + ihl;
    o->end = off + total;
    meta->outer_tos = ip[1];
    meta->outer_ttl = ip[8];
    map_v4(ip + 12, meta->src);
    map_v4(ip + 16, meta->dst);
  } else if (type == 0x86DD) {
    if ((r = need(off, 40, DropReason::TRUNCATED_IPV6)) != DropReason::NONE) return r;
    const uint8_t* ip = p.data() + off;
    if ((ip[0] >> 4) != 6) return DropReason::BAD_IPV6_VERSION;
    size_t plen = load_be16(ip + 4);
    if (off + 40 + plen > frame_len) return DropReason::BAD_IPV6_PAYLOAD_LENGTH;
    o->v6 = true;
    o->proto = ip[6];
    o->l4 = off + 40;
    o->end = o->l4 + plen;
    meta->outer_tos = uint8_t(load_be16(ip) >> 4);
    meta->outer_ttl = ip[7];
    std::memcpy(meta->src, ip + 8, 16);
    std::memcpy(meta->dst, ip + 24, 16);
    meta->flags |= kTunFlagIpv6;
  } else {
    return DropReason::NOT_A_TUNNEL;
  }
  return DropReason::NONE;
}

DropReason udp_checks(ByteView p, Outer* o, bool wire_short, uint32_t pkt_flags, const TunnelReceiver& rx,
                      TunnelMeta* meta) {
  if (!p.has(o->l4, 8)) return missing(wire_short, DropReason::TRUNCATED_UDP);
  const uint8_t* udp = p.data() + o->l4;
  size_t udp_len = load_be16(udp + 4);
  if (udp_len < 8 || o->l4 + udp_len > o->end) return DropReason::BAD_UDP_LENGTH;
  o->end = o->l4 + udp_len;
  meta->udp_src = load_be16(udp);
  meta->udp_dst = load_be16(udp + 2);
  uint16_t check = load_be16(udp + 6);
  if (check == 0) {
    if (o->v6 && !(rx.flags & kRxZeroCsumIpv6)) return DropReason::ZERO_UDP_CHECKSUM_IPV6;
    return DropReason::NONE;
  }
  meta->flags |= kTunFlagCsum;
  if (pkt_flags & FLAG_DATA_VALID) return DropReason::NONE;
  if (!p.has(o->l4, udp_len)) return DropReason::TRUNCATED_CAPTURE;
  const uint8_t* ip = p.data() + o->l3;
  L4CsumInput in;
  in.l4 = p.slice(o->l4, udp_len);
  in.field_off = 6;
  in.pseudo = o->v6 ? pseudo_sum_v6(ip + 8, ip + 24, 17, uint32_t(udp_len)) : pseudo_sum_v4(ip + 12, ip + 16, 17, uint32_t(udp_len));
  in.pseudo_no_len = o->v6 ? pseudo_sum_v6(ip + 8, ip + 24, 17, 0) : pseudo_sum_v4(ip + 12, ip + 16, 17, 0);
  in.udp_over_ipv4 = !o->v6;
  in.udp_over_ipv6 = o->v6;
  in.allow_partial = (rx.flags & kRxAcceptPartialCsum) || (pkt_flags & FLAG_L4_CSUM_PARTIAL);
  switch (verify_l4_checksum(in)) {
    case CsumStatus::GOOD:
    case CsumStatus::PARTIAL:  // only returned when allowed
      return DropReason::NONE;
    case CsumStatus::UNVERIFIED:
      return DropReason::TRUNCATED_CAPTURE;
    default:
      return DropReason::BAD_OUTER_UDP_CHECKSUM;
  }
}

DropReason classify(ByteView p, size_t frame_len, uint32_t pkt_flags, const TunnelReceiver& rx, Outer* o,
                    TunnelMeta* meta, DecapResult* res) {
  DropReason r = parse_outer_ip(p, frame_len, o, meta);
  if (r != DropReason::NONE) return r;
  bool wire_short = p.size() < o->end;
  if (o->proto == 17 && (rx.flags & (kRxVxlan | kRxMplsoudp))) {
    if ((r = udp_checks(p, o, wire_short, pkt_flags, rx, meta)) != DropReason::NONE) return r;
    wire_short = p.size() < o->end;
    ByteView v = p.slice(0, wire_short ? p.size() : o->end);
    size_t tnl = o->l4 + 8;
    if ((rx.flags & kRxVxlan) && meta->udp_dst == rx.vxlan_port) return vxlan_decap_step(v, tnl, wire_short, rx, meta, res);
    if ((rx.flags & kRxMplsoudp) && meta->udp_dst == rx.mplsoudp_port) {
      meta->type = uint8_t(TunnelType::MPLSOUDP);
      meta->flags |= kTunFlagMplsoudp;
      return mpls_decap_step(v, tnl, wire_short, rx, meta, res);
    }
    return DropReason::NOT_A_TUNNEL;
  }
  if (o->proto == 47 && (rx.flags & (kRxMplsogre | kRxGre))) {
    ByteView v = p.slice(0, wire_short ? p.size() : o->end);
    // the protocol type picks the step; a receiver without that kind drops it as unsupported
    uint16_t proto = 0;
    bool teb = v.be16(o->l4 + 2, proto) && proto == 0x6558;
    if ((rx.flags & kRxGre) && (teb || !(rx.flags & kRxMplsogre))) return gre_eth_decap_step(v, o->l4, wire_short, rx, meta, res);
    return mplsogre_decap_step(v, o->l4, wire_short, rx, meta, res);
  }
  return DropReason::NOT_A_TUNNEL;
}

}  // namespace

DropReason tunnel_decap_packet(Batch& batch, uint32_t i, const TunnelReceiver& rx, TunnelMeta* meta_out) {
  TunnelMeta meta;
  std::memset(&meta, 0, sizeof meta);
  if (meta_out) *meta_out = meta;
  if (!batch.packet_valid(i)) return DropReason::TRUNCATED_CAPTURE;
  ByteView p = batch.packet(i).view();
  uint32_t wire = batch.u32(COL_WIRE_LENGTH)[i];
  size_t frame_len = wire > p.size() ? wire : p.size();
  uint32_t& flags = batch.u32(COL_FLAGS)[i];
  Outer o;
  DecapResult res;
  DropReason r = classify(p, frame_len, flags, rx, &o, &meta, &res);
  if (r != DropReason::NONE) return r;

  // Strip: padding after the tunnel payload, then the outer headers.
  uint32_t& length = batch.u32(COL_LENGTH)[i];
  if (length > o.end) length = uint32_t(o.end);
  batch.u32(COL_WIRE_LENGTH)[i] = uint32_t(o.end);
  size_t removed = res.inner_off;
  if (batch.pull_head(i, uint32_t(res.inner_off)) != Status::OK) return DropReason::TRUNCATED_CAPTURE;
  if (res.ip_payload) {
    batch.push_head(i, 14);  // cannot fail: at least 14 bytes were just pulled
    uint8_t* eth = batch.packet(i).data();
    std::memcpy(eth, res.macs, 12);
    store_be16(eth + 12, (eth[14] >> 4) == 4 ? 0x0800 : 0x86DD);
    removed -= 14;
  }

  // tun_id: the VNI, the GRE key of Ethernet over GRE (0 without one), or the bottom label
  uint32_t tun_id = meta.type == uint8_t(TunnelType::VXLAN) ? meta.vni
                    : meta.type == uint8_t(TunnelType::GRE) ? meta.gre_key
                                                            : meta.label;
  batch.u32(COL_TUN_ID)[i] = tun_id;
  FlowKey* key = batch.key(i);
  key->tun_id = tun_id;
  std::memcpy(key->tun_src, meta.src, 16);
  std::memcpy(key->tun_dst, meta.dst, 16);
  key->tun_flags = meta.flags;
  batch.u16(COL_L2)[i] = 0;
  for (Column c : {COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4}) batch.u16(c)[i] = kAbsent;
  if (flags & FLAG_NEEDS_CSUM) {
    uint16_t& start = batch.u16(COL_CSUM_START)[i];
    if (start >= removed) {
      start = uint16_t(start - removed);
    } else {
      flags &= ~FLAG_NEEDS_CSUM;
      start = 0;
      batch.u16(COL_CSUM_OFFSET)[i] = 0;
    }
  }
  flags &= ~kFlagsClearedByDecap;
  if (meta_out) *meta_out = meta;
  return DropReason::NONE;
}

uint32_t tunnel_decap_batch(Batch& batch, const TunnelReceiver& rx, TunnelMeta* metas) {
  uint32_t done = 0;
  for (uint32_t i = 0; i < batch.count(); i++) {
    TunnelMeta* m = metas ? metas + i : nullptr;
    if (batch.dropped(i)) {
      if (m) std::memset(m, 0, sizeof *m);
      continue;
    }
    DropReason r = tunnel_decap_packet(batch, i, rx, m);
    if (r == DropReason::NONE) {
      done++;
    } else {
      batch.mark_drop(i, uint16_t(r));
    }
  }
  return done;
}

}  // namespace vs
