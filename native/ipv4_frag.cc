#include "ipv4_frag.h"

#include <cstring>

#include "csum_complete.h"
#include "gso_slice.h"

namespace vs {

namespace {

// RFC 791 options of a non-first fragment: options without the copied bit
// (0x80) become NOOPs (1), as Linux ip_options_fragment does.
void options_fragment(uint8_t* opt, uint32_t len) {
  uint32_t k = 0;
  while (k < len) {
    uint8_t t = opt[k];
    if (t == 0) break;  // end of option list
    if (t == 1) {
      k++;
      continue;
    }
    if (k + 1 >= len) break;
    uint32_t l = opt[k + 1];
    if (l < 2 || k + l > len) break;
    if (!(t & 0x80)) std::memset(opt + k, 1, l);
    k += l;
  }
}

}  // namespace

Status ipv4_fragment(const Batch& in, uint32_t i, uint32_t mtu, Batch& out, FragResult* res) {
  *res = FragResult();
  if (!in.packet_valid(i)) {
    res->drop = DropReason::BAD_PACKET_SLOT;
    return Status::OK;
  }
  if (in.u32(COL_LENGTH)[i] < in.u32(COL_WIRE_LENGTH)[i]) {
    res->drop = DropReason::TRUNCATED_CAPTURE;
    return Status::OK;
  }
  MutByteView pkt = in.packet(i);
  uint16_t l3 = in.u16(COL_L3)[i];
  uint8_t vihl;
  if (l3 == kAbsent || !pkt.view().u8(l3, vihl) || (vihl >> 4) != 4 || (vihl & 15) < 5 || !pkt.has(l3, 20)) {
    res->drop = DropReason::GSO_BAD_HEADERS;
    return Status::OK;
  }
  uint32_t ihl = uint32_t(vihl & 15) * 4;
  uint16_t tot = 0;
  pkt.view().be16(l3 + 2, tot);
  if (tot < ihl || !pkt.has(l3, tot)) {
    res->drop = DropReason::GSO_BAD_HEADERS;
    return Status::OK;
  }
  if (mtu < ihl + 8) {
    res->drop = DropReason::FRAG_MTU_TOO_SMALL;
    return Status::OK;
  }
  if (in.u32(COL_FLAGS)[i] & FLAG_NEEDS_CSUM) {
    DropReason r = csum_complete_packet(in, i, ZeroFold::MANGLE);
    if (r != DropReason::NONE) {
      res->drop = r;
      return Status::OK;
    }
  }
  uint32_t hdr_len = l3 + ihl, payload = tot - ihl;
  uint16_t fo = load_be16(pkt.data() + l3 + 6);
  bool orig_mf = fo & 0x2000;
  uint16_t keep = fo & 0x4000 /* DF */, off0 = fo & 0x1FFF;
  uint16_t id = load_be16(pkt.data() + l3 + 4);
  uint32_t max_data = tot <= mtu ? payload : (mtu - ihl) & ~7u;
  OutMark mark = out_mark(out);
  uint32_t k = 0, off = 0;
  do {
    uint32_t plen = payload - off > max_data ? max_data : payload - off;
    bool last = off + plen >= payload;
    uint32_t j;
    if (slice_emit(in, i, hdr_len, off, plen, out, &j) != Status::OK) {
      out_restore(out, mark);
      *res = FragResult();
      return Status::OUTPUT_FULL;
    }
    uint8_t* s = out.packet(j).data();
    if (k > 0) options_fragment(s + l3 + 20, ihl - 20);
    bool mf = !last || orig_mf;
    store_be16(s + l3 + 6, uint16_t(keep | (mf ? 0x2000 : 0) | ((off0 + (off >> 3)) & 0x1FFF)));
    fix_ipv4(s + l3, ihl + plen, id);
    if (k > 0) out.u16(COL_L4)[j] = kAbsent;
    if (k > 0 || mf) out.u32(COL_FLAGS)[j] |= FLAG_IP_FRAGMENT;
    out.u16(COL_GSO_TYPE)[j] = 0;
    out.u16(COL_GSO_SIZE)[j] = 0;
    off += plen;
    k++;
  } while (off < payload);
  res->fragments = k;
  return Status::OK;
}

}  // namespace vs
