#include "datapath_shard.h"

#include <cstddef>
#include <cstring>

#include "parse.h"

namespace vs {

Status shard_plan(const Batch& in, uint32_t link_type, const RssPortLayers& layers, const uint8_t* table,
                  uint32_t n, ShardPlan* plan) {
  if (!link_type_supported(link_type) || n == 0 || n > 0xFF) return Status::BAD_ARGUMENT;
  for (uint32_t k = 0; k < kShardTableSize; k++)
    if (table[k] >= n) return Status::BAD_ARGUMENT;
  const uint32_t count = in.count();
  plan->shard.assign(count, 0xFF);
  plan->count.assign(n, 0);
  plan->data.assign(n, 0);
  plan->invalid.clear();
  std::memset(plan->buckets, 0, sizeof plan->buckets);
  const BatchHeader& h = in.header();
  const uint32_t* offset = in.u32(COL_OFFSET);
  const uint32_t* length = in.u32(COL_LENGTH);
  const uint32_t* slot_start = in.u32(COL_SLOT_START);
  const uint32_t* slot_end = in.u32(COL_SLOT_END);
  const uint32_t* wire = in.u32(COL_WIRE_LENGTH);
  uint32_t* hash = in.u32(COL_HASH);
  const uint8_t* data = in.data_area();
  const ParseOptions opt;
  const RssHasher& hasher = ms_rss_hasher();
  for (uint32_t i = 0; i < count; i++) {
    // Batch::packet_valid, with the columns at hand.
    uint64_t off = offset[i], len = length[i];
    if (!(slot_start[i] <= off && off + len <= slot_end[i] && slot_end[i] <= h.data_size)) {
      plan->invalid.push_back(i);
      continue;
    }
    uint32_t v;
    if (!(link_type == LINK_ETHERNET && rss_hash_frame(ByteView(data + off, size_t(len)), wire[i], &v, hasher))) {
      parse_packet(in, i, link_type, opt, nullptr);
      v = rss_hash_packet(in, i, layers.of(in.u32(COL_IN_PORT)[i]), hasher);
    }
    hash[i] = v;
    uint32_t b = v % kShardTableSize;
    uint8_t s = table[b];
    plan->buckets[b]++;
    plan->shard[i] = s;
    plan->count[s]++;
    plan->data[s] += (uint64_t(h.headroom) + length[i] + h.tailroom + 7) & ~uint64_t(7);
  }
  return Status::OK;
}

Status shard_copy(const Batch& in, const ShardPlan& plan, const Batch* shards, uint32_t n,
                  std::vector<std::vector<uint32_t>>* index, int32_t keep) {
  index->assign(n, {});
  for (uint32_t s = 0; s < n; s++) (*index)[s].reserve(s < plan.count.size() ? plan.count[s] : 0);
  const uint32_t count = in.count();
  if (plan.shard.size() != count) return Status::BAD_ARGUMENT;
  // Column pointers once (Batch::u32/u16 re-read the header per call).
  uint32_t* src32[kColumnCount] = {};
  uint16_t* src16[kColumnCount] = {};
  for (uint32_t c = 0; c < kColumnCount; c++) {
    if (column_element_size(Column(c)) == 4) src32[c] = in.u32(Column(c));
    else src16[c] = in.u16(Column(c));
  }
  // The same for each shard (kept shard and empty ones: unused).
  struct Dst {
    uint32_t* c32[kColumnCount];
    uint16_t* c16[kColumnCount];
    uint8_t* data;
    FlowKey* keys;
  };
  std::vector<Dst> dst(n);
  for (uint32_t s = 0; s < n; s++) {
    if (int32_t(s) == keep || s >= plan.count.size() || plan.count[s] == 0) continue;
    for (uint32_t c = 0; c < kColumnCount; c++) {
      dst[s].c32[c] = src32[c] ? shards[s].u32(Column(c)) : nullptr;
      dst[s].c16[c] = src16[c] ? shards[s].u16(Column(c)) : nullptr;
    }
    dst[s].data = shards[s].data_area();
    dst[s].keys = shards[s].key(0);
  }
  const uint8_t* data = in.data_area();
  const FlowKey* keys = in.key(0);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t s = plan.shard[i];
    if (s == 0xFF) continue;
    if (s >= n) return Status::BAD_ARGUMENT;
    if (int32_t(s) == keep) {
      (*index)[s].push_back(i);
      continue;
    }
    if (s >= plan.count.size() || plan.count[s] == 0) return Status::BAD_ARGUMENT;
    BatchHeader& h = shards[s].header();
    const Dst& d = dst[s];
    uint32_t len = src32[COL_LENGTH][i];
    uint64_t start = h.data_used;
    uint64_t slot = uint64_t(h.headroom) + len + h.tailroom;
    if (h.count >= h.capacity || start + slot > h.data_size) return Status::OUTPUT_FULL;
    uint32_t j = h.count;
    uint32_t off = uint32_t(start + h.headroom);
    std::memcpy(d.data + off, data + src32[COL_OFFSET][i], len);
    uint64_t end = (start + slot + 7) & ~uint64_t(7);
    if (end > h.data_size) end = start + slot;
    for (uint32_t c = 0; c < kColumnCount; c++) {
      if (d.c32[c]) d.c32[c][j] = src32[c][i];
      else d.c16[c][j] = src16[c][i];
    }
    d.c32[COL_OFFSET][j] = off;
    d.c32[COL_SLOT_START][j] = uint32_t(start);
    d.c32[COL_SLOT_END][j] = uint32_t(end);
    // The parser keeps the key's metadata (in_port .. tun_flags) and rewrites the rest.
    std::memcpy(d.keys + j, keys + i, offsetof(FlowKey, dl_dst));
    h.data_used = uint32_t(end);
    h.count = j + 1;
    (*index)[s].push_back(i);
  }
  return Status::OK;
}

}  // namespace vs
