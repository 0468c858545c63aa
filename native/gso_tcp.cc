// TCP segmentation (gso_type TCPV4 / TCPV6), plain or inside a tunnel.
#include "bytes.h"
#include "gso_segment.h"
#include "gso_slice.h"

namespace vs {

namespace {
constexpr uint8_t kFin = 0x01, kPsh = 0x08, kCwr = 0x80;
}

Status gso_tcp(const Batch& in, uint32_t i, Batch& out, const GsoOptions& opt, GsoResult* res) {
  *res = GsoResult();
  GsoChain c;
  res->drop = gso_chain_find(in, i, 6, true, &c);
  if (res->drop != DropReason::NONE) return Status::OK;
  uint8_t type = uint8_t(in.u16(COL_GSO_TYPE)[i] & ~0x80);
  if ((type == 1 && c.v6) || (type == 4 && !c.v6)) {
    res->drop = DropReason::GSO_TYPE_MISMATCH;
    return Status::OK;
  }
  uint32_t mss = opt.gso_size ? opt.gso_size : in.u16(COL_GSO_SIZE)[i];
  if (mss == 0) {
    res->drop = DropReason::GSO_SIZE_TOO_SMALL;
    return Status::OK;
  }
  const uint8_t* p = in.packet(i).data();
  uint32_t seq0 = load_be32(p + c.l4 + 4);
  uint8_t flags0 = p[c.l4 + 13];
  uint16_t id0 = c.v6 ? 0 : load_be16(p + c.l3 + 4);
  bool df = !c.v6 && (p[c.l3 + 6] & 0x40);
  bool fixed_id = opt.fixed_id && df;
  uint16_t o_id0 = (c.tunnel && !c.o_v6) ? load_be16(p + c.o_l3 + 4) : 0;
  bool partial = opt.partial_csum && !c.o_udp_csum && !c.o_gre_csum;
  OutMark mark = out_mark(out);
  uint32_t k = 0;
  for (uint32_t off = 0; off < c.payload || (off == 0 && c.payload == 0); off += mss, k++) {
    uint32_t plen = c.payload - off < mss ? c.payload - off : mss;
    bool last = off + plen >= c.payload;
    uint32_t j;
    if (slice_emit(in, i, c.hdr_len, off, plen, out, &j) != Status::OK) {
      out_restore(out, mark);
      *res = GsoResult();
      return Status::OUTPUT_FULL;
    }
    uint8_t* s = out.packet(j).data();
    uint32_t end = c.hdr_len + plen;
    if (c.v6) {
      fix_ipv6(s + c.l3, end - c.l3);
    } else {
      fix_ipv4(s + c.l3, end - c.l3, uint16_t(fixed_id ? id0 : id0 + k));
    }
    store_be32(s + c.l4 + 4, seq0 + off);
    uint8_t f = flags0;
    if (!last) f &= uint8_t(~(kFin | kPsh));
    if (k > 0 && opt.profile == GsoProfile::LINUX) f &= uint8_t(~kCwr);
    s[c.l4 + 13] = f;
    seg_l4_csum(out, j, c, partial, ZeroFold::KEEP);
    if (c.tunnel) seg_fix_outer(out, j, c, uint16_t(o_id0 + k));
    if (last) {
      k++;
      break;
    }
  }
  res->segments = k;
  return Status::OK;
}

}  // namespace vs
