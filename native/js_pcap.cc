// appendPcapRecords(src: Uint8Array, batch: ArrayBuffer, options, dataOffsets: Uint32Array)
//   -> { bytes, packets }
// options: { littleEndian, nanosecond, maxCaplen, maxPackets, inPort, limit?: { sec, nsec, inclusive } }.
// The bulk path of the classic pcap reader (native/pcap_records.h): appends the
// well-formed records at the start of src and stops before anything else.
//
// writePcapRecords(batches: ArrayBuffer[], chunk: Uint32Array | null, index: Uint32Array,
//                  count, snaplen, dst: Uint8Array, dstOffset)
//   -> { bytes, records }
// The bulk path of the pcap writer (native/pcap_write.h): records for those
// packets from dst[dstOffset] on, as many as fit.
#include <cmath>
#include <vector>

#include "js_util.h"
#include "pcap_records.h"
#include "pcap_write.h"

namespace vs::js {
namespace {

bool bool_field(Napi::Object o, const char* name) {
  Napi::Value v = o.Get(name);
  if (!v.IsBoolean()) throw_type(o.Env(), std::string("a boolean for options.") + name, v);
  return v.As<Napi::Boolean>().Value();
}

double number_field(Napi::Object o, const char* name, double max) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw_type(o.Env(), std::string("a number for options.") + name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= max && std::floor(d) == d))
    throw_range(o.Env(), std::string("expected an integer in [0, ") + std::to_string(uint64_t(max)) + "] for options." + name);
  return d;
}

Napi::Value append_pcap_records_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // The options first: reading them may run JavaScript (getters), which must not see pointers taken before.
  if (!info[2].IsObject()) throw_type(env, "an object for options", info[2]);
  Napi::Object o = info[2].As<Napi::Object>();
  PcapRecordOptions opt;
  opt.little_endian = bool_field(o, "littleEndian");
  opt.nanosecond = bool_field(o, "nanosecond");
  opt.max_caplen = uint32_t(number_field(o, "maxCaplen", UINT32_MAX));
  opt.max_packets = uint32_t(number_field(o, "maxPackets", UINT32_MAX));
  opt.in_port = uint32_t(number_field(o, "inPort", UINT32_MAX));
  Napi::Value limit = o.Get("limit");
  if (!limit.IsUndefined()) {
    if (!limit.IsObject()) throw_type(env, "an object or undefined for options.limit", limit);
    Napi::Object l = limit.As<Napi::Object>();
    opt.has_limit = true;
    opt.limit_sec = uint64_t(number_field(l, "sec", 9007199254740991.0));
    opt.limit_nsec = uint32_t(number_field(l, "nsec", 999999999));
    opt.limit_inclusive = bool_field(l, "inclusive");
  }
  ByteView src = bytes_arg(info, 0, "src");
  Batch batch = batch_arg(info, 1, "batch");
  Napi::Uint32Array offsets = u32array_arg(info, 3, "dataOffsets");
  if (offsets.ElementLength() < opt.max_packets) throw_range(env, "dataOffsets holds fewer entries than options.maxPackets");
  PcapRecordScan scan = append_pcap_records(src, opt, batch, offsets.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("bytes", double(scan.bytes));
  out.Set("packets", scan.packets);
  return out;
}

Napi::Value write_pcap_records_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw_type(env, "an array of ArrayBuffers for batches", info[0]);
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<Batch> batches(list.Length());
  for (uint32_t b = 0; b < list.Length(); b++) {
    Napi::Value v = list.Get(b);
    if (!v.IsArrayBuffer()) throw_type(env, "an ArrayBuffer in batches", v);
    Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
    Status st = Batch::open(static_cast<uint8_t*>(ab.Data()), ab.ByteLength(), &batches[b]);
    if (st != Status::OK) throw_status(env, st, "writePcapRecords batches");
  }
  const uint32_t* chunk = nullptr;
  uint32_t chunk_length = UINT32_MAX;
  if (!info[1].IsNull()) {
    Napi::Uint32Array c = u32array_arg(info, 1, "chunk");
    chunk = c.Data();
    chunk_length = uint32_t(c.ElementLength());
  }
  Napi::Uint32Array index = u32array_arg(info, 2, "index");
  uint32_t count = u32_arg(info, 3, "count");
  uint32_t snaplen = u32_arg(info, 4, "snaplen");
  if (count > index.ElementLength() || count > chunk_length) throw_range(env, "count exceeds chunk or index");
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_type(env, "a Uint8Array for dst", info[5]);
  Napi::Uint8Array dst = info[5].As<Napi::Uint8Array>();
  uint32_t dst_offset = u32_arg(info, 6, "dstOffset");
  if (dst_offset > dst.ElementLength()) throw_range(env, "dstOffset is past the end of dst");
  PcapWriteScan scan;
  Status st = write_pcap_records(batches.data(), uint32_t(batches.size()), chunk, index.Data(), count, snaplen,
                                 MutByteView(dst.Data() + dst_offset, dst.ElementLength() - dst_offset), &scan);
  if (st != Status::OK)
    throw_status(env, st,
                 scan.problem ? "writePcapRecords: entry " + std::to_string(scan.records) + " of the list: " + scan.problem
                              : std::string("writePcapRecords"));
  Napi::Object out = Napi::Object::New(env);
  out.Set("bytes", double(scan.bytes));
  out.Set("records", scan.records);
  return out;
}

}  // namespace

void register_pcap(Napi::Env env, Napi::Object exports) {
  exports.Set("appendPcapRecords", Napi::Function::New(env, append_pcap_records_js, "appendPcapRecords"));
  exports.Set("writePcapRecords", Napi::Function::New(env, write_pcap_records_js, "writePcapRecords"));
}

}  // namespace vs::js
