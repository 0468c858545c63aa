// The TNL_PUSH action: argument = u32 tunnel port (little-endian; names the
// tunnel whose per-tunnel state, e.g. the outer IPv4 ID counter, is used)
// followed by a serialized TunnelTemplate (tunnel_types.h, 128 bytes). The
// encapsulation itself is tunnel_encap_packet (tunnel_encap.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "batch.h"
#include "bytes.h"
#include "status.h"
#include "tunnel_types.h"

namespace vs {

constexpr size_t kTnlPushArgSize = 4 + sizeof(TunnelTemplate);

// BAD_ARGUMENT unless `arg` is kTnlPushArgSize bytes with a valid template.
Status tnl_push_validate(ByteView arg);

// Per-executor tunnel state and a one-entry cache of the last loaded template.
// The outer IPv4 ID counter (IpIdPolicy::COUNTER) is kept per tunnel port and
// per flow-hash bucket (kTunnelIdBuckets, low bits of COL_HASH, computed with
// tunnel_flow_hash when absent), as Linux keeps IP ID counters in hashed
// buckets: all packets of a bucket share an RSS queue, so the IDs a flow gets
// do not depend on how many PMDs run.
constexpr uint32_t kTunnelIdBuckets = 4096;
class TunnelPushState {
 public:
  // Encapsulates packet w of `batch` with the (validated) argument. Returns 0
  // or the DropReason value.
  uint16_t push(Batch& batch, uint32_t w, ByteView arg);

 private:
  uint8_t last_raw_[sizeof(TunnelTemplate)] = {};  // the serialized template last_ was loaded from
  bool have_last_ = false;
  TunnelTemplate last_{};
  std::unordered_map<uint32_t, std::vector<TunnelState>> states_;
  uint16_t global_ip_id_ = 0;  // IpIdPolicy::GLOBAL: one counter for every tunnel of this executor (datapath)
};

}  // namespace vs
