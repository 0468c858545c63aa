// Shared helpers of the N-API glue (js_*.cc only): argument checks with
// "expected X for Y, received Z" messages, and core Status -> JS error with a
// stable `code` ("ERR_VS_" + symbol).
#pragma once
#include <napi.h>

#include <string>

#include "batch.h"
#include "status.h"

namespace vs::js {

[[noreturn]] void throw_status(Napi::Env env, Status st, const std::string& context);
[[noreturn]] void throw_type(Napi::Env env, const std::string& what, const Napi::Value& got);
// A RangeError with code ERR_OUT_OF_RANGE.
[[noreturn]] void throw_range(Napi::Env env, const std::string& message);

// The batch behind an ArrayBuffer argument, validated.
Batch batch_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
uint32_t u32_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
// The bytes of a Uint8Array argument (a view: valid while the call runs).
ByteView bytes_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
Napi::Uint32Array u32array_arg(const Napi::CallbackInfo& info, size_t index, const char* name);
// A packet index argument below batch.count().
uint32_t packet_index_arg(const Napi::CallbackInfo& info, size_t index, const Batch& batch);

// Registration hooks, one per js_*.cc file; js_addon.cc calls them all.
void register_batch(Napi::Env env, Napi::Object exports);
void register_drop_reasons(Napi::Env env, Napi::Object exports);
void register_parse(Napi::Env env, Napi::Object exports);
void register_tunnel(Napi::Env env, Napi::Object exports);
void register_datapath(Napi::Env env, Napi::Object exports);
void register_offload(Napi::Env env, Napi::Object exports);
void register_pcap(Napi::Env env, Napi::Object exports);

}  // namespace vs::js
