#include "batch.h"

#include <cstring>
#include <vector>

#include "check.h"

using namespace vs;

namespace {
std::vector<uint64_t> make_buffer(uint32_t capacity, uint32_t data_size, uint32_t headroom, uint32_t tailroom) {
  BatchLayout layout;
  batch_layout(capacity, data_size, &layout);
  std::vector<uint64_t> buf((layout.total_size + 7) / 8);
  batch_init(reinterpret_cast<uint8_t*>(buf.data()), buf.size() * 8, capacity, data_size, headroom, tailroom);
  return buf;
}
}  // namespace

TEST(append_and_grow_within_slot) {
  auto buf = make_buffer(4, 1024, 64, 16);
  Batch b;
  CHECK(Batch::open(reinterpret_cast<uint8_t*>(buf.data()), buf.size() * 8, &b) == Status::OK);
  uint8_t pkt[100];
  std::memset(pkt, 0xab, sizeof pkt);
  CHECK(b.append(pkt, 100, 100, 1, 2, 3) == Status::OK);
  CHECK_EQ(b.headroom(0), 64u);
  CHECK(b.tailroom(0) >= 16u);
  CHECK(b.push_head(0, 64) == Status::OK);
  CHECK(b.push_head(0, 1) == Status::NO_HEADROOM);
  CHECK_EQ(b.packet(0).size(), size_t(164));
  CHECK(b.pull_head(0, 64) == Status::OK);
  CHECK(b.packet(0).data()[0] == 0xab);
  CHECK(b.u16(COL_L3)[0] == kAbsent);
}

TEST(full_batch_is_an_error_not_an_overflow) {
  auto buf = make_buffer(2, 400, 64, 0);
  Batch b;
  CHECK(Batch::open(reinterpret_cast<uint8_t*>(buf.data()), buf.size() * 8, &b) == Status::OK);
  uint8_t pkt[200] = {};
  CHECK(b.append(pkt, 200, 200, 0, 0, 0) == Status::OK);
  CHECK(b.append(pkt, 200, 200, 0, 0, 0) == Status::BATCH_FULL);
  CHECK(b.append(pkt, 10, 10, 0, 0, 0) == Status::OK);
  CHECK(b.append(pkt, 1, 1, 0, 0, 0) == Status::BATCH_FULL);
}

TEST(corrupt_columns_give_empty_views) {
  auto buf = make_buffer(2, 512, 32, 0);
  Batch b;
  CHECK(Batch::open(reinterpret_cast<uint8_t*>(buf.data()), buf.size() * 8, &b) == Status::OK);
  uint8_t pkt[20] = {};
  CHECK(b.append(pkt, 20, 20, 0, 0, 0) == Status::OK);
  b.u32(COL_LENGTH)[0] = 100000;
  CHECK(b.packet(0).size() == 0);
  CHECK(b.push_head(0, 1) == Status::BAD_BATCH);
}

TEST(open_rejects_bad_headers) {
  auto buf = make_buffer(2, 512, 32, 0);
  Batch b;
  uint8_t* p = reinterpret_cast<uint8_t*>(buf.data());
  CHECK(Batch::open(p, 100, &b) == Status::BAD_BATCH);
  reinterpret_cast<BatchHeader*>(p)->count = 3;
  CHECK(Batch::open(p, buf.size() * 8, &b) == Status::BAD_BATCH);
  reinterpret_cast<BatchHeader*>(p)->count = 0;
  reinterpret_cast<BatchHeader*>(p)->column_offset[3] += 8;
  CHECK(Batch::open(p, buf.size() * 8, &b) == Status::BAD_BATCH);
}

TEST_MAIN("batch")
