#include "tunnel_encap.h"

#include <cstring>

#include "csum.h"
#include "tunnel_inner.h"
#include "tunnel_ovs_hash.h"
#include "udp_src_port.h"

namespace vs {
namespace {

constexpr uint32_t kFlagsClearedByEncap = FLAG_PARSED | FLAG_VLAN | FLAG_QINQ | FLAG_MPLS | FLAG_IP_FRAGMENT |
                                          FLAG_L4_CSUM_PARTIAL | FLAG_IP_LENGTH_FROM_FRAME | FLAG_MALFORMED;

inline uint16_t shifted(uint16_t off, uint32_t delta) {
  if (off == kAbsent) return kAbsent;
  uint32_t v = uint32_t(off) + delta;
  return v < kAbsent ? uint16_t(v) : kAbsent;
}

// Template-derived switches, computed per call (a few flag tests).
struct TplInfo {
  bool v6, l2_payload, compute_udp, fold, ovs_hash, gre, vlan;
  explicit TplInfo(const TunnelTemplate& t) {
    v6 = (t.flags & kTplIpv6) != 0;
    l2_payload = (t.flags & kTplL2Payload) != 0;
    gre = TunnelType(t.type) == TunnelType::MPLSOGRE || TunnelType(t.type) == TunnelType::GRE;
    compute_udp = t.udp_csum == uint8_t(UdpCsumPolicy::COMPUTE) && !gre;
    fold = (t.flags & kTplSportFold) != 0;
    ovs_hash = (t.flags & kTplSportOvsHash) != 0;
    vlan = t.l3_off == 18;
  }
};

// Accumulates an RFC 1624 change of one 16-bit word: ~m + m'.
inline uint32_t word_change(uint16_t old_word, uint16_t new_word) { return uint32_t(uint16_t(~old_word)) + new_word; }

void patch_ipv4(uint8_t* ip, const TunnelTemplate& t, TunnelState& state, uint16_t* global_id, const InnerInfo& in,
                uint32_t total_len) {
  // Fields written per packet, then the template's checksum updated once
  // (RFC 1624 eq. 3 over every changed word: HC' = ~(~HC + sum(~m + m'))).
  uint32_t acc = uint16_t(~load_be16(ip + 10));
  uint16_t id = 0;
  switch (IpIdPolicy(t.ip_id_policy)) {
    case IpIdPolicy::ZERO:
      break;
    case IpIdPolicy::COPY_INNER:
      if (in.ip_version == 4) {
        id = in.ip_id;
        break;
      }
      [[fallthrough]];
    case IpIdPolicy::COUNTER:
      id = state.ip_id++;
      break;
    case IpIdPolicy::GLOBAL: {
      uint16_t& g = global_id ? *global_id : state.ip_id;
      do g = uint16_t(g + 1); while (g == 0);
      id = g;
      break;
    }
  }
  bool df = false;
  switch (DfPolicy(t.df_policy)) {
    case DfPolicy::CLEAR: df = false; break;
    case DfPolicy::SET: df = true; break;
    case DfPolicy::INHERIT: df = in.ip_version == 6 || (in.ip_version == 4 && in.df); break;
  }
  uint16_t frag = load_be16(ip + 6);
  uint16_t new_frag = df ? uint16_t(frag | 0x4000) : uint16_t(frag & ~0x4000);
  acc += word_change(load_be16(ip + 2), uint16_t(total_len));
  acc += word_change(load_be16(ip + 4), id);
  acc += word_change(frag, new_frag);
  store_be16(ip + 2, uint16_t(total_len));
  store_be16(ip + 4, id);
  store_be16(ip + 6, new_frag);
  if (TtlPolicy(t.ttl_policy) == TtlPolicy::INHERIT && in.ip_version != 0) {
    uint16_t old_word = load_be16(ip + 8);
    ip[8] = in.ttl;
    acc += word_change(old_word, load_be16(ip + 8));
  }
  store_be16(ip + 10, uint16_t(~csum_fold(acc)));
}

}  // namespace

TunnelEncapBatch::TunnelEncapBatch(const Batch& b)
    : data(b.data_area()), data_size(b.header().data_size), count(b.count()), off(b.u32(COL_OFFSET)),
      len(b.u32(COL_LENGTH)), wire(b.u32(COL_WIRE_LENGTH)), slot_start(b.u32(COL_SLOT_START)),
      slot_end(b.u32(COL_SLOT_END)), hash(b.u32(COL_HASH)), flags(b.u32(COL_FLAGS)), l2(b.u16(COL_L2)),
      l2_5(b.u16(COL_L2_5)), l3(b.u16(COL_L3)), l4(b.u16(COL_L4)), tnl(b.u16(COL_TNL)), il2(b.u16(COL_INNER_L2)),
      il3(b.u16(COL_INNER_L3)), il4(b.u16(COL_INNER_L4)), csum_start(b.u16(COL_CSUM_START)) {}

DropReason TunnelEncapBatch::encap(uint32_t i, const TunnelTemplate& t, TunnelState& state,
                                   uint16_t* global_id) const {
  if (i >= count) return DropReason::TRUNCATED_CAPTURE;
  const TunnelEncapBatch& c = *this;  // the columns, named as in the per-packet code below
  const TplInfo ti(t);
  uint64_t start = c.slot_start[i], o = c.off[i], n = c.len[i];
  if (!(start <= o && o + n <= c.slot_end[i] && c.slot_end[i] <= c.data_size)) return DropReason::TRUNCATED_CAPTURE;
  ByteView frame(c.data + o, n);
  InnerInfo in;
  if (!tunnel_inspect_inner(frame, &in)) return n < 14 ? DropReason::TRUNCATED_ETHERNET : DropReason::TRUNCATED_VLAN;
  if (!ti.l2_payload && in.ip_version == 0) return DropReason::TUNNEL_PAYLOAD_NOT_IP;
  if (c.hash[i] == 0) c.hash[i] = tunnel_flow_hash(frame, in);
  // OVS mode: the 5-tuple hash of the frame as it is before the push (an L3
  // payload's Ethernet header is overwritten below); COL_HASH is left alone
  uint32_t sport_hash = ti.ovs_hash && !ti.gre ? ovs_hash_5tuple(frame, c.wire[i]) : c.hash[i];

  uint32_t strip = ti.l2_payload ? 0 : in.l3;  // the inner Ethernet header and tags of an L3 payload
  uint32_t wire = c.wire[i];
  uint32_t inner_wire = wire >= strip ? wire - strip : 0;
  uint32_t ip_len = t.hdr_len - t.l3_off + inner_wire;
  if ((ti.v6 ? ip_len - 40 : ip_len) > 0xFFFF) return DropReason::TUNNEL_TOO_BIG;
  if (o - start + strip < t.hdr_len) return DropReason::HEAD_SPACE_RESERVE_FAIL;
  if (ti.compute_udp && n < wire) return DropReason::TRUNCATED_CAPTURE;

  // Move the start back into the headroom (Batch::push_head / pull_head, inlined).
  uint32_t new_off = uint32_t(o + strip - t.hdr_len);
  uint32_t delta = t.hdr_len - strip;
  c.off[i] = new_off;
  c.len[i] = uint32_t(n + delta);
  c.wire[i] = inner_wire + t.hdr_len;
  uint8_t* p = c.data + new_off;
  // The usual VXLAN sizes as constant-size copies (inlined; a variable size is a library call).
  if (t.hdr_len == 50) std::memcpy(p, t.bytes, 50);        // Ethernet, IPv4, UDP, VXLAN
  else if (t.hdr_len == 70) std::memcpy(p, t.bytes, 70);   // the same over IPv6
  else std::memcpy(p, t.bytes, t.hdr_len);
  uint8_t* ip = p + t.l3_off;
  uint8_t inner_ttl = in.ttl;

  if (ti.v6) {
    store_be16(ip + 4, uint16_t(ip_len - 40));
    if (TtlPolicy(t.ttl_policy) == TtlPolicy::INHERIT && in.ip_version != 0) ip[7] = inner_ttl;
  } else {
    patch_ipv4(ip, t, state, global_id, in, ip_len);
  }

  if (t.mpls_off != kAbsent && TtlPolicy(t.mpls_ttl_policy) == TtlPolicy::INHERIT && in.ip_version != 0)
    for (uint32_t k = 0; k < t.n_labels; k++) p[t.mpls_off + 4 * k + 3] = inner_ttl;

  if (!ti.gre) {
    uint8_t* udp = p + t.l4_off;
    uint32_t udp_len = ip_len - (t.l4_off - t.l3_off);
    store_be16(udp, udp_src_port(sport_hash, t.sport_min, t.sport_max, ti.fold));
    store_be16(udp + 4, uint16_t(udp_len));
    if (ti.compute_udp) {
      uint32_t sum = ti.v6 ? pseudo_sum_v6(ip + 8, ip + 24, 17, udp_len) : pseudo_sum_v4(ip + 12, ip + 16, 17, udp_len);
      sum = csum_add_bytes(sum, udp, c.len[i] - t.l4_off);
      uint16_t v = csum_finish(sum);
      store_be16(udp + 6, v == 0 ? 0xFFFF : v);
    }
  }

  // Layer columns and flags for the stages that follow.
  c.l2[i] = 0;
  c.l2_5[i] = t.mpls_off;
  c.l3[i] = t.l3_off;
  c.l4[i] = t.l4_off;
  c.tnl[i] = t.tnl_off;
  c.il2[i] = ti.l2_payload ? t.hdr_len : kAbsent;
  c.il3[i] = shifted(in.l3, delta);
  c.il4[i] = shifted(in.l4, delta);
  uint32_t f = c.flags[i];
  if (f & FLAG_NEEDS_CSUM) c.csum_start[i] = shifted(c.csum_start[i], delta);
  f &= ~kFlagsClearedByEncap;
  f |= FLAG_TUNNEL;
  if (ti.vlan) f |= FLAG_VLAN;
  if (t.mpls_off != kAbsent) f |= FLAG_MPLS;
  c.flags[i] = f;
  return DropReason::NONE;
}

DropReason tunnel_encap_packet(Batch& batch, uint32_t i, const TunnelTemplate& t, TunnelState& state,
                               uint16_t* global_id) {
  return TunnelEncapBatch(batch).encap(i, t, state, global_id);
}

uint32_t tunnel_encap_batch(Batch& batch, const TunnelTemplate* templates, TunnelState* states,
                            uint32_t n_templates, const uint16_t* select, uint16_t* global_id) {
  uint32_t done = 0;
  if (n_templates == 0) return 0;
  const uint16_t* drop = batch.u16(COL_DROP);
  const TunnelEncapBatch enc(batch);
  for (uint32_t i = 0; i < batch.count(); i++) {
    uint32_t k = select ? select[i] : 0;
    if (drop[i] || k >= n_templates) continue;
    DropReason r = enc.encap(i, templates[k], states[k], global_id);
    if (r == DropReason::NONE) done++; else batch.mark_drop(i, uint16_t(r));
  }
  return done;
}

uint32_t tunnel_roofline_batch(Batch& batch, const uint8_t* hdr, uint32_t hdr_len) {
  uint32_t done = 0;
  for (uint32_t i = 0; i < batch.count(); i++) {
    if (batch.push_head(i, hdr_len) != Status::OK) continue;
    std::memcpy(batch.data_area() + batch.u32(COL_OFFSET)[i], hdr, hdr_len);
    done++;
  }
  return done;
}

}  // namespace vs
