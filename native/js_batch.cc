// batchLayout(capacity, dataSize) -> the layout the core expects, for the TS
// side to check against its own at load time; initBatch(buffer, capacity,
// dataSize, headroom, tailroom) writes a fresh header.
#include "js_util.h"

namespace vs::js {
namespace {

Napi::Value batch_layout_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t capacity = u32_arg(info, 0, "capacity");
  uint32_t data_size = u32_arg(info, 1, "dataSize");
  BatchLayout layout;
  Status st = batch_layout(capacity, data_size, &layout);
  if (st != Status::OK) throw_status(env, st, "batchLayout");
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", kBatchVersion);
  out.Set("magic", kBatchMagic);
  out.Set("headerSize", layout.header_size);
  out.Set("keyOffset", layout.key_offset);
  out.Set("keySize", static_cast<uint32_t>(sizeof(FlowKey)));
  out.Set("dataOffset", layout.data_offset);
  out.Set("totalSize", layout.total_size);
  Napi::Array columns = Napi::Array::New(env, kColumnCount);
  for (uint32_t c = 0; c < kColumnCount; c++) {
    Napi::Object col = Napi::Object::New(env);
    col.Set("name", column_name(Column(c)));
    col.Set("offset", layout.column_offset[c]);
    col.Set("elementSize", column_element_size(Column(c)));
    columns.Set(c, col);
  }
  out.Set("columns", columns);
  return out;
}

Napi::Value init_batch_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArrayBuffer()) throw_type(env, "an ArrayBuffer for buffer", info[0]);
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  Status st = batch_init(static_cast<uint8_t*>(ab.Data()), ab.ByteLength(), u32_arg(info, 1, "capacity"),
                         u32_arg(info, 2, "dataSize"), u32_arg(info, 3, "headroom"),
                         u32_arg(info, 4, "tailroom"));
  if (st != Status::OK) throw_status(env, st, "initBatch");
  return env.Undefined();
}

}  // namespace

void register_batch(Napi::Env env, Napi::Object exports) {
  exports.Set("batchLayout", Napi::Function::New(env, batch_layout_js, "batchLayout"));
  exports.Set("initBatch", Napi::Function::New(env, init_batch_js, "initBatch"));
}

}  // namespace vs::js
