// The TNL_PUSH action: argument = u32 tunnel port (little-endian; names the
// tunnel whose per-tunnel state, e.g. the outer IPv4 ID counter, is used)
// followed by a serialized TunnelTemplate (tunnel_types.h, 128 bytes). The
// encapsulation itself is TunnelEncapBatch::encap (tunnel_encap.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "batch.h"
#include "bytes.h"
#include "status.h"
#include "tunnel_encap.h"
#include "tunnel_types.h"

namespace vs {

constexpr size_t kTnlPushArgSize = 4 + sizeof(TunnelTemplate);

// BAD_ARGUMENT unless `arg` is kTnlPushArgSize bytes with a valid template.
Status tnl_push_validate(ByteView arg);

// A TNL_PUSH argument decoded once (e.g. when a flow is installed), so the
// fast path neither re-reads nor re-checks the serialized template per packet.
struct TnlPushArg {
  uint32_t port = 0;
  TunnelTemplate tpl{};
};
// tnl_push_validate, keeping the decoded argument.
Status tnl_push_load(ByteView arg, TnlPushArg* out);

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
  // push() of a decoded argument, with the batch's columns read once (`enc` is of `batch`).
  uint16_t push_loaded(const Batch& batch, const TunnelEncapBatch& enc, uint32_t w, const TnlPushArg& arg);

 private:
  // The port's ID counters (created on first use; the last port's are remembered:
  // unordered_map values never move, so the pointer stays valid).
  TunnelState* buckets(uint32_t port);

  uint8_t last_raw_[sizeof(TunnelTemplate)] = {};  // the serialized template last_.tpl was loaded from
  bool have_last_ = false;
  TnlPushArg last_;
  std::unordered_map<uint32_t, std::vector<TunnelState>> states_;
  uint32_t last_port_ = 0;
  TunnelState* last_buckets_ = nullptr;
  uint16_t global_ip_id_ = 0;  // IpIdPolicy::GLOBAL: one counter for every tunnel of this executor (datapath)
};

}  // namespace vs
