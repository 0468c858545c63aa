// Legacy UDP fragmentation offload (gso_type UDP, "UFO"): one IPv4 datagram
// whose UDP checksum covers the whole datagram, sent as IPv4 fragments.
#include "bytes.h"
#include "csum.h"
#include "gso_segment.h"
#include "gso_slice.h"

namespace vs {

Status ufo_fragment(const Batch& in, uint32_t i, Batch& out, const GsoOptions& opt, GsoResult* res) {
  *res = GsoResult();
  GsoChain c;
  res->drop = gso_chain_find(in, i, 17, false, &c);
  if (res->drop != DropReason::NONE) return Status::OK;
  if (c.v6 || c.tunnel || c.payload < 8) {
    res->drop = c.payload < 8 ? DropReason::GSO_BAD_HEADERS : DropReason::GSO_TYPE_MISMATCH;
    return Status::OK;
  }
  uint32_t fs = (opt.gso_size ? opt.gso_size : in.u16(COL_GSO_SIZE)[i]) & ~7u;
  if (fs == 0) {
    res->drop = DropReason::GSO_SIZE_TOO_SMALL;
    return Status::OK;
  }
  MutByteView pkt = in.packet(i);
  uint8_t* p = pkt.data();
  // Whole-datagram UDP checksum, computed on the side (the input is not changed).
  uint32_t sum = pseudo_sum_v4(p + c.l3 + 12, p + c.l3 + 16, 17, c.payload);
  sum = csum_add_bytes(sum, p + c.l4, 6);
  sum = csum_add_bytes(sum, p + c.l4 + 8, c.payload - 8);
  uint16_t ck = csum_finish(sum);
  if (ck == 0) ck = 0xFFFF;
  uint16_t id = load_be16(p + c.l3 + 4);
  uint16_t frag0 = load_be16(p + c.l3 + 6) & 0x1FFF;
  OutMark mark = out_mark(out);
  uint32_t k = 0;
  for (uint32_t off = 0; off < c.payload; off += fs, k++) {
    uint32_t plen = c.payload - off < fs ? c.payload - off : fs;
    uint32_t j;
    if (slice_emit(in, i, c.hdr_len, off, plen, out, &j) != Status::OK) {
      out_restore(out, mark);
      *res = GsoResult();
      return Status::OUTPUT_FULL;
    }
    uint8_t* s = out.packet(j).data();
    bool last = off + plen >= c.payload;
    store_be16(s + c.l3 + 6, uint16_t((frag0 + (off >> 3)) | (last ? 0 : 0x2000)));
    fix_ipv4(s + c.l3, c.hdr_len + plen - c.l3, id);
    if (k == 0) {
      store_be16(s + c.l4 + 6, ck);
    } else {
      out.u16(COL_L4)[j] = kAbsent;
      out.u32(COL_FLAGS)[j] |= FLAG_IP_FRAGMENT;
    }
    if (!last) out.u32(COL_FLAGS)[j] |= FLAG_IP_FRAGMENT;
    out.u32(COL_FLAGS)[j] &= ~uint32_t(FLAG_NEEDS_CSUM | FLAG_L4_CSUM_PARTIAL);
  }
  res->segments = k;
  return Status::OK;
}

}  // namespace vs
