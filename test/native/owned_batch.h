// A packet batch that owns its buffer, for the C++ core tests: `capacity`
// packets, `data` bytes of data area, 64 bytes of headroom per packet.
#pragma once
#include <cstdint>
#include <vector>

#include "batch.h"

namespace vstest {

struct OwnedBatch {
  std::vector<uint64_t> buf;  // 64-bit elements: Batch::open wants 8-byte alignment
  vs::Batch b;
  OwnedBatch(uint32_t capacity, uint32_t data, uint32_t headroom = 64) {
    vs::BatchLayout layout;
    vs::batch_layout(capacity, data, &layout);
    buf.assign((layout.total_size + 7) / 8, 0);
    vs::batch_init(bytes(), buf.size() * 8, capacity, data, headroom, 0);
    vs::Batch::open(bytes(), buf.size() * 8, &b);
  }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(buf.data()); }
};

}  // namespace vstest
