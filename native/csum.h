// Internet checksum (RFC 1071), pseudo-headers, incremental update (RFC 1624)
// and the four-way verification verdict.
//
// Sums are 32-bit accumulators of big-endian 16-bit words ("unfolded");
// csum_fold() folds to 16 bits without complementing; the checksum written in
// a header is ~fold(sum). A *partial* checksum (Linux CHECKSUM_PARTIAL, virtio
// NEEDS_CSUM) leaves fold(pseudo-header sum), uncomplemented, in the field.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bytes.h"

namespace vs {

// Folds a 32-bit sum to 16 bits (end-around carry), not complemented.
inline uint16_t csum_fold(uint32_t sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

// One's-complement sums in native byte order (RFC 1071 section 2(B): the sum
// is byte-order independent). csum_native_add sums bytes as native 64-bit
// words into a 64-bit accumulator with end-around carry; csum_native_fold
// folds it and returns the 16-bit sum as big-endian words would give it.
inline uint64_t csum_add_carry64(uint64_t a, uint64_t b) {
  uint64_t r = a + b;
  return r + (r < a);
}

// Always inlined: the hot callers sum 8 to 40 bytes, where a call costs as much as the sum.
[[gnu::always_inline]] inline uint64_t csum_native_add(uint64_t acc, const uint8_t* data, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    acc = csum_add_carry64(acc, w);
  }
  // The tail (0..7 bytes) in 4-, 2- and 1-byte steps. Each step starts at an
  // even offset, so its bytes stay in the same 16-bit lanes as in a word; a
  // lone last byte is the first byte of a zero-padded lane.
  const uint8_t* p = data + i;
  size_t rem = len - i;
  if (rem & 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    acc = csum_add_carry64(acc, w);
    p += 4;
  }
  if (rem & 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    acc = csum_add_carry64(acc, w);
    p += 2;
  }
  if (rem & 1) {
    uint8_t lane[2] = {p[0], 0};
    uint16_t w;
    std::memcpy(&w, lane, 2);
    acc = csum_add_carry64(acc, w);
  }
  return acc;
}

// A 16-bit big-endian value as it sits in a native-order lane.
inline uint16_t csum_native_word(uint16_t be_value) {
  return is_big_endian() ? be_value : uint16_t(be_value << 8 | be_value >> 8);
}

inline uint16_t csum_native_fold(uint64_t acc) {
  acc = (acc & 0xffffffff) + (acc >> 32);
  acc = (acc & 0xffffffff) + (acc >> 32);
  return csum_native_word(csum_fold(uint32_t(acc)));
}

// Adds the bytes as big-endian 16-bit words (a trailing odd byte is padded
// with zero) to `sum`. The result is only meaningful once folded.
inline uint32_t csum_add_bytes(uint32_t sum, const uint8_t* data, size_t len) {
  return uint32_t(csum_fold(sum)) + csum_native_fold(csum_native_add(0, data, len));
}
inline uint32_t csum_add_bytes(uint32_t sum, ByteView v) { return csum_add_bytes(sum, v.data(), v.size()); }

// The value to write in a checksum field: ~fold(sum).
inline uint16_t csum_finish(uint32_t sum) { return uint16_t(~csum_fold(sum)); }

// Pseudo-header sums. Addresses point at 4 or 16 wire-order bytes. `l4_len`
// is 32-bit: jumbograms and BIG TCP frames sum it as two 16-bit halves.
uint32_t pseudo_sum_v4(const uint8_t* src, const uint8_t* dst, uint8_t proto, uint32_t l4_len);
uint32_t pseudo_sum_v6(const uint8_t* src, const uint8_t* dst, uint8_t proto, uint32_t l4_len);

// RFC 1624 eq. 3: the checksum field after a 16-bit word of the covered data
// changes from old_word to new_word: HC' = ~(~HC + ~m + m').
uint16_t csum_update16(uint16_t check, uint16_t old_word, uint16_t new_word);
// The same for a 32-bit value (two words), e.g. an IPv4 address.
uint16_t csum_update32(uint16_t check, uint32_t old_value, uint32_t new_value);

// IPv4 header checksum of an ihl*4-byte header whose checksum field is
// treated as zero. Returns the value to store at offset 10.
uint16_t ipv4_header_checksum(const uint8_t* hdr, size_t ihl_bytes);

// Verdict on one checksum field.
enum class CsumStatus : uint8_t {
  NONE = 0,    // the layer has no checksum
  GOOD = 1,
  BAD = 2,
  PARTIAL = 3,  // the field holds the pseudo-header sum: a checksum left to offload
  ABSENT = 4,   // UDP over IPv4 with checksum 0 ("none")
  UNVERIFIED = 5,  // the bytes it covers were not captured
};
const char* csum_status_name(CsumStatus s);  // "good", "bad", ...

// Verifies an L4 checksum (TCP, UDP, ICMPv6: pseudo-header included; ICMP
// and GRE: pass pseudo = 0 and allow_partial = false). `l4` covers the whole
// L4 segment as the IP length says; `field_off` is the checksum's offset in it.
// PARTIAL when the field equals fold(pseudo) with either the real length or a
// zero length (how GSO super-packets with IPv4 total length 0 are written).
struct L4CsumInput {
  ByteView l4;
  size_t field_off;
  uint32_t pseudo;          // pseudo-header sum with the real L4 length
  uint32_t pseudo_no_len;   // pseudo-header sum with length 0
  bool udp_over_ipv4;       // 0 means absent
  bool udp_over_ipv6;       // 0 is reported ABSENT too (legality is the receiver's call)
  bool allow_partial;
};
CsumStatus verify_l4_checksum(const L4CsumInput& in);

}  // namespace vs
