#include "rss.h"

#include <cstring>

namespace vs {

const uint8_t kMsRssKey[kRssKeySize] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

uint32_t toeplitz_hash(const uint8_t* key, size_t key_len, const uint8_t* input, size_t len) {
  if (key_len < len + 4) return 0;
  uint32_t result = 0;
  uint32_t window = load_be32(key);  // the left-most 32 bits of the shifted key
  for (size_t i = 0; i < len; i++) {
    for (int b = 7; b >= 0; b--) {
      if (input[i] >> b & 1) result ^= window;
      window = window << 1 | (key[i + 4] >> b & 1);
    }
  }
  return result;
}

RssHasher::RssHasher(const uint8_t* key) {
  // table_[i][v]: the hash contribution of byte value v at input position i.
  for (size_t i = 0; i < kRssMaxInput; i++) {
    uint32_t window[8];
    // Window for bit b (0 = MSB) of byte i starts at key bit 8*i + b.
    for (int b = 0; b < 8; b++) {
      uint64_t bits = uint64_t(load_be32(key + i)) << 8 | key[i + 4];
      window[b] = uint32_t(bits >> (8 - b));
    }
    for (uint32_t v = 0; v < 256; v++) {
      uint32_t h = 0;
      for (int b = 0; b < 8; b++)
        if (v & (0x80u >> b)) h ^= window[b];
      table_[i][v] = h;
    }
  }
}

uint32_t RssHasher::hash(const uint8_t* input, size_t len) const {
  if (len > kRssMaxInput) len = kRssMaxInput;
  uint32_t h = 0;
  for (size_t i = 0; i < len; i++) h ^= table_[i][input[i]];
  return h;
}

namespace {
bool has_ports(uint8_t proto) { return proto == 6 || proto == 17; }
const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}  // namespace

uint32_t RssHasher::hash_key(const FlowKey& k) const {
  // The table lookups of hash() straight from the key's bytes (no input copy).
  uint32_t h = 0;
  size_t pos;
  if (k.dl_type == 0x0800 && std::memcmp(k.nw_src, kMappedPrefix, 12) == 0) {
    for (size_t b = 0; b < 4; b++) h ^= table_[b][k.nw_src[12 + b]] ^ table_[4 + b][k.nw_dst[12 + b]];
    pos = 8;
  } else if (k.dl_type == 0x86dd) {
    for (size_t b = 0; b < 16; b++) h ^= table_[b][k.nw_src[b]] ^ table_[16 + b][k.nw_dst[b]];
    pos = 32;
  } else {
    return 0;
  }
  if (has_ports(k.nw_proto) && !(k.nw_frag & kNwFragAny)) {
    h ^= table_[pos][k.tp_src >> 8] ^ table_[pos + 1][k.tp_src & 0xff];
    h ^= table_[pos + 2][k.tp_dst >> 8] ^ table_[pos + 3][k.tp_dst & 0xff];
  }
  return h;
}

uint32_t RssHasher::hash_headers(ByteView pkt, uint16_t l3, uint16_t l4) const {
  uint8_t in[kRssMaxInput];
  size_t n = 0;
  uint8_t ver = 0;
  if (l3 == kAbsent || !pkt.u8(l3, ver)) return 0;
  uint8_t proto = 0;
  bool fragment = false;
  if (ver >> 4 == 4) {
    uint16_t frag = 0;
    if (!pkt.u8(l3 + 9, proto) || !pkt.be16(l3 + 6, frag) || !pkt.copy(l3 + 12, in, 8)) return 0;
    fragment = (frag & 0x3fff) != 0;  // MF or a non-zero offset
    n = 8;
  } else if (ver >> 4 == 6) {
    if (!pkt.u8(l3 + 6, proto) || !pkt.copy(l3 + 8, in, 32)) return 0;
    n = 32;
  } else {
    return 0;
  }
  if (has_ports(proto) && !fragment && l4 != kAbsent && pkt.copy(l4, in + n, 4)) n += 4;
  return hash(in, n);
}

const RssHasher& ms_rss_hasher() {
  static const RssHasher hasher(kMsRssKey);
  return hasher;
}

uint32_t rss_hash_packet(const Batch& batch, uint32_t i, RssLayer layer, const RssHasher& hasher) {
  if (layer == RssLayer::INNER && batch.u16(COL_INNER_L3)[i] != kAbsent)
    return hasher.hash_headers(batch.packet(i).view(), batch.u16(COL_INNER_L3)[i], batch.u16(COL_INNER_L4)[i]);
  if (batch.u32(COL_FLAGS)[i] & FLAG_PARSED) return hasher.hash_key(*batch.key(i));
  return hasher.hash_headers(batch.packet(i).view(), batch.u16(COL_L3)[i], batch.u16(COL_L4)[i]);
}

bool rss_hash_frame(ByteView pkt, uint32_t wire, uint32_t* hash, const RssHasher& hasher) {
  // The acceptance test of parse_fast (parse_fast.cc): whatever passes it is
  // parsed there into a key whose addresses and ports are these bytes.
  const size_t n = pkt.size();
  if (wire != n || n < 14 + 20 + 8 || n >= kAbsent) return false;
  const uint8_t* h = pkt.data();
  size_t l3 = 14;
  uint16_t type = load_be16(h + 12);
  if (type == 0x8100) {
    type = load_be16(h + 16);
    l3 = 18;
  }
  size_t l4, end;
  uint8_t proto;
  const uint8_t* q = h + l3;
  const bool v4 = type == 0x0800;
  if (v4) {
    if (q[0] != 0x45 || (load_be16(q + 6) & 0x3fff) != 0) return false;
    size_t total = load_be16(q + 2);
    if (total < 20 || l3 + total > n) return false;
    proto = q[9];
    l4 = l3 + 20;
    end = l3 + total;
  } else if (type == 0x86dd) {
    if (l3 + 40 > n || (q[0] >> 4) != 6) return false;
    size_t plen = load_be16(q + 4);
    if (plen == 0 || l3 + 40 + plen > n) return false;
    proto = q[6];
    l4 = l3 + 40;
    end = l4 + plen;
  } else {
    return false;
  }
  const uint8_t* t = h + l4;
  if (proto == 6) {
    if (l4 + 20 > end) return false;
    size_t doff = size_t(t[12] >> 4) * 4;
    if (doff < 20 || l4 + doff > end) return false;
  } else if (proto == 17) {
    if (l4 + 8 > end) return false;
    size_t ulen = load_be16(t + 4);
    uint16_t dport = load_be16(t + 2);
    if (ulen < 8 || l4 + ulen > end || dport == 4789 || dport == 6081 || dport == 6635) return false;
  } else {
    return false;
  }
  if (v4) {
    *hash = hasher.hash_v4_ports(q + 12, t);
  } else {
    uint8_t in[kRssMaxInput];
    std::memcpy(in, q + 8, 32);
    std::memcpy(in + 32, t, 4);
    *hash = hasher.hash(in, 36);
  }
  return true;
}

void rss_hash_batch(const Batch& batch, RssLayer layer, const RssHasher& hasher) {
  uint32_t* hash = batch.u32(COL_HASH);
  for (uint32_t i = 0; i < batch.count(); i++) hash[i] = rss_hash_packet(batch, i, layer, hasher);
}

void rss_hash_batch(const Batch& batch, const RssPortLayers& layers, const RssHasher& hasher) {
  if (layers.ports.empty()) return rss_hash_batch(batch, layers.fallback, hasher);
  uint32_t* hash = batch.u32(COL_HASH);
  const uint32_t* in_port = batch.u32(COL_IN_PORT);
  for (uint32_t i = 0; i < batch.count(); i++) hash[i] = rss_hash_packet(batch, i, layers.of(in_port[i]), hasher);
}

}  // namespace vs
