#include "pcap_records.h"

#include <cstring>
#include <vector>

#include "check.h"
#include "owned_batch.h"

using namespace vs;

namespace {

using Owned = vstest::OwnedBatch;

void put_u32(std::vector<uint8_t>& v, uint32_t x, bool le) {
  for (int i = 0; i < 4; i++) v.push_back(uint8_t(le ? x >> (8 * i) : x >> (8 * (3 - i))));
}

// One record: header (ts_sec, fraction, caplen, wire length) then caplen bytes of `fill`.
void record(std::vector<uint8_t>& v, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t wire, uint8_t fill, bool le = true) {
  put_u32(v, sec, le);
  put_u32(v, frac, le);
  put_u32(v, caplen, le);
  put_u32(v, wire, le);
  v.insert(v.end(), caplen, fill);
}

PcapRecordOptions options(uint32_t max_packets = 16) {
  PcapRecordOptions o;
  o.max_caplen = 262144;
  o.max_packets = max_packets;
  o.in_port = 7;
  return o;
}

}  // namespace

TEST(appends_records_with_timestamps_lengths_and_port) {
  std::vector<uint8_t> src;
  record(src, 100, 250000, 60, 60, 0xaa);
  record(src, 100, 1500000, 42, 1514, 0xbb);  // usec >= 1e6 carries into the seconds
  Owned o(8, 4096);
  uint32_t offsets[16];
  PcapRecordScan s = append_pcap_records(ByteView(src.data(), src.size()), options(), o.b, offsets);
  CHECK_EQ(s.packets, 2u);
  CHECK_EQ(s.bytes, src.size());
  CHECK_EQ(o.b.count(), 2u);
  CHECK_EQ(o.b.u32(COL_TS_SEC)[0], 100u);
  CHECK_EQ(o.b.u32(COL_TS_NSEC)[0], 250000000u);
  CHECK_EQ(o.b.u32(COL_TS_SEC)[1], 101u);
  CHECK_EQ(o.b.u32(COL_TS_NSEC)[1], 500000000u);
  CHECK_EQ(o.b.u32(COL_LENGTH)[1], 42u);
  CHECK_EQ(o.b.u32(COL_WIRE_LENGTH)[1], 1514u);
  CHECK_EQ(o.b.u32(COL_IN_PORT)[1], 7u);
  CHECK_EQ(offsets[0], 16u);
  CHECK_EQ(offsets[1], 16u + 60u + 16u);
  CHECK(o.b.packet(1).data()[0] == 0xbb);
}

TEST(big_endian_nanosecond_records) {
  std::vector<uint8_t> src;
  record(src, 5, 999999999, 20, 20, 1, false);
  Owned o(4, 1024);
  PcapRecordOptions opt = options();
  opt.little_endian = false;
  opt.nanosecond = true;
  uint32_t offsets[16];
  PcapRecordScan s = append_pcap_records(ByteView(src.data(), src.size()), opt, o.b, offsets);
  CHECK_EQ(s.packets, 1u);
  CHECK_EQ(o.b.u32(COL_TS_SEC)[0], 5u);
  CHECK_EQ(o.b.u32(COL_TS_NSEC)[0], 999999999u);
}

TEST(stops_before_a_cut_record_a_refused_caplen_and_a_full_batch) {
  std::vector<uint8_t> src;
  record(src, 1, 0, 30, 30, 1);
  record(src, 1, 1, 30, 20, 2);  // caplen > wire length: left to the reader, which refuses it
  Owned o(4, 1024);
  uint32_t offsets[16];
  PcapRecordScan s = append_pcap_records(ByteView(src.data(), src.size()), options(), o.b, offsets);
  CHECK_EQ(s.packets, 1u);
  CHECK_EQ(s.bytes, size_t(46));

  std::vector<uint8_t> cut;
  record(cut, 1, 0, 30, 30, 1);
  record(cut, 1, 1, 30, 30, 2);
  Owned o2(4, 1024);
  s = append_pcap_records(ByteView(cut.data(), cut.size() - 1), options(), o2.b, offsets);
  CHECK_EQ(s.packets, 1u);
  s = append_pcap_records(ByteView(cut.data(), 15), options(), o2.b, offsets);  // not even a header
  CHECK_EQ(s.packets, 0u);

  PcapRecordOptions small = options();
  small.max_caplen = 29;
  Owned o3(4, 1024);
  CHECK_EQ(append_pcap_records(ByteView(cut.data(), cut.size()), small, o3.b, offsets).packets, 0u);

  Owned full(1, 1024);
  s = append_pcap_records(ByteView(cut.data(), cut.size()), options(), full.b, offsets);
  CHECK_EQ(s.packets, 1u);
  CHECK_EQ(s.bytes, size_t(46));

  Owned o4(4, 1024);
  CHECK_EQ(append_pcap_records(ByteView(cut.data(), cut.size()), options(1), o4.b, offsets).packets, 1u);
}

TEST(time_limit_exclusive_and_inclusive) {
  std::vector<uint8_t> src;
  record(src, 10, 5, 20, 20, 1);
  record(src, 10, 6, 20, 20, 2);
  record(src, 10, 7, 20, 20, 3);
  uint32_t offsets[16];
  PcapRecordOptions opt = options();
  opt.has_limit = true;
  opt.limit_sec = 10;
  opt.limit_nsec = 6000;  // 6 microseconds
  Owned a(8, 4096);
  CHECK_EQ(append_pcap_records(ByteView(src.data(), src.size()), opt, a.b, offsets).packets, 1u);
  opt.limit_inclusive = true;
  Owned b(8, 4096);
  CHECK_EQ(append_pcap_records(ByteView(src.data(), src.size()), opt, b.b, offsets).packets, 2u);
}

TEST_MAIN("pcap_records")
