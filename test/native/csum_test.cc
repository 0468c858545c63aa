#include "csum.h"

#include "check.h"

using namespace vs;

// RFC 1071 section 3 example: words 0001 f203 f4f5 f6f7 sum to ddf2 (folded).
TEST(rfc1071_example) {
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK_EQ(csum_fold(csum_add_bytes(0, data, sizeof data)), 0xddf2);
  CHECK_EQ(csum_fold(csum_add_bytes(0, data, 5) + csum_add_bytes(0, data + 5, 0)), csum_fold(0x0001 + 0xf203 + 0xf400));
}

// An IPv4 header from a Wikipedia-documented example (checksum b861).
TEST(ipv4_header_known_value) {
  const uint8_t hdr[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                         0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  CHECK_EQ(ipv4_header_checksum(hdr, sizeof hdr), 0xb861);
}

// RFC 1624 section 4: HC 0xdd2f, m 0x5555 -> m' 0x3285 gives HC' 0x0000.
TEST(rfc1624_example) { CHECK_EQ(csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000); }

TEST(incremental_matches_full_recompute) {
  uint8_t hdr[] = {0x45, 0x00, 0x00, 0x54, 0x12, 0x34, 0x40, 0x00, 0x40, 0x01,
                   0x00, 0x00, 0xc6, 0x33, 0x64, 0x01, 0xc6, 0x33, 0x64, 0x02};
  uint16_t before = ipv4_header_checksum(hdr, 20);
  for (int ttl = 64; ttl > 0; ttl--) {
    uint16_t old_word = uint16_t(hdr[8] << 8 | hdr[9]);
    hdr[8] = uint8_t(ttl - 1);
    uint16_t new_word = uint16_t(hdr[8] << 8 | hdr[9]);
    before = csum_update16(before, old_word, new_word);
    CHECK_EQ(before, ipv4_header_checksum(hdr, 20));
  }
}
// The word-at-a-time sum equals a plain big-endian 16-bit sum for every
// length and alignment (the straightforward RFC 1071 loop is the reference).
TEST(fast_sum_equals_reference_for_every_length_and_alignment) {
  uint8_t buf[300];
  uint32_t x = 12345;
  for (auto& b : buf) {
    x = x * 1103515245 + 12345;
    b = uint8_t(x >> 16);
  }
  for (size_t start = 0; start < 8; start++) {
    for (size_t len = 0; len + start <= sizeof buf; len++) {
      uint64_t ref = 0x1234;
      size_t k = 0;
      for (; k + 1 < len; k += 2) ref += uint32_t(buf[start + k] << 8 | buf[start + k + 1]);
      if (k < len) ref += uint32_t(buf[start + k]) << 8;
      while (ref >> 16) ref = (ref & 0xffff) + (ref >> 16);
      uint16_t got = csum_fold(csum_add_bytes(0x1234, buf + start, len));
      if (got != ref) {
        CHECK_EQ(got, uint16_t(ref));
        return;
      }
    }
  }
}

TEST_MAIN("csum")
