// Shared by the libFuzzer targets: a failed invariant traps (libFuzzer
// reports it with the input), and a batch that owns its buffer.
#pragma once
#include <cstdint>
#include <vector>

#include "batch.h"

namespace vsfuzz {

inline void require(bool ok) {
  if (!ok) __builtin_trap();
}

struct OwnedBatch {
  std::vector<uint64_t> buf;  // 64-bit elements: Batch::open wants 8-byte alignment
  vs::Batch b;
  OwnedBatch(uint32_t capacity, uint32_t data) {
    vs::BatchLayout layout;
    require(vs::batch_layout(capacity, data, &layout) == vs::Status::OK);
    buf.assign((layout.total_size + 7) / 8, 0);
    uint8_t* bytes = reinterpret_cast<uint8_t*>(buf.data());
    require(vs::batch_init(bytes, buf.size() * 8, capacity, data, 64, 0) == vs::Status::OK);
    require(vs::Batch::open(bytes, buf.size() * 8, &b) == vs::Status::OK);
  }
};

}  // namespace vsfuzz
