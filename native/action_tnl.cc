#include "action_tnl.h"

#include <cstring>

#include "tunnel_encap.h"
#include "tunnel_inner.h"

namespace vs {

Status tnl_push_validate(ByteView arg) {
  if (arg.size() != kTnlPushArgSize) return Status::BAD_ARGUMENT;
  TunnelTemplate t;
  return tunnel_template_load(arg.slice(4, sizeof(TunnelTemplate)), &t);
}

uint16_t TunnelPushState::push(Batch& batch, uint32_t w, ByteView arg) {
  if (!have_last_ || std::memcmp(arg.data() + 4, last_raw_, sizeof last_raw_) != 0) {
    have_last_ = false;
    if (tunnel_template_load(arg.slice(4, sizeof(TunnelTemplate)), &last_) != Status::OK) return 0;
    std::memcpy(last_raw_, arg.data() + 4, sizeof last_raw_);
    have_last_ = true;
  }
  uint32_t port = uint32_t(arg.data()[0]) | uint32_t(arg.data()[1]) << 8 | uint32_t(arg.data()[2]) << 16 |
                  uint32_t(arg.data()[3]) << 24;
  uint32_t& hash = batch.u32(COL_HASH)[w];
  if (hash == 0) {
    MutByteView frame = batch.packet(w);
    InnerInfo info;
    tunnel_inspect_inner(frame.view(), &info);
    hash = tunnel_flow_hash(frame.view(), info);
  }
  std::vector<TunnelState>& buckets = states_[port];
  if (buckets.empty()) buckets.assign(kTunnelIdBuckets, TunnelState{0});
  return uint16_t(tunnel_encap_packet(batch, w, last_, buckets[hash % kTunnelIdBuckets], &global_ip_id_));
}

}  // namespace vs
