// Receive-side sharding: copies each packet of a batch into the batch of the
// PMD its RSS hash selects (table[hash % kShardTableSize], the NIC indirection
// table composed with the rx-queue -> PMD assignment), keeping input order
// within each shard and recording each copy's input index.
//
// Does not: compute the hash (rss.h), or parse.
#pragma once
#include <cstdint>
#include <vector>

#include "batch.h"
#include "status.h"

namespace vs {

constexpr uint32_t kShardTableSize = 128;

// index[s] receives, for each packet appended to shards[s], its index in `in`.
// Packets whose columns are invalid are not copied; their indices go to
// *invalid. Returns OUTPUT_FULL when a shard has no room (shards sized like
// the input cannot fill up); table entries must be < n.
Status shard_batch(const Batch& in, const uint8_t* table, const Batch* shards, uint32_t n,
                   std::vector<std::vector<uint32_t>>* index, std::vector<uint32_t>* invalid);

}  // namespace vs
