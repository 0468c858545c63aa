// Receive-side sharding: copies each packet of a batch into the batch of the
// PMD its RSS hash selects (table[hash % kShardTableSize], the NIC indirection
// table composed with the rx-queue -> PMD assignment), keeping input order
// within each shard and recording each copy's input index.
//
// Two steps, as the engine's receive side uses them: shard_plan hashes
// straight from the bytes where it can (rss_hash_frame, no parse), parses
// only the other packets, and sizes each shard exactly; shard_copy then
// fills shard batches the caller made to those sizes.
//
// Does not: parse packets the hash does not need, or keep the input's
// parser columns (the PMD parses its shard again).
#pragma once
#include <cstdint>
#include <vector>

#include "batch.h"
#include "rss.h"
#include "status.h"

namespace vs {

constexpr uint32_t kShardTableSize = 128;

// Where each packet goes and how big each shard must be.
struct ShardPlan {
  std::vector<uint8_t> shard;       // per input packet: its shard, or 0xFF (invalid packet)
  std::vector<uint32_t> count;      // packets per shard
  std::vector<uint64_t> data;       // data-area bytes per shard (the input's headroom/tailroom, 8-aligned slots)
  std::vector<uint32_t> invalid;    // packets with inconsistent columns (not copied)
  uint32_t buckets[kShardTableSize] = {};  // packets per indirection-table entry (rx-queue load)
};

// Hashes every packet (COL_HASH; the packets rss_hash_frame cannot take are
// parsed with link_type and hashed as rss_hash_packet does) and plans the
// shards. BAD_ARGUMENT for an unsupported link type or a table entry >= n.
Status shard_plan(const Batch& in, uint32_t link_type, const RssPortLayers& layers, const uint8_t* table,
                  uint32_t n, ShardPlan* plan);

// Copies each planned packet (bytes, columns, the flow key's metadata) to the
// end of shards[plan.shard[i]] (batches with room for the plan; OUTPUT_FULL
// otherwise) and records its input index in index[s]. Packets of shard
// `keep` (-1: none) are not copied, only listed: that shard's PMD works on
// the input batch itself (ShardFilter in datapath.h).
Status shard_copy(const Batch& in, const ShardPlan& plan, const Batch* shards, uint32_t n,
                  std::vector<std::vector<uint32_t>>* index, int32_t keep = -1);

}  // namespace vs
