// Unit tests of the receiving host's L4 checksum check
// (native/rx_csum_check.h). Frames are built by hand; their checksums come
// from the hand sums below, not from our completion code.
//
//   IPv4 192.0.2.1 -> 192.0.2.2, UDP 1234 -> 5678, length 10, payload "hi":
//   checksum F86C (pseudo 841f + 04d2 + 162e + 000a + 6869 = 10792 -> 0793,
//   complemented). Partial (never completed): the field holds 841f.
//   IPv6 2001:db8::1 -> 2001:db8::2, same UDP: pseudo-header
//   2001+0db8+0001+2001+0db8+0002+000a+0011 = 5b90; with the UDP words
//   5b90+04d2+162e+000a+6869 = df03, checksum 20FC.
#include <cstring>
#include <vector>

#include "../../native/batch.h"
#include "../../native/bytes.h"
#include "../../native/parse.h"
#include "../../native/rx_csum_check.h"
#include "check.h"
#include "owned_batch.h"

using namespace vs;
using vstest::OwnedBatch;

namespace {

std::vector<uint8_t> udp4(uint16_t csum, uint16_t frag = 0) {
  std::vector<uint8_t> f(14 + 20 + 10, 0);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  store_be16(ip + 2, 30);
  store_be16(ip + 6, frag);
  ip[8] = 64;
  ip[9] = 17;
  const uint8_t a[8] = {192, 0, 2, 1, 192, 0, 2, 2};
  std::memcpy(ip + 12, a, 8);
  uint8_t* u = ip + 20;
  store_be16(u, 1234);
  store_be16(u + 2, 5678);
  store_be16(u + 4, 10);
  store_be16(u + 6, csum);
  u[8] = 'h';
  u[9] = 'i';
  return f;
}

std::vector<uint8_t> udp6(uint16_t csum) {
  std::vector<uint8_t> f(14 + 40 + 10, 0);
  f[12] = 0x86;
  f[13] = 0xdd;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x60;
  store_be16(ip + 4, 10);
  ip[6] = 17;
  ip[7] = 64;
  ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
  ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
  uint8_t* u = ip + 40;
  store_be16(u, 1234);
  store_be16(u + 2, 5678);
  store_be16(u + 4, 10);
  store_be16(u + 6, csum);
  u[8] = 'h';
  u[9] = 'i';
  return f;
}

DropReason verdict(const std::vector<uint8_t>& f, uint32_t extra_flags = 0) {
  OwnedBatch ob(1, 4096);
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  parse_batch(ob.b, LINK_ETHERNET, ParseOptions());
  ob.b.u32(COL_FLAGS)[0] |= extra_flags;
  return rx_l4_csum_check(ob.b, 0);
}

}  // namespace

TEST(good_checksums_pass) {
  CHECK(verdict(udp4(0xF86C)) == DropReason::NONE);
  CHECK(verdict(udp6(0x20FC)) == DropReason::NONE);
}

TEST(wrong_or_partial_checksums_are_dropped) {
  CHECK(verdict(udp4(0xF86D)) == DropReason::BAD_L4_CHECKSUM);
  CHECK(verdict(udp4(0x841f)) == DropReason::BAD_L4_CHECKSUM);  // still partial
  CHECK(verdict(udp4(0x7C8C)) == DropReason::BAD_L4_CHECKSUM);  // what bad-hw-csum writes
  CHECK(verdict(udp6(0x20FD)) == DropReason::BAD_L4_CHECKSUM);
}

TEST(zero_udp_checksum_is_none_over_ipv4_and_bad_over_ipv6) {
  CHECK(verdict(udp4(0)) == DropReason::NONE);
  CHECK(verdict(udp6(0)) == DropReason::BAD_L4_CHECKSUM);
}

TEST(data_valid_and_fragments_are_not_checked) {
  CHECK(verdict(udp4(0xF86D), FLAG_DATA_VALID) == DropReason::NONE);
  CHECK(verdict(udp4(0xF86D, 0x2000)) == DropReason::NONE);  // first fragment (MF): the sum spans others
}

TEST(batch_check_marks_drops_and_counts_them) {
  OwnedBatch ob(4, 4096);
  for (const auto& f : {udp4(0xF86C), udp4(0x1234), udp6(0)})
    ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  parse_batch(ob.b, LINK_ETHERNET, ParseOptions());
  CHECK_EQ(rx_l4_csum_check_batch(ob.b), 2u);
  CHECK(!ob.b.dropped(0));
  CHECK(ob.b.dropped(1) && ob.b.dropped(2));
}

TEST_MAIN("rx_csum")
