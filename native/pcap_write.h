// Classic pcap records straight from a batch: the bulk path of the pcap
// writer (src/pcap/pcap-writer.ts). Each record is the 16-byte header
// (ts_sec, ts_nsec, caplen, wire length; little-endian, as the writer's
// nanosecond-magic file) and the packet's first caplen = min(length,
// snaplen) bytes. The timestamp is the packet's TS_SEC / TS_NSEC columns
// (an output keeps the timestamp of the packet it was made from); the wire
// length is its WIRE_LENGTH column, at least its length (a packet captured
// short keeps what it had on the wire, grown by what was pushed).
#pragma once

#include <cstddef>
#include <cstdint>

#include "batch.h"
#include "bytes.h"

namespace vs {

struct PcapWriteScan {
  size_t bytes = 0;      // bytes written to dst
  uint32_t records = 0;  // packets written (the first `records` of the list)
  // With BAD_ARGUMENT: what is wrong with entry `records` of the list.
  const char* problem = nullptr;
};

// Writes packet index[k] of batches[chunk[k]] (of batches[0] when chunk is
// null), for k in [0, count), into dst, in order, stopping before the first
// record that does not fit. A chunk or index past its batch, an invalid
// packet or a TS_NSEC of 10^9 or more stops the scan with
// Status::BAD_ARGUMENT (callers pass outputs they were given).
Status write_pcap_records(const Batch* batches, uint32_t batch_count, const uint32_t* chunk, const uint32_t* index,
                          uint32_t count, uint32_t snaplen, MutByteView dst, PcapWriteScan* out);

}  // namespace vs
