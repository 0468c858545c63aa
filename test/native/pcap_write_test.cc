#include "pcap_write.h"

#include <cstring>
#include <vector>

#include "check.h"
#include "owned_batch.h"

using namespace vs;
using Owned = vstest::OwnedBatch;

namespace {

uint32_t le32_at(const std::vector<uint8_t>& v, size_t at) {
  return uint32_t(v[at]) | uint32_t(v[at + 1]) << 8 | uint32_t(v[at + 2]) << 16 | uint32_t(v[at + 3]) << 24;
}

void add(Owned& o, uint32_t size, uint8_t fill, uint32_t ts_sec = 0, uint32_t ts_nsec = 0) {
  std::vector<uint8_t> f(size, fill);
  CHECK(o.b.append(f.data(), size, size, ts_sec, ts_nsec, 1) == Status::OK);
}

}  // namespace

TEST(records_in_the_given_order_with_their_timestamps) {
  Owned o(4, 4096);
  add(o, 60, 0xa0, 9, 5);
  add(o, 100, 0xa1);
  add(o, 70, 0xa2, 7, 999999999);
  uint32_t index[] = {2, 0};
  std::vector<uint8_t> dst(1024, 0xee);
  PcapWriteScan scan;
  CHECK(write_pcap_records(&o.b, 1, nullptr, index, 2, 65535, MutByteView(dst.data(), dst.size()), &scan) == Status::OK);
  CHECK_EQ(scan.records, 2u);
  CHECK_EQ(scan.bytes, size_t(16 + 70 + 16 + 60));
  CHECK_EQ(le32_at(dst, 0), 7u);
  CHECK_EQ(le32_at(dst, 4), 999999999u);
  CHECK_EQ(le32_at(dst, 8), 70u);
  CHECK_EQ(le32_at(dst, 12), 70u);
  CHECK(dst[16] == 0xa2 && dst[16 + 69] == 0xa2);
  CHECK_EQ(le32_at(dst, 86), 9u);
  CHECK_EQ(le32_at(dst, 90), 5u);
  CHECK_EQ(le32_at(dst, 94), 60u);
  CHECK(dst[86 + 16] == 0xa0);
  CHECK(dst[scan.bytes] == 0xee);
}

TEST(snaplen_cuts_the_data_and_keeps_the_wire_length) {
  Owned o(2, 4096);
  add(o, 100, 1);
  uint32_t index[] = {0};
  std::vector<uint8_t> dst(256);
  PcapWriteScan scan;
  CHECK(write_pcap_records(&o.b, 1, nullptr, index, 1, 40, MutByteView(dst.data(), dst.size()), &scan) == Status::OK);
  CHECK_EQ(scan.bytes, size_t(16 + 40));
  CHECK_EQ(le32_at(dst, 8), 40u);
  CHECK_EQ(le32_at(dst, 12), 100u);
  // a packet captured short keeps its wire length (the WIRE_LENGTH column)
  std::vector<uint8_t> f(60, 3);
  CHECK(o.b.append(f.data(), 60, 150, 0, 0, 1) == Status::OK);
  index[0] = 1;
  CHECK(write_pcap_records(&o.b, 1, nullptr, index, 1, 65535, MutByteView(dst.data(), dst.size()), &scan) == Status::OK);
  CHECK_EQ(le32_at(dst, 8), 60u);
  CHECK_EQ(le32_at(dst, 12), 150u);
}

TEST(stops_before_a_record_that_does_not_fit_and_refuses_bad_indices) {
  Owned o(4, 4096);
  add(o, 60, 1);
  add(o, 60, 2);
  uint32_t index[] = {0, 1};
  std::vector<uint8_t> dst(16 + 60 + 16 + 59);
  PcapWriteScan scan;
  CHECK(write_pcap_records(&o.b, 1, nullptr, index, 2, 65535, MutByteView(dst.data(), dst.size()), &scan) == Status::OK);
  CHECK_EQ(scan.records, 1u);
  CHECK_EQ(scan.bytes, size_t(76));
  uint32_t bad[] = {0, 5};
  CHECK(write_pcap_records(&o.b, 1, nullptr, bad, 2, 65535, MutByteView(dst.data(), dst.size()), &scan) == Status::BAD_ARGUMENT);
  // a nanosecond field a pcap record cannot hold
  o.b.u32(COL_TS_NSEC)[1] = 1000000000u;
  CHECK(write_pcap_records(&o.b, 1, nullptr, index, 2, 65535, MutByteView(dst.data(), dst.size()), &scan) == Status::BAD_ARGUMENT);
}

TEST(packets_of_several_batches_by_chunk) {
  Owned a(2, 4096), b(2, 4096);
  add(a, 60, 0xaa, 2);
  add(b, 61, 0xbb, 3);
  add(b, 62, 0xbc, 1);
  Batch batches[] = {a.b, b.b};
  uint32_t chunk[] = {1, 0, 1}, index[] = {1, 0, 0};
  std::vector<uint8_t> dst(1024);
  PcapWriteScan scan;
  CHECK(write_pcap_records(batches, 2, chunk, index, 3, 65535, MutByteView(dst.data(), dst.size()), &scan) ==
        Status::OK);
  CHECK_EQ(scan.records, 3u);
  CHECK_EQ(le32_at(dst, 0), 1u);
  CHECK_EQ(le32_at(dst, 8), 62u);
  CHECK(dst[16] == 0xbc);
  CHECK_EQ(le32_at(dst, 16 + 62), 2u);
  CHECK_EQ(le32_at(dst, 16 + 62 + 16 + 60), 3u);
  CHECK_EQ(le32_at(dst, 16 + 62 + 8), 60u);
  CHECK_EQ(le32_at(dst, 16 + 62 + 16 + 60 + 8), 61u);
  uint32_t bad_chunk[] = {2, 0, 0};
  CHECK(write_pcap_records(batches, 2, bad_chunk, index, 3, 65535, MutByteView(dst.data(), dst.size()), &scan) ==
        Status::BAD_ARGUMENT);
}

TEST_MAIN("pcap_write")
