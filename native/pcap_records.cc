#include "pcap_records.h"

namespace vs {
namespace {

constexpr size_t kRecordHeader = 16;

uint32_t read_u32(const uint8_t* p, bool le) {
  return le ? uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24
            : uint32_t(p[3]) | uint32_t(p[2]) << 8 | uint32_t(p[1]) << 16 | uint32_t(p[0]) << 24;
}

bool after_limit(uint64_t sec, uint32_t nsec, const PcapRecordOptions& opt) {
  if (!opt.has_limit) return false;
  if (sec != opt.limit_sec) return sec > opt.limit_sec;
  return opt.limit_inclusive ? nsec > opt.limit_nsec : nsec >= opt.limit_nsec;
}

}  // namespace

PcapRecordScan append_pcap_records(ByteView src, const PcapRecordOptions& opt, Batch& batch,
                                   uint32_t* record_data_offsets) {
  PcapRecordScan scan;
  const uint32_t per_sec = opt.nanosecond ? 1000000000u : 1000000u;
  const uint32_t nsec_per_unit = opt.nanosecond ? 1u : 1000u;
  size_t at = 0;
  // Offsets are reported as 32-bit values: src is one read chunk, far below 4 GiB.
  while (scan.packets < opt.max_packets && src.has(at, kRecordHeader) && at + kRecordHeader <= UINT32_MAX) {
    const uint8_t* h = src.data() + at;
    uint64_t sec = read_u32(h, opt.little_endian);
    uint32_t frac = read_u32(h + 4, opt.little_endian);
    uint32_t caplen = read_u32(h + 8, opt.little_endian);
    uint32_t wire = read_u32(h + 12, opt.little_endian);
    if (caplen > opt.max_caplen || caplen > wire) break;
    if (!src.has(at + kRecordHeader, caplen)) break;
    if (frac >= per_sec) {
      sec += frac / per_sec;
      frac %= per_sec;
    }
    uint32_t nsec = frac * nsec_per_unit;
    // The batch's timestamp column holds 32-bit seconds (always true of classic pcap before the carry).
    if (sec > UINT32_MAX || after_limit(sec, nsec, opt)) break;
    if (batch.append(h + kRecordHeader, caplen, wire, uint32_t(sec), nsec, opt.in_port) != Status::OK) break;
    if (record_data_offsets) record_data_offsets[scan.packets] = uint32_t(at + kRecordHeader);
    at += kRecordHeader + caplen;
    scan.bytes = at;
    scan.packets++;
  }
  return scan;
}

}  // namespace vs
