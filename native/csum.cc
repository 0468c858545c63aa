#include "csum.h"

namespace vs {

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
