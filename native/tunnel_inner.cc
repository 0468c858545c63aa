#include "tunnel_inner.h"

#include "rss.h"
#include "tunnel_ovs_hash.h"

namespace vs {
namespace {

uint32_t mix_bytes(uint32_t h, ByteView v, size_t off, size_t len) {
  for (size_t k = 0; k + 4 <= len; k += 4) h = mhash_add(h, load_be32(v.data() + off + k));
  return h;
}

}  // namespace

uint32_t tunnel_flow_hash(ByteView frame, const InnerInfo& info) {
  if (info.ip_version != 0) {
    uint32_t rss = ms_rss_hasher().hash_headers(frame, info.l3, info.l4);
    if (rss != 0) return rss;
  }
  uint32_t h = 0x5653u;  // arbitrary fixed seed: outputs must be reproducible
  uint32_t words = 0;
  if (info.ip_version == 4) {
    h = mix_bytes(h, frame, info.l3 + 12, 8);
    words = 2;
  } else if (info.ip_version == 6) {
    h = mix_bytes(h, frame, info.l3 + 8, 32);
    words = 8;
  } else {
    h = mix_bytes(h, frame, 0, 12);
    h = mhash_add(h, info.eth_type);
    words = 4;
  }
  if (info.ip_version != 0) {
    uint32_t ports = 0;
    bool has_ports = info.proto == 6 || info.proto == 17 || info.proto == 132;
    if (has_ports && info.l4 != 0xFFFF) frame.be32(info.l4, ports);
    h = mhash_add(h, uint32_t(info.proto) << 24);
    h = mhash_add(h, ports);
    words += 2;
  }
  h = mhash_finish(h, words * 4);
  return h ? h : 1;
}

}  // namespace vs
