// N-API glue of the offload operations (csum_complete.h, gso_segment.h,
// mtu_check.h, ipv4_frag.h, icmp_error.h, reassembly.h, virtio_net_hdr.h).
// src/offload/native-offload.ts validates arguments first; the checks here
// only keep the core safe.
//   applyVnetHdr(batch, i, hdr: Uint8Array(10))
//   csumComplete(batch, zeroFold 0|1, engine 0..3 (CsumEngine)) -> packets completed
//   rxCsumCheck(batch) -> packets dropped (bad_l4_checksum)
//   gsoBatch(in, out, opts) -> { consumed, outputFull }
//   gsoPacket(in, i, out, opts) -> { drop, segments } (throws ERR_VS_OUTPUT_FULL)
//   mtuCheck(batch, i, ipMtu, frameLimit) -> { verdict, ipLength }
//   ipv4Fragment(in, i, mtu, out) -> { drop, fragments }
//   icmpErrorAllowed(batch, i) -> boolean
//   icmpFragNeeded(in, i, mtu, opts, out) / icmpv6PacketTooBig(in, i, mtu, opts, out)
//   new Reassembler({ maxDatagrams, maxBytes, timeoutNs }) with
//     feed(in, i, nowNs, out) -> { drop, droppedFragments, held, emitted },
//     expire(nowNs) -> [{ fragments, bytes }], datagrams(), bytes()
#include <cstring>
#include <string>
#include <vector>

#include "csum_complete.h"
#include "gso_segment.h"
#include "icmp_error.h"
#include "ipv4_frag.h"
#include "js_util.h"
#include "mtu_check.h"
#include "reassembly.h"
#include "rx_csum_check.h"
#include "virtio_net_hdr.h"

