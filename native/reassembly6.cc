// IPv6 half of Reassembler::feed (RFC 8200 section 4.5, RFC 5722, RFC 6946,
// RFC 7112); the rules are in reassembly.h.
#include <cstring>

#include "bytes.h"
#include "reassembly.h"

namespace vs {

namespace {

constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kAh = 51, kDestOpts = 60, kNoNext = 59;

// Bytes of the upper-layer header a first fragment must hold (Linux
// ipv6_frag_thdr_truncated: TCP 20, UDP 8, ICMPv6 8, anything else 1).
uint32_t upper_header_bytes(uint8_t nh) {
  switch (nh) {
    case 6:
      return 20;
    case 17:
    case 58:
      return 8;
    case kNoNext:
      return 0;
    default:
      return 1;
  }
}

// True when data (the fragmentable part of a first fragment, starting with
// next header nh) holds every extension header and the upper-layer header.
bool chain_complete(ByteView data, uint8_t nh) {
  size_t off = 0;
  for (;;) {
    if (nh == kHopByHop || nh == kRouting || nh == kDestOpts || nh == kAh || nh == kFragment) {
      uint8_t next = 0, hl = 0;
      if (!data.u8(off, next) || !data.u8(off + 1, hl)) return false;
      size_t len = nh == kAh ? (size_t(hl) + 2) * 4 : nh == kFragment ? 8 : (size_t(hl) + 1) * 8;
      if (!data.has(off, len)) return false;
      off += len;
      nh = next;
      continue;
    }
    return data.has(off, upper_header_bytes(nh));
  }
}

}  // namespace

Status Reassembler::feed6(const Batch& in, uint32_t i, uint64_t now_ns, Batch& out, ReasmResult* res) {
  ByteView p = in.packet(i).view();
  uint32_t l3 = in.u16(COL_L3)[i];
  auto fail = [&](DropReason why) {
    res->drop = why;
    res->dropped_fragments = 1;
    return Status::OK;
  };
  uint16_t plen = 0;
  if (!p.has(l3, 40) || !p.be16(l3 + 4, plen)) return pass_through(in, i, out, res);
  const uint8_t* ip = p.data() + l3;
  // The unfragmentable part: extension headers up to the fragment header.
  uint8_t nh = ip[6];
  uint32_t nh_at = 6, off = 40;
  while (nh == kHopByHop || nh == kRouting || nh == kDestOpts) {
    uint8_t next = 0, hl = 0;
    if (!p.u8(l3 + off, next) || !p.u8(l3 + off + 1, hl)) return fail(DropReason::TRUNCATED_IPV6_EXTENSION);
    uint32_t len = (uint32_t(hl) + 1) * 8;
    if (!p.has(l3 + off, len)) return fail(DropReason::TRUNCATED_IPV6_EXTENSION);
    nh_at = off;
    off += len;
    nh = next;
  }
  if (nh != kFragment) return pass_through(in, i, out, res);
  if (!p.has(l3 + off, 8)) return fail(DropReason::TRUNCATED_IPV6_EXTENSION);
  if (plen == 0) return fail(DropReason::REASM_BAD_FRAGMENT);  // jumbogram with a fragment header
  if (40u + plen < off + 8) return fail(DropReason::TRUNCATED_IPV6_EXTENSION);
  if (!p.has(l3, 40u + plen)) return fail(DropReason::TRUNCATED_CAPTURE);
  const uint8_t* fh = ip + off;
  uint8_t fnh = fh[0];
  uint16_t fo = load_be16(fh + 2);
  uint32_t id = load_be32(fh + 4);
  uint32_t start = fo & 0xFFF8u, dstart = off + 8, dlen = 40u + plen - dstart, end = start + dlen;
  bool mf = fo & 1;
  uint32_t unfrag_ext = off - 40;  // extension bytes kept in the reassembled packet

  if (start == 0 && !mf) {
    // Atomic fragment (RFC 6946): delivered alone, fragment header removed.
    std::vector<uint8_t> whole(l3 + off + dlen);
    std::memcpy(whole.data(), p.data(), l3 + off);
    if (dlen) std::memcpy(whole.data() + l3 + off, ip + dstart, dlen);
    whole[l3 + nh_at] = fnh;
    store_be16(whole.data() + l3 + 4, uint16_t(plen - 8));
    return emit(in, i, whole, l3, l3 + off, out, res);
  }
  if ((mf && (dlen % 8 || dlen == 0)) || unfrag_ext + end > 65535) return fail(DropReason::REASM_BAD_FRAGMENT);
  if (start == 0 && !chain_complete(ByteView(ip + dstart, dlen), fnh))
    return fail(DropReason::REASM_INCOMPLETE_CHAIN);

  Addr src{}, dst{};
  std::memcpy(src.data(), ip + 8, 16);
  std::memcpy(dst.data(), ip + 24, 16);
  Key key{6, src, dst, 0, id};
  Iter it;
  Datagram* d = lookup(key, dlen, now_ns, res, &it);
  if (!d) return Status::OK;
  if (insert(it, start, end, mf, ip + dstart, res) == Step::DROPPED) return Status::OK;
  if (start == 0) {
    d->head.assign(p.data(), p.data() + l3 + off);
    d->l3 = l3;
    d->nh_at = l3 + nh_at;
    d->nh = fnh;
  }
  if (!complete(*d)) return Status::OK;
  res->held = false;
  uint32_t hl = uint32_t(d->head.size());
  uint32_t payload = hl - d->l3 - 40 + d->total;
  if (payload > 65535) {
    // The first fragment's extension headers take the payload past 65535 bytes.
    res->drop = DropReason::REASM_BAD_FRAGMENT;
    res->dropped_fragments = uint32_t(d->ranges.size());
    drop(it);
    return Status::OK;
  }
  std::vector<uint8_t> whole(hl + d->total);
  std::memcpy(whole.data(), d->head.data(), hl);
  if (d->total) std::memcpy(whole.data() + hl, d->data.data(), d->total);
  whole[d->nh_at] = d->nh;
  uint32_t l3_out = d->l3;
  store_be16(whole.data() + l3_out + 4, uint16_t(payload));
  drop(it);
  return emit(in, i, whole, l3_out, hl, out, res);
}

}  // namespace vs
