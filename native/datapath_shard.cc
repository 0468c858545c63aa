#include "datapath_shard.h"

#include "action.h"

namespace vs {

Status shard_batch(const Batch& in, const uint8_t* table, const Batch* shards, uint32_t n,
                   std::vector<std::vector<uint32_t>>* index, std::vector<uint32_t>* invalid) {
  index->assign(n, {});
  const uint32_t* hash = in.u32(COL_HASH);
  for (uint32_t i = 0; i < in.count(); i++) {
    uint32_t s = table[hash[i] % kShardTableSize];
    if (s >= n) return Status::BAD_ARGUMENT;
    if (!in.packet_valid(i)) {
      invalid->push_back(i);
      continue;
    }
    uint32_t j;
    Status st = ActionExecutor::copy_packet(in, i, shards[s], &j);
    if (st != Status::OK) return st;
    (*index)[s].push_back(i);
  }
  return Status::OK;
}

}  // namespace vs