namespace vs::js {
namespace {

double num_opt(Napi::Object o, const char* name, double dflt) {
  if (!o.Has(name)) return dflt;
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return dflt;
  if (!v.IsNumber() && !v.IsBoolean()) throw_type(o.Env(), std::string("a number for options.") + name, v);
  return v.IsBoolean() ? (v.As<Napi::Boolean>().Value() ? 1 : 0) : v.As<Napi::Number>().DoubleValue();
}

Napi::Object obj_arg(const Napi::CallbackInfo& info, size_t pos, const char* name) {
  if (info.Length() <= pos || !info[pos].IsObject())
    throw_type(info.Env(), std::string("an object for ") + name, info.Length() > pos ? info[pos] : info.Env().Undefined());
  return info[pos].As<Napi::Object>();
}

GsoOptions gso_opts(const Napi::CallbackInfo& info, size_t pos) {
  Napi::Object o = obj_arg(info, pos, "options");
  GsoOptions g;
  g.profile = num_opt(o, "profile", 0) == 1 ? GsoProfile::OVS : GsoProfile::LINUX;
  g.partial_csum = num_opt(o, "partialCsum", 0) != 0;
  g.fixed_id = num_opt(o, "fixedId", 0) != 0;
  g.gso_size = uint16_t(num_opt(o, "gsoSize", 0));
  return g;
}

void bytes_opt(Napi::Object o, const char* name, uint8_t* dst, size_t max) {
  if (!o.Has(name)) return;
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_type(o.Env(), std::string("a Uint8Array for options.") + name, v);
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  std::memcpy(dst, a.Data(), a.ByteLength() < max ? a.ByteLength() : max);
}

IcmpErrorOptions icmp_opts(const Napi::CallbackInfo& info, size_t pos) {
  Napi::Object o = obj_arg(info, pos, "options");
  IcmpErrorOptions e;
  bytes_opt(o, "srcMac", e.src_mac, 6);
  bytes_opt(o, "srcIp", e.src_ip, 16);
  e.ttl = uint8_t(num_opt(o, "ttl", 64));
  e.tos = uint8_t(num_opt(o, "tos", 0xc0));
  e.df = num_opt(o, "df", 0) != 0;
  e.ip_id = uint16_t(num_opt(o, "ipId", 0));
  e.flow_label = uint32_t(num_opt(o, "flowLabel", 0));
  e.max_len = uint32_t(num_opt(o, "maxLength", 0));
  return e;
}

Napi::Value apply_vnet_hdr(const Napi::CallbackInfo& info) {
  Batch b = batch_arg(info, 0, "batch");
  uint32_t i = packet_index_arg(info, 1, b);
  if (info.Length() < 3 || !info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().ByteLength() < kVirtioNetHdrSize)
    throw_type(info.Env(), "a Uint8Array of 10 bytes for hdr", info.Length() > 2 ? info[2] : info.Env().Undefined());
  Napi::Uint8Array a = info[2].As<Napi::Uint8Array>();
  virtio_net_hdr_apply(b, i, virtio_net_hdr_decode(a.Data()));
  return info.Env().Undefined();
}

Napi::Value csum_complete(const Napi::CallbackInfo& info) {
  Batch b = batch_arg(info, 0, "batch");
  ZeroFold z = u32_arg(info, 1, "zeroFold") ? ZeroFold::KEEP : ZeroFold::MANGLE;
  uint32_t ev = u32_arg(info, 2, "engine");
  if (ev > uint32_t(CsumEngine::FAULT_TAG_SHIFT)) throw_type(info.Env(), "an engine in 0..3", info[2]);
  CsumEngine e = CsumEngine(ev);
  return Napi::Number::New(info.Env(), csum_complete_batch(b, z, e));
}

Napi::Value rx_csum_check_js(const Napi::CallbackInfo& info) {
  Batch b = batch_arg(info, 0, "batch");
  return Napi::Number::New(info.Env(), rx_l4_csum_check_batch(b));
}

Napi::Value gso_batch_js(const Napi::CallbackInfo& info) {
  Batch in = batch_arg(info, 0, "input");
  Batch out = batch_arg(info, 1, "output");
  GsoOptions g = gso_opts(info, 2);
  uint32_t consumed = 0;
  Status st = gso_batch(in, out, g, &consumed);
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("consumed", consumed);
  r.Set("outputFull", st == Status::OUTPUT_FULL);
  return r;
}

Napi::Value gso_packet_js(const Napi::CallbackInfo& info) {
  Batch in = batch_arg(info, 0, "input");
  uint32_t i = packet_index_arg(info, 1, in);
  Batch out = batch_arg(info, 2, "output");
  GsoOptions g = gso_opts(info, 3);
  GsoResult res;
  Status st = gso_packet(in, i, out, g, &res);
  if (st != Status::OK) throw_status(info.Env(), st, "gsoPacket");
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("drop", uint32_t(res.drop));
  r.Set("segments", res.segments);
  return r;
}

Napi::Value mtu_check_js(const Napi::CallbackInfo& info) {
  Batch b = batch_arg(info, 0, "batch");
  uint32_t i = packet_index_arg(info, 1, b);
  uint32_t len = 0;
  MtuVerdict v = mtu_check(b, i, u32_arg(info, 2, "ipMtu"), u32_arg(info, 3, "frameLimit"), &len);
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("verdict", uint32_t(v));
  r.Set("ipLength", len);
  return r;
}

Napi::Value ipv4_fragment_js(const Napi::CallbackInfo& info) {
  Batch in = batch_arg(info, 0, "input");
  uint32_t i = packet_index_arg(info, 1, in);
  uint32_t mtu = u32_arg(info, 2, "mtu");
  Batch out = batch_arg(info, 3, "output");
  FragResult res;
  Status st = ipv4_fragment(in, i, mtu, out, &res);
  if (st != Status::OK) throw_status(info.Env(), st, "ipv4Fragment");
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("drop", uint32_t(res.drop));
  r.Set("fragments", res.fragments);
  return r;
}

Napi::Value icmp_allowed_js(const Napi::CallbackInfo& info) {
  Batch b = batch_arg(info, 0, "batch");
  uint32_t i = packet_index_arg(info, 1, b);
  return Napi::Boolean::New(info.Env(), icmp_error_allowed(b, i));
}

Napi::Value icmp_frag_needed_js(const Napi::CallbackInfo& info) {
  Batch in = batch_arg(info, 0, "input");
  uint32_t i = packet_index_arg(info, 1, in);
  uint32_t mtu = u32_arg(info, 2, "mtu");
  IcmpErrorOptions o = icmp_opts(info, 3);
  Batch out = batch_arg(info, 4, "output");
  Status st = icmp_frag_needed(in, i, uint16_t(mtu > 0xFFFF ? 0xFFFF : mtu), o, out);
  if (st != Status::OK) throw_status(info.Env(), st, "icmpFragNeeded");
  return info.Env().Undefined();
}

Napi::Value icmpv6_ptb_js(const Napi::CallbackInfo& info) {
  Batch in = batch_arg(info, 0, "input");
  uint32_t i = packet_index_arg(info, 1, in);
  uint32_t mtu = u32_arg(info, 2, "mtu");
  IcmpErrorOptions o = icmp_opts(info, 3);
  Batch out = batch_arg(info, 4, "output");
  Status st = icmpv6_packet_too_big(in, i, mtu, o, out);
  if (st != Status::OK) throw_status(info.Env(), st, "icmpv6PacketTooBig");
  return info.Env().Undefined();
}

class JsReassembler : public Napi::ObjectWrap<JsReassembler> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Reassembler",
                       {InstanceMethod<&JsReassembler::feed>("feed"), InstanceMethod<&JsReassembler::expire>("expire"),
                        InstanceMethod<&JsReassembler::datagrams>("datagrams"),
                        InstanceMethod<&JsReassembler::bytes>("bytes")});
  }
  explicit JsReassembler(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsReassembler>(info) {
    ReasmLimits lim;
    if (info.Length() > 0 && info[0].IsObject()) {
      Napi::Object o = info[0].As<Napi::Object>();
      lim.max_datagrams = uint32_t(num_opt(o, "maxDatagrams", lim.max_datagrams));
      lim.max_bytes = uint32_t(num_opt(o, "maxBytes", lim.max_bytes));
      lim.timeout_ns = uint64_t(num_opt(o, "timeoutNs", double(lim.timeout_ns)));
      lim.timeout6_ns = uint64_t(num_opt(o, "timeout6Ns", double(lim.timeout6_ns)));
    }
    r_ = Reassembler(lim);
  }

 private:
  Napi::Value feed(const Napi::CallbackInfo& info) {
    Batch in = batch_arg(info, 0, "input");
    uint32_t i = packet_index_arg(info, 1, in);
    if (info.Length() < 3 || !info[2].IsNumber()) throw_type(info.Env(), "a number of nanoseconds for nowNs", info[2]);
    uint64_t now = uint64_t(info[2].As<Napi::Number>().DoubleValue());
    Batch out = batch_arg(info, 3, "output");
    ReasmResult res;
    Status st = r_.feed(in, i, now, out, &res);
    if (st != Status::OK) throw_status(info.Env(), st, "Reassembler.feed");
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("drop", uint32_t(res.drop));
    o.Set("droppedFragments", res.dropped_fragments);
    o.Set("held", res.held);
    o.Set("emitted", res.emitted);
    return o;
  }
  Napi::Value expire(const Napi::CallbackInfo& info) {
    if (info.Length() < 1 || !info[0].IsNumber()) throw_type(info.Env(), "a number of nanoseconds for nowNs", info[0]);
    std::vector<ReasmExpired> ex;
    r_.expire(uint64_t(info[0].As<Napi::Number>().DoubleValue()), &ex);
    Napi::Array a = Napi::Array::New(info.Env(), ex.size());
    for (size_t k = 0; k < ex.size(); k++) {
      Napi::Object o = Napi::Object::New(info.Env());
      o.Set("fragments", ex[k].fragments);
      o.Set("bytes", ex[k].bytes);
      a.Set(uint32_t(k), o);
    }
    return a;
  }
  Napi::Value datagrams(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), r_.datagrams()); }
  Napi::Value bytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(r_.bytes())); }

  Reassembler r_;
};

}  // namespace

