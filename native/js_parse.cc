// new Parser({ vxlanPorts?, genevePorts?, mplsUdpPorts? }) with
//   parse(buffer, linkType): parses every packet of the batch in one call;
//   describe(buffer, linkType): parses too, and returns every packet's layers
//     as { records: Uint32Array, index: Uint32Array }: packet i's layers are
//     records [2*index[i], 2*index[i+1]), two words per layer:
//       word 0 = proto | depth << 8 | csum status << 16 | quoted << 24
//       word 1 = offset from the packet start.
#include <cstring>
#include <string>
#include <vector>

#include "js_util.h"
#include "parse.h"

namespace vs::js {
namespace {

// Reads options[name] (an array of 1..kMaxTunnelPorts ports) when present.
void ports_option(Napi::Env env, Napi::Object opts, const char* name, uint16_t* ports, uint8_t* count) {
  if (!opts.Has(name)) return;
  Napi::Value v = opts.Get(name);
  if (v.IsUndefined()) return;
  std::string what = std::string("an array of at most ") + std::to_string(kMaxTunnelPorts) +
                     " UDP port numbers for options." + name;
  if (!v.IsArray()) throw_type(env, what, v);
  Napi::Array arr = v.As<Napi::Array>();
  if (arr.Length() > kMaxTunnelPorts)
    throw_range(env, "expected " + what + ", received " + std::to_string(arr.Length()) + " ports");
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value p = arr.Get(k);
    if (!p.IsNumber()) throw_type(env, std::string("a port number for options.") + name + "[" + std::to_string(k) + "]", p);
    double d = p.As<Napi::Number>().DoubleValue();
    if (!(d >= 0 && d <= 65535) || d != double(uint16_t(d)))
      throw_range(env, std::string("expected an integer in [0, 65535] for options.") + name + "[" +
                           std::to_string(k) + "], received " + p.ToString().Utf8Value());
    ports[k] = uint16_t(d);
  }
  *count = uint8_t(arr.Length());
}

uint32_t link_type_arg(const Napi::CallbackInfo& info, size_t index) {
  uint32_t lt = u32_arg(info, index, "linkType");
  if (!link_type_supported(lt))
    throw_range(info.Env(), "expected a supported link type (1, 9, 101, 113, 228, 229, 276) for linkType, received " +
                                std::to_string(lt));
  return lt;
}

class JsParser : public Napi::ObjectWrap<JsParser> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Parser",
                       {InstanceMethod<&JsParser::parse>("parse"), InstanceMethod<&JsParser::describe>("describe")});
  }

  explicit JsParser(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsParser>(info) {
    Napi::Env env = info.Env();
    if (info.Length() == 0 || info[0].IsUndefined()) return;
    if (!info[0].IsObject() || info[0].IsArray()) throw_type(env, "an object for options", info[0]);
    Napi::Object opts = info[0].As<Napi::Object>();
    ports_option(env, opts, "vxlanPorts", opt_.vxlan_ports, &opt_.vxlan_count);
    ports_option(env, opts, "genevePorts", opt_.geneve_ports, &opt_.geneve_count);
    ports_option(env, opts, "mplsUdpPorts", opt_.mpls_udp_ports, &opt_.mpls_udp_count);
    Napi::Value verify = opts.Get("verifyChecksums");
    if (!verify.IsUndefined()) {
      if (!verify.IsBoolean()) throw_type(env, "a boolean for options.verifyChecksums", verify);
      opt_.verify_checksums = verify.As<Napi::Boolean>().Value();
    }
  }

 private:
  Napi::Value parse(const Napi::CallbackInfo& info) {
    Batch batch = batch_arg(info, 0, "buffer");
    uint32_t lt = link_type_arg(info, 1);
    Status st = parse_batch(batch, lt, opt_);
    if (st != Status::OK) throw_status(info.Env(), st, "parse");
    return info.Env().Undefined();
  }

  Napi::Value describe(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Batch batch = batch_arg(info, 0, "buffer");
    uint32_t lt = link_type_arg(info, 1);
    uint32_t n = batch.count();
    // Scratch kept between calls: describe runs once per batch of a capture.
    if (lists_.size() < n) lists_.resize(n);
    std::vector<LayerList>& lists = lists_;
    Status st = describe_batch(batch, lt, opt_, lists.data());
    if (st != Status::OK) throw_status(env, st, "describe");
    std::vector<uint32_t>& words = words_;
    words.clear();
    Napi::Uint32Array index = Napi::Uint32Array::New(env, size_t(n) + 1);
    uint32_t* idx = index.Data();
    for (uint32_t i = 0; i < n; i++) {
      idx[i] = uint32_t(words.size() / 2);
      const LayerList& list = lists[i];
      for (uint32_t k = 0; k < list.count; k++) {
        const LayerRecord& r = list.rec[k];
        words.push_back(uint32_t(r.proto) | uint32_t(r.depth) << 8 | uint32_t(r.csum) << 16 |
                        uint32_t(r.quoted) << 24);
        words.push_back(r.offset);
      }
    }
    idx[n] = uint32_t(words.size() / 2);
    Napi::Uint32Array records = Napi::Uint32Array::New(env, words.size());
    if (!words.empty()) std::memcpy(records.Data(), words.data(), words.size() * sizeof(uint32_t));
    Napi::Object out = Napi::Object::New(env);
    out.Set("records", records);
    out.Set("index", index);
    return out;
  }

  ParseOptions opt_;
  std::vector<LayerList> lists_;
  std::vector<uint32_t> words_;
};

}  // namespace

void register_parse(Napi::Env env, Napi::Object exports) { exports.Set("Parser", JsParser::define(env)); }

}  // namespace vs::js
