// The parser's fast path for the frames a vswitch sees most: Ethernet
// [802.1Q] IPv4|IPv6 TCP|UDP. Same results as the general parser (parse.cc,
// parse_ip.cc) or nothing at all; see parse_internal.h.
#include <cstring>

#include "csum.h"
#include "parse_internal.h"

namespace vs::parse_detail {

namespace {
bool tunnel_port(const ParseOptions& opt, uint16_t port) {
  if (opt.vxlan_count == 1 && opt.geneve_count == 1 && opt.mpls_udp_count == 1)  // the usual case: one port each
    return port == opt.vxlan_ports[0] || port == opt.geneve_ports[0] || port == opt.mpls_udp_ports[0];
  for (uint8_t k = 0; k < opt.vxlan_count && k < kMaxTunnelPorts; k++)
    if (opt.vxlan_ports[k] == port) return true;
  for (uint8_t k = 0; k < opt.geneve_count && k < kMaxTunnelPorts; k++)
    if (opt.geneve_ports[k] == port) return true;
  for (uint8_t k = 0; k < opt.mpls_udp_count && k < kMaxTunnelPorts; k++)
    if (opt.mpls_udp_ports[k] == port) return true;
  return false;
}
}  // namespace

bool parse_fast(ByteView pkt, size_t wire, const ParseOptions& opt, FlowKey& key, FastResult* out, LayerList* layers) {
  const size_t n = pkt.size();
  if (wire != n || n < 14 + 20 + 8 || n >= kAbsent) return false;
  const uint8_t* h = pkt.data();
  size_t l3 = 14;
  uint16_t type = load_be16(h + 12);
  uint16_t tci = 0;
  if (type == 0x8100) {
    tci = load_be16(h + 14);
    type = load_be16(h + 16);
    l3 = 18;
  }
  size_t l4, end;
  uint8_t proto;
  IpInfo ip;
  if (type == 0x0800) {
    const uint8_t* q = h + l3;
    if (q[0] != 0x45 || (load_be16(q + 6) & 0x3fff) != 0) return false;  // options or fragment: general path
    size_t total = load_be16(q + 2);
    if (total < 20 || l3 + total > n) return false;
    proto = q[9];
    l4 = l3 + 20;
    end = l3 + total;
    ip.src = q + 12;
    ip.dst = q + 16;
  } else if (type == 0x86dd) {
    if (l3 + 40 > n) return false;
    const uint8_t* q = h + l3;
    if ((q[0] >> 4) != 6) return false;
    size_t plen = load_be16(q + 4);
    if (plen == 0 || l3 + 40 + plen > n) return false;
    proto = q[6];
    l4 = l3 + 40;
    end = l4 + plen;
    ip.v6 = true;
    ip.src = q + 8;
    ip.dst = q + 24;
  } else {
    return false;
  }
  const uint8_t* t = h + l4;
  uint32_t flags = FLAG_PARSED;
  size_t l4_len, field;
  if (proto == 6) {
    if (l4 + 20 > end) return false;
    size_t doff = size_t(t[12] >> 4) * 4;
    if (doff < 20 || l4 + doff > end) return false;
    l4_len = end - l4;
    field = 16;
    key.tcp_flags = load_be16(t + 12) & 0x0fff;
  } else if (proto == 17) {
    if (l4 + 8 > end) return false;
    size_t ulen = load_be16(t + 4);
    if (ulen < 8 || l4 + ulen > end || tunnel_port(opt, load_be16(t + 2))) return false;
    l4_len = ulen;
    field = 6;
  } else {
    return false;
  }
  uint16_t csum_field = load_be16(t + field);
  CsumStatus l4_verdict = CsumStatus::NONE;
  const bool verify = opt.verify_checksums;
  if (layers) {
    // Whole and unfragmented: every checksum is verifiable (as Parser::l4_csum).
    if (proto == 17 && csum_field == 0) {
      l4_verdict = CsumStatus::ABSENT;
    } else {
      L4CsumInput in;
      in.l4 = ByteView(t, l4_len);
      in.field_off = field;
      uint32_t len32 = uint32_t(l4_len);
      in.pseudo_no_len = ip.v6 ? pseudo_sum_v6(ip.src, ip.dst, proto, 0) : pseudo_sum_v4(ip.src, ip.dst, proto, 0);
      in.pseudo = in.pseudo_no_len + (len32 >> 16) + (len32 & 0xffff);
      in.udp_over_ipv4 = in.udp_over_ipv6 = false;
      in.allow_partial = true;
      l4_verdict = verify_l4_checksum(in);
    }
    if (l4_verdict == CsumStatus::PARTIAL) flags |= FLAG_L4_CSUM_PARTIAL;
    if (verify) {
      flags |= FLAG_CSUM_VERIFIED;
      if (l4_verdict == CsumStatus::BAD) flags |= FLAG_L4_CSUM_BAD;
      if (!ip.v6 && csum_fold(csum_add_bytes(0, h + l3, 20)) != 0xffff) flags |= FLAG_IP_CSUM_BAD;
    }
  } else if (verify) {
    // The same verdicts on native-order sums (csum.h), the pseudo-header's
    // addresses summed straight from the IP header (source and destination
    // are adjacent in IPv4 and IPv6).
    flags |= FLAG_CSUM_VERIFIED;
    if (!ip.v6 && csum_native_fold(csum_native_add(0, h + l3, 20)) != 0xffff) flags |= FLAG_IP_CSUM_BAD;
    if (!(proto == 17 && csum_field == 0)) {
      uint64_t ps_no_len = csum_add_carry64(csum_native_add(0, ip.src, ip.v6 ? 32 : 8), csum_native_word(proto));
      uint32_t len32 = uint32_t(l4_len);
      uint64_t ps = csum_add_carry64(csum_add_carry64(ps_no_len, csum_native_word(uint16_t(len32 >> 16))),
                                     csum_native_word(uint16_t(len32)));
      if (csum_native_fold(csum_native_add(ps, t, l4_len)) != 0xffff) {
        bool partial = csum_field == csum_native_fold(ps) || csum_field == csum_native_fold(ps_no_len);
        flags |= partial ? FLAG_L4_CSUM_PARTIAL : FLAG_L4_CSUM_BAD;
      }
    }
  } else if (proto == 6 || csum_field != 0) {
    // holds_partial's first test (the field equals the folded pseudo-header
    // sum, with or without the length) on native-order sums, as the verify
    // branch above; only a field that passes it costs the full check.
    uint64_t ps_no_len = csum_add_carry64(csum_native_add(0, ip.src, ip.v6 ? 32 : 8), csum_native_word(proto));
    uint32_t len32 = uint32_t(l4_len);
    uint64_t ps = csum_add_carry64(csum_add_carry64(ps_no_len, csum_native_word(uint16_t(len32 >> 16))),
                                   csum_native_word(uint16_t(len32)));
    if ((csum_field == csum_native_fold(ps) || csum_field == csum_native_fold(ps_no_len)) &&
        holds_partial(pkt, l4, l4_len, field, proto, ip))
      flags |= FLAG_L4_CSUM_PARTIAL;
  }
  // Committed: fill the key and the columns.
  std::memcpy(key.dl_dst, h, 12);
  key.dl_type = type;
  if (l3 == 18) {
    key.vlan_tci = uint16_t(tci | kVlanTciPresent);
    flags |= FLAG_VLAN;
  }
  const uint8_t* q = h + l3;
  if (ip.v6) {
    std::memcpy(key.nw_src, q + 8, 32);
    key.ipv6_label = load_be32(q) & 0xfffff;
    key.nw_tos = uint8_t(load_be16(q) >> 4);
    key.nw_ttl = q[7];
  } else {
    map_v4(key.nw_src, q + 12);
    map_v4(key.nw_dst, q + 16);
    key.nw_tos = q[1];
    key.nw_ttl = q[8];
  }
  key.nw_proto = proto;
  key.tp_src = load_be16(t);
  key.tp_dst = load_be16(t + 2);
  if (layers) {
    auto add = [layers](LayerProto p, size_t off, CsumStatus cs) {
      LayerRecord& r = layers->rec[layers->count++];
      r.proto = p;
      r.depth = 0;
      r.csum = cs;
      r.quoted = 0;
      r.offset = uint32_t(off);
    };
    layers->count = 0;
    add(LayerProto::ETH, 0, CsumStatus::NONE);
    if (l3 == 18) add(LayerProto::VLAN, 14, CsumStatus::NONE);
    if (ip.v6) {
      add(LayerProto::IPV6, l3, CsumStatus::NONE);
    } else {
      add(LayerProto::IPV4, l3,
          csum_fold(csum_add_bytes(0, q, 20)) == 0xffff ? CsumStatus::GOOD : CsumStatus::BAD);
    }
    add(proto == 6 ? LayerProto::TCP : LayerProto::UDP, l4, l4_verdict);
  }
  for (auto& c : out->col) c = kAbsent;
  out->col[S_L2] = 0;
  out->col[S_L3] = uint16_t(l3);
  out->col[S_L4] = uint16_t(l4);
  out->flags = flags;
  return true;
}

}  // namespace vs::parse_detail
