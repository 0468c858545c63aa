#include "csum.h"

#include <cstring>

namespace vs {

namespace {

// One's-complement addition of 64-bit words with end-around carry.
inline uint64_t add_carry64(uint64_t a, uint64_t b) {
  uint64_t r = a + b;
  return r + (r < a);
}

inline uint16_t fold64(uint64_t acc) {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  return csum_fold(uint32_t(acc));
}

inline uint16_t bswap16(uint16_t v) { return uint16_t(v << 8 | v >> 8); }

}  // namespace

// RFC 1071 section 2(B): the one's-complement sum is byte-order independent,
// so the bytes are summed as native 64-bit words (8 at a time, 32 per loop
// iteration) and the folded result is swapped back to network order.
uint32_t csum_add_bytes(uint32_t sum, const uint8_t* data, size_t len) {
  uint64_t acc = 0;
  size_t i = 0;
  for (; i + 32 <= len; i += 32) {
    uint64_t w[4];
    std::memcpy(w, data + i, 32);
    acc = add_carry64(acc, w[0]);
    acc = add_carry64(acc, w[1]);
    acc = add_carry64(acc, w[2]);
    acc = add_carry64(acc, w[3]);
  }
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    acc = add_carry64(acc, w);
  }
  // The tail (0..7 bytes), zero-padded to a word in memory order.
  if (i < len) {
    uint8_t tail[8] = {};
    std::memcpy(tail, data + i, len - i);
    uint64_t w;
    std::memcpy(&w, tail, 8);
    acc = add_carry64(acc, w);
  }
  uint16_t folded = fold64(acc);
  if (!is_big_endian()) folded = bswap16(folded);
  return uint32_t(csum_fold(sum)) + folded;
}

uint32_t pseudo_sum_v4(const uint8_t* src, const uint8_t* dst, uint8_t proto, uint32_t l4_len) {
  uint64_t acc = uint64_t(load_be16(src)) + load_be16(src + 2) + load_be16(dst) + load_be16(dst + 2) + proto +
                 (l4_len >> 16) + (l4_len & 0xffff);
  acc = (acc & 0xffffffff) + (acc >> 32);
  return uint32_t(acc);
}

uint32_t pseudo_sum_v6(const uint8_t* src, const uint8_t* dst, uint8_t proto, uint32_t l4_len) {
  uint64_t acc = uint64_t(csum_add_bytes(0, src, 16)) + csum_add_bytes(0, dst, 16) + proto + (l4_len >> 16) +
                 (l4_len & 0xffff);
  acc = (acc & 0xffffffff) + (acc >> 32);
  return uint32_t(acc);
}

uint16_t csum_update16(uint16_t check, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = uint32_t(uint16_t(~check)) + uint16_t(~old_word) + new_word;
  return uint16_t(~csum_fold(sum));
}

uint16_t csum_update32(uint16_t check, uint32_t old_value, uint32_t new_value) {
  check = csum_update16(check, uint16_t(old_value >> 16), uint16_t(new_value >> 16));
  return csum_update16(check, uint16_t(old_value), uint16_t(new_value));
}

uint16_t ipv4_header_checksum(const uint8_t* hdr, size_t ihl_bytes) {
  uint32_t sum = csum_add_bytes(0, hdr, 10);
  if (ihl_bytes > 12) sum = csum_add_bytes(sum, hdr + 12, ihl_bytes - 12);
  return csum_finish(sum);
}

const char* csum_status_name(CsumStatus s) {
  switch (s) {
    case CsumStatus::NONE: return "none";
    case CsumStatus::GOOD: return "good";
    case CsumStatus::BAD: return "bad";
    case CsumStatus::PARTIAL: return "partial";
    case CsumStatus::ABSENT: return "absent";
    case CsumStatus::UNVERIFIED: return "unverified";
  }
  return "none";
}

CsumStatus verify_l4_checksum(const L4CsumInput& in) {
  uint16_t field;
  if (!in.l4.be16(in.field_off, field)) return CsumStatus::UNVERIFIED;
  if (field == 0 && (in.udp_over_ipv4 || in.udp_over_ipv6)) return CsumStatus::ABSENT;
  uint32_t sum = csum_add_bytes(in.pseudo, in.l4);
  if (csum_fold(sum) == 0xffff) return CsumStatus::GOOD;
  if (in.allow_partial && (field == csum_fold(in.pseudo) || field == csum_fold(in.pseudo_no_len)))
    return CsumStatus::PARTIAL;
  return CsumStatus::BAD;
}

}  // namespace vs
