#include "action_tnl.h"

#include <cstring>

#include "tunnel_encap.h"
#include "tunnel_inner.h"

namespace vs {
namespace {
uint32_t arg_port(ByteView arg) {  // the argument's u32 tunnel port, little-endian
  const uint8_t* p = arg.data();
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}
}  // namespace

Status tnl_push_validate(ByteView arg) {
  TnlPushArg decoded;
  return tnl_push_load(arg, &decoded);
}

Status tnl_push_load(ByteView arg, TnlPushArg* out) {
  if (arg.size() != kTnlPushArgSize) return Status::BAD_ARGUMENT;
  Status st = tunnel_template_load(arg.slice(4, sizeof(TunnelTemplate)), &out->tpl);
  if (st != Status::OK) return st;
  out->port = arg_port(arg);
  return Status::OK;
}

TunnelState* TunnelPushState::buckets(uint32_t port) {
  if (last_buckets_ && last_port_ == port) return last_buckets_;
  std::vector<TunnelState>& b = states_[port];
  if (b.empty()) b.assign(kTunnelIdBuckets, TunnelState{0});
  last_port_ = port;
  last_buckets_ = b.data();
  return last_buckets_;
}

uint16_t TunnelPushState::push(Batch& batch, uint32_t w, ByteView arg) {
  if (!have_last_ || std::memcmp(arg.data() + 4, last_raw_, sizeof last_raw_) != 0) {
    have_last_ = false;
    if (tunnel_template_load(arg.slice(4, sizeof(TunnelTemplate)), &last_.tpl) != Status::OK) return 0;
    std::memcpy(last_raw_, arg.data() + 4, sizeof last_raw_);
    have_last_ = true;
  }
  last_.port = arg_port(arg);
  return push_loaded(batch, TunnelEncapBatch(batch), w, last_);
}

uint16_t TunnelPushState::push_loaded(const Batch& batch, const TunnelEncapBatch& enc, uint32_t w,
                                      const TnlPushArg& arg) {
  uint32_t& hash = batch.u32(COL_HASH)[w];
  if (hash == 0) {
    MutByteView frame = batch.packet(w);
    InnerInfo info;
    // A frame the encap cannot read is dropped there: no hash over bytes it does not have.
    if (tunnel_inspect_inner(frame.view(), &info)) hash = tunnel_flow_hash(frame.view(), info);
  }
  TunnelState& state = buckets(arg.port)[hash % kTunnelIdBuckets];
  return uint16_t(enc.encap(w, arg.tpl, state, &global_ip_id_));
}

}  // namespace vs
