// libFuzzer target for the bulk classic-pcap record reader. Input: byte 0
// picks the options (byte order, nanoseconds, a time limit, a small caplen
// limit, a small batch), the rest is the record stream.
// Invariants: no out-of-bounds access (ASan); only whole records inside the
// input are consumed; each appended packet's bytes equal the record's data at
// its reported offset, with caplen <= wire length and caplen <= the limit.
// Writing the packets back (native/pcap_write.h) gives the consumed bytes
// again when the input is little-endian nanosecond records with caplen ==
// wire length and normalised fractions (the writer's own format).
#include <cstdint>
#include <cstring>

#include "bytes.h"
#include "fuzz_support.h"
#include "pcap_records.h"
#include "pcap_write.h"

using namespace vs;
using vsfuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  ByteView src(data + 1, size - 1);
  PcapRecordOptions opt;
  opt.little_endian = (mode & 1) != 0;
  opt.nanosecond = (mode & 2) != 0;
  opt.max_caplen = (mode & 4) ? 64 : 262144;
  opt.max_packets = 64;
  opt.in_port = 3;
  if (mode & 8) {
    opt.has_limit = true;
    opt.limit_sec = mode >> 5;
    opt.limit_nsec = 500;
    opt.limit_inclusive = (mode & 16) != 0;
  }
  vsfuzz::OwnedBatch ob((mode & 4) ? 2 : 64, (mode & 4) ? 512 : 65536);
  uint32_t offsets[64];
  PcapRecordScan scan = append_pcap_records(src, opt, ob.b, offsets);
  require(scan.bytes <= src.size());
  require(ob.b.count() == scan.packets);
  bool own_format = opt.little_endian && opt.nanosecond;
  uint32_t index[64];
  for (uint32_t i = 0; i < scan.packets; i++) {
    MutByteView p = ob.b.packet(i);
    require(offsets[i] >= 16 && offsets[i] + p.size() <= scan.bytes);
    const uint8_t* h = src.data() + offsets[i] - 16;
    uint32_t frac = uint32_t(h[4]) | uint32_t(h[5]) << 8 | uint32_t(h[6]) << 16 | uint32_t(h[7]) << 24;
    if (ob.b.u32(COL_WIRE_LENGTH)[i] != p.size() || frac >= 1000000000u) own_format = false;
    index[i] = i;
    require(p.size() <= opt.max_caplen && p.size() <= ob.b.u32(COL_WIRE_LENGTH)[i]);
    require(p.size() == 0 || std::memcmp(p.data(), src.data() + offsets[i], p.size()) == 0);
    require(ob.b.u32(COL_TS_NSEC)[i] < 1000000000u);
  }
  std::vector<uint8_t> back(scan.bytes + 1);
  PcapWriteScan w;
  require(write_pcap_records(&ob.b, 1, nullptr, index, scan.packets, 262144, MutByteView(back.data(), back.size()), &w) ==
          Status::OK);
  require(w.records == scan.packets && w.bytes <= scan.bytes);
  if (own_format) require(w.bytes == scan.bytes && std::memcmp(back.data(), src.data(), scan.bytes) == 0);
  return 0;
}
