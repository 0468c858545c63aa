// Parser handlers for IPv4, IPv6 (extension headers, routing-header final
// destination), TCP, UDP, ICMP, ICMPv6 and the packet an ICMP error quotes,
// with the L4 checksum verdicts.
#include <cstring>

#include "csum.h"
#include "parse_internal.h"

namespace vs::parse_detail {

namespace {
constexpr uint8_t kProtoIcmp = 1, kProtoIpip = 4, kProtoTcp = 6, kProtoUdp = 17, kProtoIpv6 = 41,
                  kProtoGre = 47, kProtoIcmpv6 = 58;
constexpr uint8_t kNoNextHeader = 59;
constexpr uint8_t kExtHopByHop = 0, kExtRouting = 43, kExtFragment = 44, kExtAh = 51, kExtDestOpts = 60;

uint32_t pseudo(const IpInfo& ip, uint8_t proto, uint32_t len) {
  return ip.v6 ? pseudo_sum_v6(ip.src, ip.dst, proto, len) : pseudo_sum_v4(ip.src, ip.dst, proto, len);
}

bool icmp_error(uint8_t type, bool v6) {
  if (v6) return type >= 1 && type <= 4;
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
}  // namespace

CsumStatus Parser::l4_csum(size_t off, size_t len, size_t field, uint8_t proto, const IpInfo& ip, bool with_pseudo,
                           bool udp) {
  uint16_t value;
  if (!pkt_.be16(off + field, value)) return CsumStatus::UNVERIFIED;
  if (udp && value == 0) return CsumStatus::ABSENT;
  if (ip.fragment || ip.quoted) return CsumStatus::UNVERIFIED;
  if (!pkt_.has(off, len)) return CsumStatus::UNVERIFIED;
  L4CsumInput in;
  in.l4 = pkt_.slice(off, len);
  in.field_off = field;
  in.pseudo = with_pseudo ? pseudo(ip, proto, uint32_t(len)) : 0;
  in.pseudo_no_len = with_pseudo ? pseudo(ip, proto, 0) : 0;
  in.udp_over_ipv4 = false;  // zero handled above
  in.udp_over_ipv6 = false;
  in.allow_partial = proto == kProtoTcp || proto == kProtoUdp;
  return verify_l4_checksum(in);
}

bool holds_partial(ByteView pkt, size_t off, size_t len, size_t field, uint8_t proto, const IpInfo& ip) {
  uint16_t value;
  if (ip.fragment || !pkt.be16(off + field, value)) return false;
  uint32_t ps0 = pseudo(ip, proto, 0);
  uint32_t ps = ps0 + uint32_t(len >> 16) + uint32_t(len & 0xffff);
  if (value != csum_fold(ps) && value != csum_fold(ps0)) return false;
  if (!pkt.has(off, len)) return true;  // cannot tell from a good one; the match is the evidence
  return csum_fold(csum_add_bytes(ps, pkt.data() + off, len)) != 0xffff;
}

void Parser::ipv4(size_t off, size_t end) {
  if (!need(off, 20, end, DropReason::TRUNCATED_IPV4)) return;
  const uint8_t* h = pkt_.data() + off;
  if ((h[0] >> 4) != 4 && !ovs()) return fail(DropReason::BAD_IPV4_VERSION);
  size_t ihl = size_t(h[0] & 0x0f) * 4;
  if (ihl < 20) return fail(DropReason::BAD_IPV4_IHL);
  if (!need(off, ihl, end, DropReason::TRUNCATED_IPV4)) return;
  size_t total = load_be16(h + 2);
  bool from_frame = false;
  if (total == 0 && ovs()) return fail(DropReason::BAD_IPV4_TOTAL_LENGTH);  // OVS: the IHL exceeds it
  if (total == 0) {
    total = end - off;  // TSO / BIG TCP: the frame says how long
    from_frame = true;
    flags_ |= FLAG_IP_LENGTH_FROM_FRAME;
  }
  int rec = enter(LayerProto::IPV4, off);
  if (rec == -2) return;
  if (describing() || verifying()) {
    bool good = csum_fold(csum_add_bytes(0, h, ihl)) == 0xffff;
    if (describing()) set_csum(rec, good ? CsumStatus::GOOD : CsumStatus::BAD);
    if (verifying() && !good) flags_ |= FLAG_IP_CSUM_BAD;
  }
  if (total < ihl || off + total > end) return fail(DropReason::BAD_IPV4_TOTAL_LENGTH);
  mark(S_L3, S_INNER_L3, off);
  uint16_t frag = load_be16(h + 6);
  uint16_t frag_off = frag & 0x1fff;
  bool more = frag & 0x2000;
  bool is_frag = frag_off != 0 || more;
  if (depth_ == 0 && is_frag) flags_ |= FLAG_IP_FRAGMENT;
  if (outer_key()) {
    map_v4(key_.nw_src, h + 12);
    map_v4(key_.nw_dst, h + 16);
    key_.nw_proto = h[9];
    key_.nw_tos = h[1];
    key_.nw_ttl = h[8];
    key_.nw_frag = uint8_t((is_frag ? kNwFragAny : 0) | (frag_off ? kNwFragLater : 0));
  }
  if (frag_off != 0) return;  // later fragment: no L4 header here
  IpInfo ip;
  ip.src = h + 12;
  ip.dst = h + 16;
  ip.fragment = is_frag;
  ip.len_from_frame = from_frame;
  ip_payload(h[9], off + ihl, off + total, ip);
}

void Parser::ipv6(size_t off, size_t end) {
  if (!need(off, 40, end, DropReason::TRUNCATED_IPV6)) return;
  const uint8_t* h = pkt_.data() + off;
  if ((h[0] >> 4) != 6 && !ovs()) return fail(DropReason::BAD_IPV6_VERSION);
  size_t plen = load_be16(h + 4);
  bool from_frame = false;
  size_t dend;
  if (enter(LayerProto::IPV6, off) == -2) return;
  if (plen == 0 && end - off > 40 && h[6] != kNoNextHeader && !ovs()) {
    dend = end;  // jumbogram / BIG TCP: the frame says how long
    from_frame = true;
    flags_ |= FLAG_IP_LENGTH_FROM_FRAME;
  } else {
    dend = off + 40 + plen;
    if (dend > end) return fail(DropReason::BAD_IPV6_PAYLOAD_LENGTH);
  }
  mark(S_L3, S_INNER_L3, off);
  IpInfo ip;
  ip.v6 = true;
  ip.src = h + 8;
  ip.dst = h + 24;
  ip.len_from_frame = from_frame;
  uint8_t nh = h[6];
  size_t p = off + 40;
  bool later = false;
  bool is_frag = false;
  for (bool more_ext = true; more_ext && !later;) {
    switch (nh) {
      case kExtHopByHop:
      case kExtRouting:
      case kExtDestOpts:
      case kExtAh: {
        if (!need(p, 2, dend, DropReason::TRUNCATED_IPV6_EXTENSION)) return;
        const uint8_t* e = pkt_.data() + p;
        size_t len = nh == kExtAh ? (size_t(e[1]) + 2) * 4 : (size_t(e[1]) + 1) * 8;
        if (!need(p, len, dend, DropReason::TRUNCATED_IPV6_EXTENSION)) return;
        if (!count_extension()) return;
        if (nh == kExtRouting && e[3] != 0 && len >= 24) {
          // RFC 8200 8.1: the pseudo-header uses the final destination. Type 0
          // lists it last, type 2 (RFC 6275) holds the home address, type 4
          // (SRH, RFC 8754) keeps it in Segment List[0]. Segments Left 0 means
          // the IPv6 destination already is final.
          if (e[2] == 0) ip.dst = e + 8 + ((len - 8) / 16 - 1) * 16;
          else if (e[2] == 2 || e[2] == 4) ip.dst = e + 8;
        }
        nh = e[0];
        p += len;
        break;
      }
      case kExtFragment: {
        if (!need(p, 8, dend, DropReason::TRUNCATED_IPV6_EXTENSION)) return;
        if (!count_extension()) return;
        const uint8_t* e = pkt_.data() + p;
        uint16_t fo = load_be16(e + 2);
        is_frag = true;
        later = (fo >> 3) != 0;
        nh = e[0];
        p += 8;
        break;
      }
      default:
        more_ext = false;
        break;
    }
  }
  if (depth_ == 0 && is_frag) flags_ |= FLAG_IP_FRAGMENT;
  if (outer_key()) {
    std::memcpy(key_.nw_src, h + 8, 16);
    std::memcpy(key_.nw_dst, h + 24, 16);
    key_.ipv6_label = load_be32(h) & 0xfffff;
    key_.nw_tos = uint8_t(load_be16(h) >> 4);
    key_.nw_ttl = h[7];
    key_.nw_proto = nh;
    key_.nw_frag = uint8_t((is_frag ? kNwFragAny : 0) | (later ? kNwFragLater : 0));
  }
  if (later) return;
  ip.fragment = is_frag;
  ip_payload(nh, p, dend, ip);
}

void Parser::ip_payload(uint8_t proto, size_t off, size_t end, const IpInfo& ip) {
  if (stop_) return;
  switch (proto) {
    case kProtoTcp:
      return tcp(off, end, ip);
    case kProtoUdp:
      return udp(off, end, ip);
    case kProtoIcmp:
      return icmp(off, end, ip, false);
    case kProtoIcmpv6:
      return icmp(off, end, ip, true);
    case kProtoGre:
      return gre(off, end, ip);
    case kProtoIpip:
      if (ip.fragment) return;
      depth_++;
      return ipv4(off, end);
    case kProtoIpv6:
      if (ip.fragment) return;
      depth_++;
      return ipv6(off, end);
    default:
      return;
  }
}

void Parser::tcp(size_t off, size_t end, const IpInfo& ip) {
  if (!need(off, 20, end, DropReason::TRUNCATED_TCP)) return;
  const uint8_t* h = pkt_.data() + off;
  size_t doff = size_t(h[12] >> 4) * 4;
  int rec = enter(LayerProto::TCP, off);
  if (rec == -2) return;
  bool bad_offset = doff < 20 || off + doff > end;
  if (bad_offset && !ovs()) return fail(DropReason::BAD_TCP_DATA_OFFSET);
  if (!bad_offset && !need(off, doff, end, DropReason::TRUNCATED_TCP)) return;
  mark(S_L4, S_INNER_L4, off);
  if (outer_key()) {
    key_.tp_src = load_be16(h);
    key_.tp_dst = load_be16(h + 2);
    key_.tcp_flags = load_be16(h + 12) & 0x0fff;
  }
  if (bad_offset) return;  // OVS reads any 20-byte TCP header's ports and flags, and no further
  size_t len = end - off;
  if (describing() || verifying()) {
    CsumStatus cs = l4_csum(off, len, 16, kProtoTcp, ip, true, false);
    if (describing()) set_csum(rec, cs);
    if (verifying() && cs == CsumStatus::BAD) flags_ |= FLAG_L4_CSUM_BAD;
  }
  if (depth_ == 0 && holds_partial(pkt_, off, len, 16, kProtoTcp, ip)) flags_ |= FLAG_L4_CSUM_PARTIAL;
}

void Parser::udp(size_t off, size_t end, const IpInfo& ip) {
  if (!need(off, 8, end, DropReason::TRUNCATED_UDP)) return;
  const uint8_t* h = pkt_.data() + off;
  size_t ulen = load_be16(h + 4);
  if (ulen == 0 && ip.len_from_frame) ulen = end - off;  // BIG TCP / GSO: UDP length 0 too
  // A first fragment's UDP length counts the whole datagram.
  int rec = enter(LayerProto::UDP, off);
  if (rec == -2) return;
  if (ulen < 8 || (off + ulen > end && !ip.fragment)) {
    // The length that bounds the checksum is wrong: the verdict cannot be given (tshark: unverified).
    if (describing()) set_csum(rec, load_be16(h + 6) == 0 && !ip.v6 ? CsumStatus::ABSENT : CsumStatus::UNVERIFIED);
    if (!ovs()) return fail(DropReason::BAD_UDP_LENGTH);
    // OVS reads any 8-byte UDP header's ports, and no further
    mark(S_L4, S_INNER_L4, off);
    if (outer_key()) {
      key_.tp_src = load_be16(h);
      key_.tp_dst = load_be16(h + 2);
    }
    return;
  }
  mark(S_L4, S_INNER_L4, off);
  uint16_t dport = load_be16(h + 2);
  if (outer_key()) {
    key_.tp_src = load_be16(h);
    key_.tp_dst = dport;
  }
  if (describing() || verifying()) {
    CsumStatus cs = l4_csum(off, ulen, 6, kProtoUdp, ip, true, true);
    if (describing()) set_csum(rec, cs);
    if (verifying() && cs == CsumStatus::BAD) flags_ |= FLAG_L4_CSUM_BAD;
  }
  if (depth_ == 0 && load_be16(h + 6) != 0 && holds_partial(pkt_, off, ulen, 6, kProtoUdp, ip))
    flags_ |= FLAG_L4_CSUM_PARTIAL;
  if (ip.fragment) return;  // the payload continues in other fragments
  size_t uend = off + ulen;
  for (uint8_t k = 0; k < opt_.vxlan_count && k < kMaxTunnelPorts; k++)
    if (opt_.vxlan_ports[k] == dport) return vxlan(off + 8, uend);
  for (uint8_t k = 0; k < opt_.geneve_count && k < kMaxTunnelPorts; k++)
    if (opt_.geneve_ports[k] == dport) return geneve(off + 8, uend);
  for (uint8_t k = 0; k < opt_.mpls_udp_count && k < kMaxTunnelPorts; k++)
    if (opt_.mpls_udp_ports[k] == dport) return mpls(off + 8, uend, MplsCarrier::UDP);
}

void Parser::icmp(size_t off, size_t end, const IpInfo& ip, bool v6) {
  if (!need(off, 4, end, DropReason::TRUNCATED_ICMP)) return;
  const uint8_t* h = pkt_.data() + off;
  int rec = enter(v6 ? LayerProto::ICMPV6 : LayerProto::ICMP, off);
  if (rec == -2) return;
  mark(S_L4, S_INNER_L4, off);
  if (outer_key()) {
    key_.tp_src = h[0];
    key_.tp_dst = h[1];
  }
  if (!describing()) return;
  set_csum(rec, l4_csum(off, end - off, 2, kProtoIcmpv6, ip, v6, false));
  if (!ip.fragment && icmp_error(h[0], v6)) icmp_quote(off + 8, end, v6);
}

// describe() only: the IP header (and L4 header) an ICMP error quotes, at the
// ICMP's depth with quoted = 1. Never stops or fails the packet. As tshark:
// a quoted L4 checksum is verified when the quote holds the whole quoted
// datagram, else unverified; a zero UDP checksum is absent.
void Parser::icmp_quote(size_t off, size_t end, bool v6) {
  if (off >= end || !list_) return;
  auto record = [&](LayerProto p, size_t at, CsumStatus cs) {
    if (list_->count >= kMaxLayerRecords || at >= kAbsent) return false;
    LayerRecord& r = list_->rec[list_->count++];
    r.proto = p;
    r.depth = depth_;
    r.csum = cs;
    r.quoted = 1;
    r.offset = uint32_t(at);
    return true;
  };
  ByteView q = pkt_.slice(off, (end < pkt_.size() ? end : pkt_.size()) - off);
  size_t l4 = 0, total = 0;
  uint8_t proto = 0;
  IpInfo ip;
  ip.v6 = v6;
  if (!v6) {
    uint8_t b0;
    if (!q.u8(0, b0) || (b0 >> 4) != 4 || !q.has(0, 20)) return;
    size_t ihl = size_t(b0 & 0x0f) * 4;
    if (ihl < 20 || !q.has(0, ihl)) return;
    const uint8_t* h = q.data();
    CsumStatus cs = csum_fold(csum_add_bytes(0, h, ihl)) == 0xffff ? CsumStatus::GOOD : CsumStatus::BAD;
    if (!record(LayerProto::IPV4, off, cs)) return;
    uint16_t frag = load_be16(h + 6);
    if ((frag & 0x1fff) != 0) return;
    ip.fragment = (frag & 0x2000) != 0;
    ip.src = h + 12;
    ip.dst = h + 16;
    l4 = ihl;
    total = load_be16(h + 2);
    proto = h[9];
  } else {
    uint8_t b0;
    if (!q.u8(0, b0) || (b0 >> 4) != 6 || !q.has(0, 40)) return;
    if (!record(LayerProto::IPV6, off, CsumStatus::NONE)) return;
    const uint8_t* h = q.data();
    ip.src = h + 8;
    ip.dst = h + 24;
    l4 = 40;
    total = 40 + size_t(load_be16(h + 4));
    proto = h[6];
  }
  // The L4 length the quoted IP header states; verifiable only when all quoted.
  size_t l4_len = total > l4 ? total - l4 : 0;
  bool whole = !ip.fragment && total > l4 && q.has(0, total);
  auto verdict = [&](size_t field, uint8_t p, bool with_pseudo, bool udp) {
    uint16_t value = 0;
    q.be16(l4 + field, value);
    if (udp && value == 0) return CsumStatus::ABSENT;
    if (!whole) return CsumStatus::UNVERIFIED;
    uint32_t sum = with_pseudo ? (v6 ? pseudo_sum_v6(ip.src, ip.dst, p, uint32_t(l4_len))
                                     : pseudo_sum_v4(ip.src, ip.dst, p, uint32_t(l4_len)))
                               : 0;
    sum = csum_add_bytes(sum, q.data() + l4, l4_len);
    return csum_fold(sum) == 0xffff ? CsumStatus::GOOD : CsumStatus::BAD;
  };
  switch (proto) {
    case kProtoUdp:
      if (!q.has(l4, 8)) return;
      record(LayerProto::UDP, off + l4, verdict(6, kProtoUdp, true, true));
      return;
    case kProtoTcp:
      if (!q.has(l4, 8)) return;
      record(LayerProto::TCP, off + l4, q.has(l4, 18) ? verdict(16, kProtoTcp, true, false) : CsumStatus::UNVERIFIED);
      return;
    case kProtoIcmp:
    case kProtoIcmpv6:
      if (!q.has(l4, 4)) return;
      record(proto == kProtoIcmp ? LayerProto::ICMP : LayerProto::ICMPV6, off + l4,
             verdict(2, proto, proto == kProtoIcmpv6, false));
      return;
    default:
      return;
  }
}

}  // namespace vs::parse_detail
