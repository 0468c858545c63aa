// tunnel_template_load: the one place a template from TypeScript is checked,
// so the per-packet patcher may write at the template's offsets unchecked.
#include <cstring>

#include "batch.h"
#include "tunnel_types.h"

namespace vs {
namespace {

bool check_labels(const TunnelTemplate& t) {
  if (t.n_labels < 1 || t.n_labels > kTunnelMaxLabels || t.mpls_off == kAbsent) return false;
  if (uint32_t(t.mpls_off) + 4u * t.n_labels > t.hdr_len) return false;
  for (uint32_t k = 0; k < t.n_labels; k++) {
    bool bottom = (t.bytes[t.mpls_off + 4 * k + 2] & 1) != 0;
    if (bottom != (k + 1 == t.n_labels)) return false;
  }
  uint32_t after = t.mpls_off + 4u * t.n_labels;
  bool l2 = (t.flags & kTplL2Payload) != 0;
  if (t.hdr_len == after) return true;
  // Only an L2 payload may carry the 4-byte control word (first nibble 0).
  return l2 && t.hdr_len == after + 4 && (t.bytes[after] >> 4) == 0;
}

}  // namespace

Status tunnel_template_load(ByteView bytes, TunnelTemplate* out) {
  if (bytes.size() != sizeof(TunnelTemplate)) return Status::BAD_ARGUMENT;
  TunnelTemplate t;
  std::memcpy(&t, bytes.data(), sizeof t);
  if (t.magic != kTunnelTemplateMagic) return Status::BAD_ARGUMENT;
  if (t.ip_id_policy > uint8_t(IpIdPolicy::GLOBAL) || t.df_policy > uint8_t(DfPolicy::INHERIT) ||
      t.ttl_policy > uint8_t(TtlPolicy::INHERIT) || t.mpls_ttl_policy > uint8_t(TtlPolicy::INHERIT) ||
      t.udp_csum > uint8_t(UdpCsumPolicy::COMPUTE) || (t.flags & ~(kTplIpv6 | kTplL2Payload | kTplSportFold | kTplSportOvsHash)))
    return Status::BAD_ARGUMENT;
  if (t.hdr_len > kTunnelMaxHeader || t.l3_off < 14 || t.l3_off > t.hdr_len) return Status::BAD_ARGUMENT;
  const uint8_t* b = t.bytes;
  bool v6 = (t.flags & kTplIpv6) != 0;
  uint16_t ethertype = load_be16(b + t.l3_off - 2);
  uint8_t l4_proto;
  if (v6) {
    if (ethertype != 0x86DD || t.l3_off + 40u != t.l4_off || t.l4_off > t.hdr_len || (b[t.l3_off] >> 4) != 6)
      return Status::BAD_ARGUMENT;
    l4_proto = b[t.l3_off + 6];
  } else {
    if (ethertype != 0x0800 || t.l3_off + 20u != t.l4_off || t.l4_off > t.hdr_len || b[t.l3_off] != 0x45)
      return Status::BAD_ARGUMENT;
    l4_proto = b[t.l3_off + 9];
  }
  switch (TunnelType(t.type)) {
    case TunnelType::VXLAN:
      if (l4_proto != 17 || t.tnl_off != t.l4_off + 8 || t.hdr_len != t.tnl_off + 8u || t.n_labels != 0 ||
          t.mpls_off != kAbsent || !(t.flags & kTplL2Payload) || (b[t.tnl_off] & 0x08) == 0)
        return Status::BAD_ARGUMENT;
      break;
    case TunnelType::MPLSOUDP:
      if (l4_proto != 17 || t.tnl_off != t.l4_off + 8 || t.mpls_off != t.tnl_off || !check_labels(t))
        return Status::BAD_ARGUMENT;
      break;
    case TunnelType::MPLSOGRE: {
      if (l4_proto != 47 || t.tnl_off != t.l4_off || t.l4_off + 4u > t.hdr_len) return Status::BAD_ARGUMENT;
      uint16_t gre_flags = load_be16(b + t.l4_off), proto = load_be16(b + t.l4_off + 2);
      // Encap writes no GRE checksum or sequence number: only the K bit may be set.
      if ((gre_flags & ~0x2000) != 0 || proto != 0x8847) return Status::BAD_ARGUMENT;
      uint32_t gre_len = (gre_flags & 0x2000) ? 8 : 4;
      if (t.mpls_off != t.l4_off + gre_len || !check_labels(t)) return Status::BAD_ARGUMENT;
      break;
    }
    case TunnelType::GRE: {
      // Ethernet over GRE: K bit only (no checksum or sequence written), protocol 0x6558, no labels.
      if (l4_proto != 47 || t.tnl_off != t.l4_off || t.l4_off + 4u > t.hdr_len || t.n_labels != 0 ||
          t.mpls_off != kAbsent || !(t.flags & kTplL2Payload))
        return Status::BAD_ARGUMENT;
      uint16_t gre_flags = load_be16(b + t.l4_off), proto = load_be16(b + t.l4_off + 2);
      if ((gre_flags & ~0x2000) != 0 || proto != 0x6558) return Status::BAD_ARGUMENT;
      if (t.hdr_len != t.l4_off + ((gre_flags & 0x2000) ? 8u : 4u)) return Status::BAD_ARGUMENT;
      break;
    }
    default:
      return Status::BAD_ARGUMENT;
  }
  if (TunnelType(t.type) != TunnelType::VXLAN && TunnelType(t.type) != TunnelType::GRE && !(t.flags & kTplL2Payload) && t.hdr_len != t.mpls_off + 4u * t.n_labels)
    return Status::BAD_ARGUMENT;
  *out = t;
  return Status::OK;
}

}  // namespace vs
