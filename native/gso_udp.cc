// UDP segmentation offload (gso_type UDP_L4, "USO"): each segment its own
// datagram, at most kUsoMaxSegments.
#include "bytes.h"
#include "gso_segment.h"
#include "gso_slice.h"

namespace vs {

Status gso_udp(const Batch& in, uint32_t i, Batch& out, const GsoOptions& opt, GsoResult* res) {
  *res = GsoResult();
  GsoChain c;
  res->drop = gso_chain_find(in, i, 17, true, &c);
  if (res->drop != DropReason::NONE) return Status::OK;
  uint32_t mss = opt.gso_size ? opt.gso_size : in.u16(COL_GSO_SIZE)[i];
  if (mss == 0) {
    res->drop = DropReason::GSO_SIZE_TOO_SMALL;
    return Status::OK;
  }
  uint32_t nseg = c.payload == 0 ? 1 : (c.payload + mss - 1) / mss;
  if (nseg > kUsoMaxSegments) {
    res->drop = DropReason::GSO_TOO_MANY_SEGMENTS;
    return Status::OK;
  }
  const uint8_t* p = in.packet(i).data();
  uint16_t id0 = c.v6 ? 0 : load_be16(p + c.l3 + 4);
  uint16_t o_id0 = (c.tunnel && !c.o_v6) ? load_be16(p + c.o_l3 + 4) : 0;
  bool partial = opt.partial_csum && !c.o_udp_csum && !c.o_gre_csum;
  OutMark mark = out_mark(out);
  for (uint32_t k = 0; k < nseg; k++) {
    uint32_t off = k * mss;
    uint32_t plen = c.payload - off < mss ? c.payload - off : mss;
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
      fix_ipv4(s + c.l3, end - c.l3, uint16_t(id0 + k));
    }
    store_be16(s + c.l4 + 4, uint16_t(end - c.l4));
    seg_l4_csum(out, j, c, partial, ZeroFold::MANGLE);
    if (c.tunnel) seg_fix_outer(out, j, c, uint16_t(o_id0 + k));
  }
  res->segments = nseg;
  return Status::OK;
}

}  // namespace vs
