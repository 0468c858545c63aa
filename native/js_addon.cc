// Module entry: each js_*.cc registers its functions here.
#include <napi.h>

#include "js_util.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  vs::js::register_batch(env, exports);
  vs::js::register_drop_reasons(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(vswitch_native, init)
