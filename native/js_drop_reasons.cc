// dropReasons() -> [[name, text], ...] indexed by DropReason value, so the TS
// table generated from the same list can be checked against the addon.
#include "drop_reason.h"
#include "js_util.h"

namespace vs::js {

void register_drop_reasons(Napi::Env env, Napi::Object exports) {
  exports.Set("dropReasons", Napi::Function::New(
                                 env,
                                 [](const Napi::CallbackInfo& info) -> Napi::Value {
                                   Napi::Env e = info.Env();
                                   Napi::Array out = Napi::Array::New(e, kDropReasonCount);
                                   for (uint16_t i = 0; i < kDropReasonCount; i++) {
                                     Napi::Array pair = Napi::Array::New(e, 2);
                                     pair.Set(0u, drop_reason_name(i));
                                     pair.Set(1u, drop_reason_text(i));
                                     out.Set(i, pair);
                                   }
                                   return out;
                                 },
                                 "dropReasons"));
}

}  // namespace vs::js
