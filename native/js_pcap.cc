// appendPcapRecords(src: Uint8Array, batch: ArrayBuffer, options, dataOffsets: Uint32Array)
//   -> { bytes, packets }
// options: { littleEndian, nanosecond, maxCaplen, maxPackets, inPort, limit?: { sec, nsec, inclusive } }.
// The bulk path of the classic pcap reader (native/pcap_records.h): appends the
// well-formed records at the start of src and stops before anything else.
#include <cmath>

#include "js_util.h"
#include "pcap_records.h"

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
  ByteView src = bytes_arg(info, 0, "src");
  Batch batch = batch_arg(info, 1, "batch");
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
  Napi::Uint32Array offsets = u32array_arg(info, 3, "dataOffsets");
  if (offsets.ElementLength() < opt.max_packets) throw_range(env, "dataOffsets holds fewer entries than options.maxPackets");
  PcapRecordScan scan = append_pcap_records(src, opt, batch, offsets.Data());
  Napi::Object out = Napi::Object::New(env);
  out.Set("bytes", double(scan.bytes));
  out.Set("packets", scan.packets);
  return out;
}

}  // namespace

void register_pcap(Napi::Env env, Napi::Object exports) {
  exports.Set("appendPcapRecords", Napi::Function::New(env, append_pcap_records_js, "appendPcapRecords"));
}

}  // namespace vs::js
