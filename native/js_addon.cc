// Module entry: each js_*.cc registers its functions here.
#include <napi.h>

#include "js_util.h"

namespace {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  vs::js::register_batch(env, exports);
  vs::js::register_drop_reasons(env, exports);
  vs::js::register_parse(env, exports);
  vs::js::register_tunnel(env, exports);
  vs::js::register_datapath(env, exports);
  vs::js::register_offload(env, exports);
  vs::js::register_pcap(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(vswitch_native, init)
