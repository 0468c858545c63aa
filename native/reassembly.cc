#include "reassembly.h"

#include <cstring>

#include "bytes.h"
#include "csum.h"

namespace vs {

void Reassembler::drop(std::map<Key, Datagram>::iterator it) {
  bytes_ -= it->second.held_bytes;
  table_.erase(it);
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
  if (l3 == kAbsent || !p.u8(l3, vihl) || (vihl >> 4) != 4 || !p.be16(l3 + 6u, fo) || !(fo & 0x3FFF)) {
    // Not an IPv4 fragment: pass through.
    uint32_t len = in.u32(COL_LENGTH)[i];
    if (out.append(p.data(), len, in.u32(COL_WIRE_LENGTH)[i], in.u32(COL_TS_SEC)[i], in.u32(COL_TS_NSEC)[i],
                   in.u32(COL_IN_PORT)[i]) != Status::OK)
      return Status::OUTPUT_FULL;
    uint32_t j = out.count() - 1;
    for (Column c : {COL_FLAGS, COL_HASH, COL_TUN_ID, COL_NEXT}) out.u32(c)[j] = in.u32(c)[i];
    for (Column c : {COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4,
                     COL_GSO_TYPE, COL_GSO_SIZE, COL_CSUM_START, COL_CSUM_OFFSET})
      out.u16(c)[j] = in.u16(c)[i];
    std::memcpy(out.key(j), in.key(i), sizeof(FlowKey));
    res->emitted = true;
    return Status::OK;
  }
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
  Key key{load_be32(ip + 12), load_be32(ip + 16), ip[9], load_be16(ip + 4)};
  auto it = table_.find(key);
  if (it == table_.end()) {
    if (table_.size() >= lim_.max_datagrams) {
      res->drop = DropReason::REASM_TOO_MANY_DATAGRAMS;
      res->dropped_fragments = 1;
      return Status::OK;
    }
  }
  if (bytes_ + dlen > lim_.max_bytes) {
    res->drop = DropReason::REASM_TOO_MANY_BYTES;
    res->dropped_fragments = 1;
    return Status::OK;
  }
  if (it == table_.end()) {
    it = table_.emplace(key, Datagram()).first;
    it->second.first_ns = now_ns;
  }
  Datagram& d = it->second;
  // Overlap and duplicate checks.
  for (const Range& r : d.ranges) {
    if (r.start == start && r.end == end) {
      res->drop = DropReason::REASM_DUPLICATE;
      res->dropped_fragments = 1;
      return Status::OK;
    }
    if (start < r.end && r.start < end) {
      res->drop = DropReason::REASM_OVERLAP;
      res->dropped_fragments = uint32_t(d.ranges.size()) + 1;
      drop(it);
      return Status::OK;
    }
  }
  if (!mf) {
    if (d.have_last || end < d.total) {
      res->drop = DropReason::REASM_OVERLAP;
      res->dropped_fragments = uint32_t(d.ranges.size()) + 1;
      drop(it);
      return Status::OK;
    }
    d.have_last = true;
    d.total = end;
  }
  if (d.have_last && end > d.total) {
    res->drop = DropReason::REASM_OVERLAP;
    res->dropped_fragments = uint32_t(d.ranges.size()) + 1;
    drop(it);
    return Status::OK;
  }
  if (d.data.size() < end) d.data.resize(end);
  if (dlen) std::memcpy(d.data.data() + start, ip + ihl, dlen);
  if (start == 0) {
    d.head.assign(p.data(), p.data() + l3 + ihl);
    d.l3 = l3;
  }
  Range nr{start, end};
  auto pos = d.ranges.begin();
  while (pos != d.ranges.end() && pos->start < start) ++pos;
  d.ranges.insert(pos, nr);
  d.held_bytes += dlen;
  bytes_ += dlen;
  // Complete?
  bool complete = d.have_last && !d.head.empty();
  uint32_t reach = 0;
  for (const Range& r : d.ranges) {
    if (r.start != reach) {
      complete = false;
      break;
    }
    reach = r.end;
  }
  if (!complete || reach != d.total) {
    res->held = true;
    return Status::OK;
  }
  uint32_t hl = uint32_t(d.head.size()), len = hl + d.total;
  if (hl - d.l3 + d.total > 65535) {
    // The first fragment's options take the datagram past 65535 bytes.
    res->drop = DropReason::REASM_BAD_FRAGMENT;
    res->dropped_fragments = uint32_t(d.ranges.size());
    drop(it);
    return Status::OK;
  }
  uint32_t j;
  {
    // Build in place: append the head, then the data after it.
    std::vector<uint8_t> whole(len);
    std::memcpy(whole.data(), d.head.data(), hl);
    if (d.total) std::memcpy(whole.data() + hl, d.data.data(), d.total);
    uint8_t* h = whole.data() + d.l3;
    uint32_t ip_len = hl - d.l3 + d.total;
    store_be16(h + 2, uint16_t(ip_len));
    store_be16(h + 6, uint16_t(load_be16(h + 6) & 0x4000));
    store_be16(h + 10, 0);
    store_be16(h + 10, ipv4_header_checksum(h, size_t(h[0] & 15) * 4));
    uint32_t l3_out = d.l3;
    drop(it);
    if (out.append(whole.data(), len, len, in.u32(COL_TS_SEC)[i], in.u32(COL_TS_NSEC)[i], in.u32(COL_IN_PORT)[i]) !=
        Status::OK)
      return Status::OUTPUT_FULL;
    j = out.count() - 1;
    out.u16(COL_L2)[j] = l3_out >= 14 ? 0 : kAbsent;
    out.u16(COL_L3)[j] = uint16_t(l3_out);
    out.u16(COL_L4)[j] = uint16_t(l3_out + (h[0] & 15) * 4);
  }
  out.u32(COL_HASH)[j] = in.u32(COL_HASH)[i];
  out.u32(COL_TUN_ID)[j] = in.u32(COL_TUN_ID)[i];
  out.u32(COL_FLAGS)[j] = in.u32(COL_FLAGS)[i] & ~uint32_t(FLAG_PARSED | FLAG_IP_FRAGMENT);
  res->emitted = true;
  return Status::OK;
}

uint32_t Reassembler::expire(uint64_t now_ns, std::vector<ReasmExpired>* expired) {
  uint32_t n = 0;
  for (auto it = table_.begin(); it != table_.end();) {
    if (now_ns >= it->second.first_ns && now_ns - it->second.first_ns >= lim_.timeout_ns) {
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
