// Classic pcap records straight into a batch: the bulk path of the capture
// reader. It copies well-formed, fully buffered records and stops before
// anything else (a record cut by the end of the bytes given, a captured
// length the reader's policy refuses, a record after the time limit, a full
// batch), leaving that record to the TypeScript reader, which reads it or
// names the problem (src/pcap/classic-pcap-parser.ts). So the rules about
// bad records live in one place, and this function never fails on input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "batch.h"
#include "bytes.h"

namespace vs {

struct PcapRecordOptions {
  bool little_endian = true;
  bool nanosecond = false;   // magic a1b23c4d: the fraction counts nanoseconds
  uint32_t max_caplen = 0;   // larger captured lengths stop the scan (the reader refuses or checks them)
  uint32_t max_packets = 0;  // stop after this many
  uint32_t in_port = 0;
  // Stop at the first record later than (limit_sec, limit_nsec), or equal to
  // it unless limit_inclusive; no limit when has_limit is false.
  bool has_limit = false;
  uint64_t limit_sec = 0;
  uint32_t limit_nsec = 0;
  bool limit_inclusive = false;
};

struct PcapRecordScan {
  size_t bytes = 0;       // bytes of src consumed (whole records)
  uint32_t packets = 0;   // records appended
};

// Appends the records at the start of src (record header first) to batch,
// with their normalised timestamps (a fraction of a second or more carried
// into the seconds), wire length and in_port. record_data_offsets, when not
// null, receives for each appended record the offset of its data in src (it
// must hold max_packets entries).
PcapRecordScan append_pcap_records(ByteView src, const PcapRecordOptions& opt, Batch& batch,
                                   uint32_t* record_data_offsets);

}  // namespace vs
