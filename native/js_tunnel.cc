// N-API glue for tunnels (src/tunnel/*.ts wraps these):
//   tunnelEncap(batch, templates, states, select) -> packets encapsulated
//   tunnelDecap(batch, receiver, meta)            -> packets decapsulated
//   tunnelTemplateCheck(template) / tunnelReceiverCheck(receiver): validate
//   tunnelRoofline(batch, header)                 -> benchmark roofline
// Templates are concatenated 128-byte TunnelTemplate records, states one
// Uint16Array entry (the IPv4 ID counter) per template, plus optionally one
// more: the counter shared by `global` outer-ID templates; select null or a
// Uint16Array with a template index per packet, meta null or a Uint8Array of
// 64 bytes (TunnelMeta) per packet.
#include <vector>

#include "js_util.h"
#include "tunnel_decap.h"
#include "tunnel_encap.h"

namespace vs::js {
namespace {

static_assert(sizeof(TunnelState) == 2, "states are a Uint16Array");

// Loads n templates into `out` (stack storage for the common small case).
void load_templates(const Napi::CallbackInfo& info, ByteView all, std::vector<TunnelTemplate>* out) {
  if (all.size() == 0 || all.size() % sizeof(TunnelTemplate) != 0)
    throw_range(info.Env(), "expected templates to be a non-empty multiple of 128 bytes, received " +
                                std::to_string(all.size()) + " bytes");
  size_t n = all.size() / sizeof(TunnelTemplate);
  out->resize(n);
  for (size_t k = 0; k < n; k++) {
    Status st = tunnel_template_load(all.slice(k * sizeof(TunnelTemplate), sizeof(TunnelTemplate)), &(*out)[k]);
    if (st != Status::OK) throw_status(info.Env(), st, "tunnel template " + std::to_string(k));
  }
}

Napi::Value tunnel_encap_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Batch batch = batch_arg(info, 0, "batch");
  ByteView all = bytes_arg(info, 1, "templates");
  TunnelTemplate one;
  std::vector<TunnelTemplate> many;
  const TunnelTemplate* templates = &one;
  uint32_t n = 1;
  if (all.size() == sizeof(TunnelTemplate)) {
    Status st = tunnel_template_load(all, &one);
    if (st != Status::OK) throw_status(env, st, "tunnel template 0");
  } else {
    load_templates(info, all, &many);
    templates = many.data();
    n = uint32_t(many.size());
  }
  Napi::Value sv = info[2];
  if (!sv.IsTypedArray() || sv.As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array)
    throw_type(env, "a Uint16Array for states", sv);
  Napi::Uint16Array states = sv.As<Napi::Uint16Array>();
  if (states.ElementLength() < n) throw_range(env, "expected one state per template");
  const uint16_t* select = nullptr;
  Napi::Value selv = info[3];
  if (!selv.IsNull() && !selv.IsUndefined()) {
    if (!selv.IsTypedArray() || selv.As<Napi::TypedArray>().TypedArrayType() != napi_uint16_array)
      throw_type(env, "a Uint16Array or null for select", selv);
    Napi::Uint16Array s = selv.As<Napi::Uint16Array>();
    if (s.ElementLength() < batch.count()) throw_range(env, "expected select to have an entry per packet");
    select = s.Data();
  }
  uint16_t* global_id = states.ElementLength() > n ? states.Data() + n : nullptr;
  uint32_t done = tunnel_encap_batch(batch, templates, reinterpret_cast<TunnelState*>(states.Data()), n, select, global_id);
  return Napi::Number::New(env, done);
}

Napi::Value tunnel_decap_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Batch batch = batch_arg(info, 0, "batch");
  TunnelReceiver rx;
  Status st = tunnel_receiver_load(bytes_arg(info, 1, "receiver"), &rx);
  if (st != Status::OK) throw_status(env, st, "tunnel receiver");
  TunnelMeta* metas = nullptr;
  Napi::Value mv = info[2];
  if (!mv.IsNull() && !mv.IsUndefined()) {
    ByteView m = bytes_arg(info, 2, "meta");
    if (m.size() < size_t(batch.count()) * sizeof(TunnelMeta) || (reinterpret_cast<uintptr_t>(m.data()) & 3))
      throw_range(env, "expected meta to be a 4-aligned Uint8Array of 64 bytes per packet");
    metas = reinterpret_cast<TunnelMeta*>(const_cast<uint8_t*>(m.data()));
  }
  return Napi::Number::New(env, tunnel_decap_batch(batch, rx, metas));
}

Napi::Value tunnel_template_check_js(const Napi::CallbackInfo& info) {
  std::vector<TunnelTemplate> t;
  load_templates(info, bytes_arg(info, 0, "template"), &t);
  return info.Env().Undefined();
}

Napi::Value tunnel_receiver_check_js(const Napi::CallbackInfo& info) {
  TunnelReceiver rx;
  Status st = tunnel_receiver_load(bytes_arg(info, 0, "receiver"), &rx);
  if (st != Status::OK) throw_status(info.Env(), st, "tunnel receiver");
  return info.Env().Undefined();
}

Napi::Value tunnel_roofline_js(const Napi::CallbackInfo& info) {
  Batch batch = batch_arg(info, 0, "batch");
  ByteView hdr = bytes_arg(info, 1, "header");
  return Napi::Number::New(info.Env(), tunnel_roofline_batch(batch, hdr.data(), uint32_t(hdr.size())));
}

}  // namespace

void register_tunnel(Napi::Env env, Napi::Object exports) {
  exports.Set("tunnelEncap", Napi::Function::New(env, tunnel_encap_js, "tunnelEncap"));
  exports.Set("tunnelDecap", Napi::Function::New(env, tunnel_decap_js, "tunnelDecap"));
  exports.Set("tunnelTemplateCheck", Napi::Function::New(env, tunnel_template_check_js, "tunnelTemplateCheck"));
  exports.Set("tunnelReceiverCheck", Napi::Function::New(env, tunnel_receiver_check_js, "tunnelReceiverCheck"));
  exports.Set("tunnelRoofline", Napi::Function::New(env, tunnel_roofline_js, "tunnelRoofline"));
}

}  // namespace vs::js