void register_offload(Napi::Env env, Napi::Object exports) {
  exports.Set("applyVnetHdr", Napi::Function::New(env, apply_vnet_hdr, "applyVnetHdr"));
  exports.Set("csumComplete", Napi::Function::New(env, csum_complete, "csumComplete"));
  exports.Set("rxCsumCheck", Napi::Function::New(env, rx_csum_check_js, "rxCsumCheck"));
  exports.Set("gsoBatch", Napi::Function::New(env, gso_batch_js, "gsoBatch"));
  exports.Set("gsoPacket", Napi::Function::New(env, gso_packet_js, "gsoPacket"));
  exports.Set("mtuCheck", Napi::Function::New(env, mtu_check_js, "mtuCheck"));
  exports.Set("ipv4Fragment", Napi::Function::New(env, ipv4_fragment_js, "ipv4Fragment"));
  exports.Set("icmpErrorAllowed", Napi::Function::New(env, icmp_allowed_js, "icmpErrorAllowed"));
  exports.Set("icmpFragNeeded", Napi::Function::New(env, icmp_frag_needed_js, "icmpFragNeeded"));
  exports.Set("icmpv6PacketTooBig", Napi::Function::New(env, icmpv6_ptb_js, "icmpv6PacketTooBig"));
  exports.Set("Reassembler", JsReassembler::define(env));
}

}  // namespace vs::js
