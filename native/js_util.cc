#include "js_util.h"

namespace vs::js {

namespace {
std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsArrayBuffer()) return "ArrayBuffer";
  if (v.IsTypedArray()) return "TypedArray";
  if (v.IsNumber()) return "number " + v.ToString().Utf8Value();
  if (v.IsString()) return "string";
  if (v.IsBoolean()) return "boolean";
  if (v.IsArray()) return "Array";
  if (v.IsObject()) return "object";
  return "value";
}
}  // namespace

void throw_status(Napi::Env env, Status st, const std::string& context) {
  Napi::Error err = Napi::Error::New(env, context + ": " + status_text(st));
  err.Set("code", Napi::String::New(env, std::string("ERR_VS_") + status_symbol(st)));
  throw err;
}

void throw_type(Napi::Env env, const std::string& what, const Napi::Value& got) {
  Napi::TypeError err = Napi::TypeError::New(env, "expected " + what + ", received " + describe(got));
  err.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
  throw err;
}

void throw_range(Napi::Env env, const std::string& message) {
  Napi::RangeError err = Napi::RangeError::New(env, message);
  err.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
  throw err;
}

ByteView bytes_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw_type(info.Env(), std::string("a Uint8Array for ") + name, v);
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return ByteView(a.Data(), a.ByteLength());
}

Napi::Uint32Array u32array_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw_type(info.Env(), std::string("a Uint32Array for ") + name, v);
  return v.As<Napi::Uint32Array>();
}

uint32_t packet_index_arg(const Napi::CallbackInfo& info, size_t index, const Batch& batch) {
  uint32_t i = u32_arg(info, index, "index");
  if (i >= batch.count())
    throw_range(info.Env(), "expected a packet index below " + std::to_string(batch.count()) + ", received " + std::to_string(i));
  return i;
}

Batch batch_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsArrayBuffer()) throw_type(info.Env(), std::string("an ArrayBuffer for ") + name, v);
  Napi::ArrayBuffer ab = v.As<Napi::ArrayBuffer>();
  Batch batch;
  Status st = Batch::open(static_cast<uint8_t*>(ab.Data()), ab.ByteLength(), &batch);
  if (st != Status::OK) throw_status(info.Env(), st, name);
  return batch;
}

uint32_t u32_arg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  Napi::Value v = info[index];
  if (!v.IsNumber()) throw_type(info.Env(), std::string("a number for ") + name, v);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
    throw_range(info.Env(), std::string("expected an integer in [0, 2^32) for ") + name + ", received " + std::to_string(d));
  return static_cast<uint32_t>(d);
}

}  // namespace vs::js
