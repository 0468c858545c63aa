#include "reassembly.h"

#include <cstring>

#include "bytes.h"
#include "csum.h"

namespace vs {

void Reassembler::drop(Iter it) {
  bytes_ -= it->second.held_bytes;
  table_.erase(it);
}

Status Reassembler::pass_through(const Batch& in, uint32_t i, Batch& out, ReasmResult* res) {
  ByteView p = in.packet(i).view();
  uint32_t len = in.u32(COL_LENGTH)[i];
  if (out.append(p.data(), len, in.u32(COL_WIRE_LENGTH)[i], in.u32(COL_TS_SEC)[i], in.u32(COL_TS_NSEC)[i],
                 in.u32(COL_IN_PORT)[i]) != Status::OK)
    return Status::OUTPUT_FULL;
  uint32_t j = out.count() - 1;
  for (Column c : {COL_FLAGS, COL_HASH, COL_TUN_ID, COL_NEXT}) out.u32(c)[j] = in.u32(c)[i];
  for (Column c : {COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4, COL_GSO_TYPE,
                   COL_GSO_SIZE, COL_CSUM_START, COL_CSUM_OFFSET})
    out.u16(c)[j] = in.u16(c)[i];
  std::memcpy(out.key(j), in.key(i), sizeof(FlowKey));
  res->emitted = true;
  return Status::OK;
}

Reassembler::Datagram* Reassembler::lookup(const Key& key, uint32_t dlen, uint64_t now_ns, ReasmResult* res,
                                           Iter* out_it) {
  auto it = table_.find(key);
  if (it == table_.end() && table_.size() >= lim_.max_datagrams) {
    res->drop = DropReason::REASM_TOO_MANY_DATAGRAMS;
    res->dropped_fragments = 1;
    return nullptr;
  }
  if (bytes_ + dlen > lim_.max_bytes) {
    res->drop = DropReason::REASM_TOO_MANY_BYTES;
    res->dropped_fragments = 1;
    return nullptr;
  }
  if (it == table_.end()) {
    it = table_.emplace(key, Datagram()).first;
    it->second.first_ns = now_ns;
    it->second.v6 = std::get<0>(key) == 6;
  }
  *out_it = it;
  return &it->second;
}

Reassembler::Step Reassembler::insert(Iter it, uint32_t start, uint32_t end, bool mf, const uint8_t* data,
                                      ReasmResult* res) {
  Datagram& d = it->second;
  auto overlap = [&]() {
    res->drop = DropReason::REASM_OVERLAP;
    res->dropped_fragments = uint32_t(d.ranges.size()) + 1;
    drop(it);
    return Step::DROPPED;
  };
  for (const Range& r : d.ranges) {
    if (r.start == start && r.end == end) {
      res->drop = DropReason::REASM_DUPLICATE;
      res->dropped_fragments = 1;
      return Step::DROPPED;
    }
    if (start < r.end && r.start < end) return overlap();
  }
  if (!mf) {
    if (d.have_last || end < d.total) return overlap();
    // Data already held beyond this last fragment's end.
    if (!d.ranges.empty() && d.ranges.back().end > end) return overlap();
    d.have_last = true;
    d.total = end;
  }
  if (d.have_last && end > d.total) return overlap();
  uint32_t dlen = end - start;
  if (d.data.size() < end) d.data.resize(end);
  if (dlen) std::memcpy(d.data.data() + start, data, dlen);
  auto pos = d.ranges.begin();
  while (pos != d.ranges.end() && pos->start < start) ++pos;
  d.ranges.insert(pos, Range{start, end});
  d.held_bytes += dlen;
  bytes_ += dlen;
  res->held = true;
  return Step::HELD;
}

bool Reassembler::complete(const Datagram& d) {
  if (!d.have_last || d.head.empty()) return false;
  uint32_t reach = 0;
  for (const Range& r : d.ranges) {
    if (r.start != reach) return false;
    reach = r.end;
  }
  return reach == d.total;
}

Status Reassembler::emit(const Batch& in, uint32_t i, const std::vector<uint8_t>& whole, uint32_t l3, uint32_t l4,
                         Batch& out, ReasmResult* res) {
  uint32_t len = uint32_t(whole.size());
  if (out.append(whole.data(), len, len, in.u32(COL_TS_SEC)[i], in.u32(COL_TS_NSEC)[i], in.u32(COL_IN_PORT)[i]) !=
      Status::OK)
    return Status::OUTPUT_FULL;
  uint32_t j = out.count() - 1;
  out.u16(COL_L2)[j] = l3 >= 14 ? 0 : kAbsent;
  out.u16(COL_L3)[j] = uint16_t(l3);
  out.u16(COL_L4)[j] = uint16_t(l4);
  out.u32(COL_HASH)[j] = in.u32(COL_HASH)[i];
  out.u32(COL_TUN_ID)[j] = in.u32(COL_TUN_ID)[i];
  out.u32(COL_FLAGS)[j] = in.u32(COL_FLAGS)[i] & ~uint32_t(FLAG_PARSED | FLAG_IP_FRAGMENT);
  res->emitted = true;
  return Status::OK;
}

Status Reassembler::feed(const Batch& in, uint32_t i, uint64_t now_ns, Batch& out, ReasmResult* res) {
  *res = ReasmResult();
  if (!in.packet_valid(i)) {
    res->drop = DropReason::BAD_PACKET_SLOT;
    res->dropped_fragments = 1;
    return Status::OK;
  }
  ByteView p = in.packet(i).view();
  uint16_t l3 = in.u16(COL_L3)[i];
  uint8_t vihl = 0;
  uint16_t tot = 0, fo = 0;
  if (l3 != kAbsent && p.u8(l3, vihl) && (vihl >> 4) == 6) return feed6(in, i, now_ns, out, res);
  if (l3 == kAbsent || (vihl >> 4) != 4 || !p.be16(l3 + 6u, fo) || !(fo & 0x3FFF))
    return pass_through(in, i, out, res);  // not an IPv4 fragment
  uint32_t ihl = uint32_t(vihl & 15) * 4;
  if (ihl < 20 || !p.be16(l3 + 2u, tot) || tot < ihl || !p.has(l3, tot)) {
    res->drop = DropReason::TRUNCATED_CAPTURE;
    res->dropped_fragments = 1;
    return Status::OK;
  }
  uint32_t start = uint32_t(fo & 0x1FFF) * 8, dlen = tot - ihl, end = start + dlen;
  bool mf = fo & 0x2000;
  if ((mf && (dlen % 8 || dlen == 0)) || ihl + end > 65535) {
    res->drop = DropReason::REASM_BAD_FRAGMENT;
    res->dropped_fragments = 1;
    return Status::OK;
  }
  const uint8_t* ip = p.data() + l3;
  Addr src{}, dst{};
  std::memcpy(src.data(), ip + 12, 4);
  std::memcpy(dst.data(), ip + 16, 4);
  Key key{4, src, dst, ip[9], load_be16(ip + 4)};
  Iter it;
  Datagram* d = lookup(key, dlen, now_ns, res, &it);
  if (!d) return Status::OK;
  if (insert(it, start, end, mf, ip + ihl, res) == Step::DROPPED) return Status::OK;
  if (start == 0) {
    d->head.assign(p.data(), p.data() + l3 + ihl);
    d->l3 = l3;
  }
  if (!complete(*d)) return Status::OK;
  res->held = false;
  uint32_t hl = uint32_t(d->head.size());
  if (hl - d->l3 + d->total > 65535) {
    // The first fragment's options take the datagram past 65535 bytes.
    res->drop = DropReason::REASM_BAD_FRAGMENT;
    res->dropped_fragments = uint32_t(d->ranges.size());
    drop(it);
    return Status::OK;
  }
  std::vector<uint8_t> whole(hl + d->total);
  std::memcpy(whole.data(), d->head.data(), hl);
  if (d->total) std::memcpy(whole.data() + hl, d->data.data(), d->total);
  uint32_t l3_out = d->l3;
  uint8_t* h = whole.data() + l3_out;
  store_be16(h + 2, uint16_t(hl - l3_out + d->total));
  store_be16(h + 6, uint16_t(load_be16(h + 6) & 0x4000));
  store_be16(h + 10, 0);
  store_be16(h + 10, ipv4_header_checksum(h, size_t(h[0] & 15) * 4));
  drop(it);
  return emit(in, i, whole, l3_out, l3_out + uint32_t(h[0] & 15) * 4, out, res);
}

uint32_t Reassembler::expire(uint64_t now_ns, std::vector<ReasmExpired>* expired) {
  uint32_t n = 0;
  for (auto it = table_.begin(); it != table_.end();) {
    uint64_t timeout = it->second.v6 ? lim_.timeout6_ns : lim_.timeout_ns;
    if (now_ns >= it->second.first_ns && now_ns - it->second.first_ns >= timeout) {
      if (expired) expired->push_back({uint32_t(it->second.ranges.size()), it->second.held_bytes});
      auto next = std::next(it);
      drop(it);
      it = next;
      n++;
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace vs
