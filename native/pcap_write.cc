#include "pcap_write.h"

#include <cstring>

namespace vs {
namespace {

void put_le32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v >> 16);
  p[3] = uint8_t(v >> 24);
}

Status refuse(PcapWriteScan* out, const char* problem) {
  out->problem = problem;
  return Status::BAD_ARGUMENT;
}

}  // namespace

Status write_pcap_records(const Batch* batches, uint32_t batch_count, const uint32_t* chunk, const uint32_t* index,
                          uint32_t count, uint32_t snaplen, MutByteView dst, PcapWriteScan* out) {
  *out = PcapWriteScan();
  size_t at = 0;
  for (uint32_t k = 0; k < count; k++) {
    uint32_t c = chunk ? chunk[k] : 0;
    if (c >= batch_count) return refuse(out, "its chunk is past the batches");
    const Batch& batch = batches[c];
    uint32_t i = index[k];
    if (i >= batch.count()) return refuse(out, "its index is past its batch's packets");
    if (!batch.packet_valid(i)) return refuse(out, "its packet's offset and length are outside the batch's data");
    uint32_t ts_nsec = batch.u32(COL_TS_NSEC)[i];
    if (ts_nsec >= 1000000000u) return refuse(out, "its packet's TS_NSEC is 10^9 or more");
    MutByteView p = batch.packet(i);
    uint32_t length = uint32_t(p.size());
    uint32_t caplen = length < snaplen ? length : snaplen;
    uint32_t wire = batch.u32(COL_WIRE_LENGTH)[i];
    if (wire < length) wire = length;
    if (!dst.has(at, 16 + size_t(caplen))) break;
    uint8_t* h = dst.data() + at;
    put_le32(h, batch.u32(COL_TS_SEC)[i]);
    put_le32(h + 4, ts_nsec);
    put_le32(h + 8, caplen);
    put_le32(h + 12, wire);
    std::memcpy(h + 16, p.data(), caplen);
    at += 16 + size_t(caplen);
    out->bytes = at;
    out->records = k + 1;
  }
  return Status::OK;
}

}  // namespace vs
