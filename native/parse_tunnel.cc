// Parser handlers for tunnel headers: GRE (RFC 2784/2890; version 1 = PPTP,
// RFC 2637, followed into its PPP payload), VXLAN (RFC 7348) and Geneve
// (RFC 8926). MPLS over UDP (RFC 7510) is dispatched from udp() to mpls().
#include "csum.h"
#include "parse_internal.h"

namespace vs::parse_detail {

namespace {
constexpr uint16_t kGreC = 0x8000, kGreR = 0x4000, kGreK = 0x2000, kGreS = 0x1000, kGreAck = 0x0080;
constexpr uint16_t kTransEthernet = 0x6558, kPppProtocol = 0x880b, kWccp = 0x883e;
}  // namespace

//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// |C|R|K|S|s|Recur|A|Flags|Ver|         Protocol Type           |
// |      Checksum (optional)      |       Reserved1 (optional)    |  C or R
// |                         Key (optional)                        |  K
// |                 Sequence Number (optional)                    |  S
void Parser::gre(size_t off, size_t end, const IpInfo& ip) {
  if (!need(off, 4, end, DropReason::TRUNCATED_GRE)) return;
  const uint8_t* h = pkt_.data() + off;
  uint16_t fl = load_be16(h);
  uint16_t proto = load_be16(h + 2);
  uint8_t version = fl & 7;
  if (version > 1) {
    if (enter(LayerProto::GRE, off) == -2) return;
    return fail(DropReason::BAD_GRE_VERSION);
  }
  size_t hlen = 4;
  if (version == 0) {
    hlen += ((fl & (kGreC | kGreR)) ? 4 : 0) + ((fl & kGreK) ? 4 : 0) + ((fl & kGreS) ? 4 : 0);
  } else {
    hlen += 4 + ((fl & kGreS) ? 4 : 0) + ((fl & kGreAck) ? 4 : 0);  // PPTP: key always present
  }
  if (!need(off, hlen, end, DropReason::TRUNCATED_GRE)) return;
  int rec = enter(LayerProto::GRE, off);
  if (rec == -2) return;
  mark(S_L4, S_INNER_L4, off);
  if (version == 1) {
    // PPTP (RFC 2637): PPP frames; followed for display, not a tunnel the datapath terminates.
    if (ip.fragment || proto != kPppProtocol) return;
    depth_++;
    return ppp(off + hlen, end);
  }
  if (describing() && (fl & kGreC)) {
    CsumStatus cs = CsumStatus::UNVERIFIED;
    if (!ip.fragment && pkt_.has(off, end - off))
      cs = csum_fold(csum_add_bytes(0, h, end - off)) == 0xffff ? CsumStatus::GOOD : CsumStatus::BAD;
    set_csum(rec, cs);
  }
  if (fl & kGreR) return;  // RFC 1701 source routing: not followed
  if (ip.fragment) return;
  mark_tunnel(off);
  depth_++;
  if (proto == kTransEthernet) return eth(off + hlen, end);
  if (proto == kWccp) return wccp(off + hlen, end);
  ethertype(proto, off + hlen, end, true);
}

// WCCP redirection (draft-mclaggan-wccp-v2rev1 §4.12): GRE protocol 0x883e
// carries the redirected IPv4 packet, in version 2 after a 4-byte redirect
// header. As tshark, a first nibble of 4 means the IPv4 header comes at once.
void Parser::wccp(size_t off, size_t end) {
  uint8_t first;
  if (!pkt_.u8(off, first)) return;
  ipv4((first >> 4) == 4 ? off : off + 4, end);
}

// |R|R|R|R|I|R|R|R|            Reserved                           |
// |                VXLAN Network Identifier (VNI) |   Reserved    |
void Parser::vxlan(size_t off, size_t end) {
  if (!need(off, 8, end, DropReason::TRUNCATED_VXLAN)) return;
  if (enter(LayerProto::VXLAN, off) == -2) return;
  mark_tunnel(off);
  depth_++;
  eth(off + 8, end);
}

// |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
// |        Virtual Network Identifier (VNI)       |    Reserved   |
// |                    Variable-Length Options                    |
void Parser::geneve(size_t off, size_t end) {
  if (!need(off, 8, end, DropReason::TRUNCATED_GENEVE)) return;
  const uint8_t* h = pkt_.data() + off;
  size_t hlen = 8 + size_t(h[0] & 0x3f) * 4;
  if (!need(off, hlen, end, DropReason::TRUNCATED_GENEVE)) return;
  if (enter(LayerProto::GENEVE, off) == -2) return;
  mark_tunnel(off);
  if ((h[0] >> 6) != 0) return;  // unknown version: payload not followed
  uint16_t proto = load_be16(h + 2);
  depth_++;
  if (proto == kTransEthernet) return eth(off + hlen, end);
  ethertype(proto, off + hlen, end, false);
}

}  // namespace vs::parse_detail
