#include "tunnel_inner.h"

#include "rss.h"
#include "tunnel_ovs_hash.h"

namespace vs {
namespace {

constexpr uint16_t kEthIpv4 = 0x0800, kEthIpv6 = 0x86DD, kEthVlan = 0x8100, kEthQinQ = 0x88A8;

uint32_t mix_bytes(uint32_t h, ByteView v, size_t off, size_t len) {
  for (size_t k = 0; k + 4 <= len; k += 4) h = mhash_add(h, load_be32(v.data() + off + k));
  return h;
}

}  // namespace

bool tunnel_inspect_inner(ByteView frame, InnerInfo* out) {
  *out = InnerInfo();
  uint16_t type;
  if (!frame.be16(12, type) || frame.size() < 14) return false;
  size_t off = 14;
  for (int tags = 0; tags < 2 && (type == kEthVlan || type == kEthQinQ); tags++) {
    if (!frame.be16(off + 2, type)) return false;
    off += 4;
  }
  out->eth_type = type;
  if (type == kEthIpv4) {
    uint8_t vihl;
    if (!frame.has(off, 20) || !frame.u8(off, vihl) || (vihl >> 4) != 4 || (vihl & 15) < 5) return true;
    const uint8_t* ip = frame.data() + off;
    out->l3 = uint16_t(off);
    out->ip_version = 4;
    out->ip_id = load_be16(ip + 4);
    uint16_t frag = load_be16(ip + 6);
    out->df = (frag & 0x4000) != 0;
    out->fragment = (frag & 0x3FFF) != 0;
    out->ttl = ip[8];
    out->proto = ip[9];
    size_t l4 = off + size_t(vihl & 15) * 4;
    if (!out->fragment && l4 <= frame.size() && l4 < 0xFFFF) out->l4 = uint16_t(l4);
  } else if (type == kEthIpv6) {
    uint8_t v;
    if (!frame.has(off, 40) || !frame.u8(off, v) || (v >> 4) != 6) return true;
    const uint8_t* ip = frame.data() + off;
    out->l3 = uint16_t(off);
    out->ip_version = 6;
    out->proto = ip[6];
    out->ttl = ip[7];
    size_t l4 = off + 40;
    bool known_l4 = out->proto == 6 || out->proto == 17 || out->proto == 58 || out->proto == 132;
    if (known_l4 && l4 < 0xFFFF) out->l4 = uint16_t(l4);
  }
  return true;
}

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
