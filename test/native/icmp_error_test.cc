// Unit tests of ICMP errors about VLAN-tagged frames (native/icmp_error.h):
// the error goes back on the same tags (802.1ad outer + 802.1Q inner, or one
// 802.1Q tag), with the layout RFC 792 / RFC 1191 / RFC 4443 give. Expected
// values are read from those RFCs' diagrams and the header's contract
// (576 / 1280 byte caps, MTU floor 1280); checksums are verified with an
// independent one's-complement sum written here, not with csum.h.
#include <cstring>
#include <vector>

#include "../../native/batch.h"
#include "../../native/bytes.h"
#include "../../native/icmp_error.h"
#include "../../native/parse.h"
#include "check.h"
#include "owned_batch.h"

using namespace vs;
using vstest::OwnedBatch;

namespace {

const uint8_t kDst[6] = {0x02, 0, 0, 0, 0, 0xaa}, kSrc[6] = {0x02, 0, 0, 0, 0, 0xbb};
const uint8_t kRouter[6] = {0x02, 0, 0, 0, 0, 0xcc};

// Eth (tags as given) + IP (v4: 198.51.100.7 -> 203.0.113.9, DF; v6:
// 2001:db8::7 -> 2001:db8::9) + UDP, ip_len bytes of IP packet.
std::vector<uint8_t> tagged(const std::vector<uint16_t>& tags, bool v6, uint32_t ip_len) {
  std::vector<uint8_t> f(12, 0);
  std::memcpy(f.data(), kDst, 6);
  std::memcpy(f.data() + 6, kSrc, 6);
  for (uint16_t t : tags) {
    f.push_back(uint8_t(t >> 8));
    f.push_back(uint8_t(t));
  }
  f.push_back(v6 ? 0x86 : 0x08);
  f.push_back(v6 ? 0xdd : 0x00);
  size_t l3 = f.size();
  f.resize(l3 + ip_len, 0);
  uint8_t* ip = f.data() + l3;
  uint32_t hl = v6 ? 40 : 20;
  if (v6) {
    ip[0] = 0x60;
    store_be16(ip + 4, uint16_t(ip_len - 40));
    ip[6] = 17;
    ip[7] = 64;
    ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 7;
    ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 9;
  } else {
    ip[0] = 0x45;
    store_be16(ip + 2, uint16_t(ip_len));
    store_be16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    const uint8_t a[8] = {198, 51, 100, 7, 203, 0, 113, 9};
    std::memcpy(ip + 12, a, 8);
  }
  store_be16(ip + hl, 40000);
  store_be16(ip + hl + 2, 4789);
  store_be16(ip + hl + 4, uint16_t(ip_len - hl));
  for (uint32_t k = hl + 8; k < ip_len; k++) ip[k] = uint8_t(k);
  return f;
}

uint32_t ones(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t k = 0; k + 1 < n; k += 2) s += uint32_t(p[k]) << 8 | p[k + 1];
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

}  // namespace

TEST(frag_needed_keeps_both_tags_of_a_qinq_frame) {
  std::vector<uint16_t> tags = {0x88a8, 0x0064, 0x8100, 0x00c8};  // S-tag VID 100, C-tag VID 200
  std::vector<uint8_t> f = tagged(tags, false, 1500);
  OwnedBatch in(1, 4096), out(1, 4096);
  in.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 7);
  parse_batch(in.b, LINK_ETHERNET, ParseOptions());
  CHECK_EQ(uint32_t(in.b.u16(COL_L3)[0]), 22u);
  CHECK(icmp_error_allowed(in.b, 0));
  IcmpErrorOptions o;
  std::memcpy(o.src_mac, kRouter, 6);
  const uint8_t gw[4] = {10, 0, 0, 1};
  std::memcpy(o.src_ip, gw, 4);
  CHECK(icmp_frag_needed(in.b, 0, 1400, o, out.b) == Status::OK);
  CHECK_EQ(out.b.count(), 1u);
  MutByteView e = out.b.packet(0);
  CHECK_EQ(e.size(), size_t(22 + 576));  // RFC 1812 4.3.2.3: at most 576 bytes of IP
  CHECK(std::memcmp(e.data(), kSrc, 6) == 0);
  CHECK(std::memcmp(e.data() + 6, kRouter, 6) == 0);
  const uint8_t l2tail[10] = {0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x00};
  CHECK(std::memcmp(e.data() + 12, l2tail, 10) == 0);
  const uint8_t* ip = e.data() + 22;
  CHECK_EQ(uint32_t(ip[0]), 0x45u);
  CHECK_EQ(uint32_t(ip[1]), 0xc0u);
  CHECK_EQ(uint32_t(load_be16(ip + 2)), 576u);
  CHECK_EQ(uint32_t(ip[9]), 1u);
  CHECK(std::memcmp(ip + 12, gw, 4) == 0);
  CHECK(std::memcmp(ip + 16, f.data() + 22 + 12, 4) == 0);  // back to the offender's source
  CHECK_EQ(ones(ip, 20), 0xFFFFu);
  const uint8_t* icmp = ip + 20;
  CHECK_EQ(uint32_t(icmp[0]), 3u);
  CHECK_EQ(uint32_t(icmp[1]), 4u);
  CHECK_EQ(uint32_t(load_be16(icmp + 4)), 0u);
  CHECK_EQ(uint32_t(load_be16(icmp + 6)), 1400u);
  CHECK_EQ(ones(icmp, 556), 0xFFFFu);
  CHECK(std::memcmp(icmp + 8, f.data() + 22, 548) == 0);  // quote from the offender's IP header
  CHECK_EQ(uint32_t(out.b.u16(COL_L3)[0]), 22u);
  CHECK_EQ(uint32_t(out.b.u16(COL_L4)[0]), 42u);
  CHECK_EQ(out.b.u32(COL_NEXT)[0], 7u);  // back out of the port it came in on
}

TEST(packet_too_big_keeps_the_tag_and_floors_the_mtu_at_1280) {
  std::vector<uint8_t> f = tagged({0x8100, 0x0fff}, true, 1500);
  OwnedBatch in(1, 4096), out(1, 4096);
  in.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 3);
  parse_batch(in.b, LINK_ETHERNET, ParseOptions());
  IcmpErrorOptions o;
  std::memcpy(o.src_mac, kRouter, 6);
  o.src_ip[0] = 0x20, o.src_ip[1] = 0x01, o.src_ip[2] = 0x0d, o.src_ip[3] = 0xb8, o.src_ip[15] = 1;
  o.flow_label = 0x12345;
  CHECK(icmpv6_packet_too_big(in.b, 0, 1000, o, out.b) == Status::OK);
  MutByteView e = out.b.packet(0);
  CHECK_EQ(e.size(), size_t(18 + 1280));  // RFC 4443 2.4(c): as much as fits in the minimum MTU
  const uint8_t l2tail[6] = {0x81, 0x00, 0x0f, 0xff, 0x86, 0xdd};
  CHECK(std::memcmp(e.data() + 12, l2tail, 6) == 0);
  const uint8_t* ip = e.data() + 18;
  CHECK_EQ(load_be32(ip), 0x60012345u);
  CHECK_EQ(uint32_t(load_be16(ip + 4)), 1240u);
  CHECK_EQ(uint32_t(ip[6]), 58u);
  CHECK(std::memcmp(ip + 8, o.src_ip, 16) == 0);
  CHECK(std::memcmp(ip + 24, f.data() + 18 + 8, 16) == 0);
  const uint8_t* icmp = ip + 40;
  CHECK_EQ(uint32_t(icmp[0]), 2u);
  CHECK_EQ(uint32_t(icmp[1]), 0u);
  CHECK_EQ(load_be32(icmp + 4), 1280u);  // 1000 asked, never below the IPv6 minimum MTU
  CHECK(std::memcmp(icmp + 8, f.data() + 18, 1232) == 0);
  // RFC 4443 2.3: checksum over the IPv6 pseudo-header (addresses, length, 58) and the message.
  uint32_t s = ones(ip + 8, 32);
  s = ones(nullptr, 0, s + 1240 + 58);
  CHECK_EQ(ones(icmp, 1240, s), 0xFFFFu);
  CHECK_EQ(uint32_t(out.b.u16(COL_L3)[0]), 18u);
  CHECK_EQ(out.b.u32(COL_NEXT)[0], 3u);
}

TEST(no_error_about_an_icmp_error_or_a_later_fragment) {
  std::vector<uint8_t> f = tagged({0x8100, 0x0064}, false, 600);
  std::vector<uint8_t> g = f;
  f[18 + 9] = 1;                    // ICMP
  f[18 + 20] = 3;                   // type 3: an error
  store_be16(g.data() + 18 + 6, 0x0010);  // fragment offset 16 (x8): a later fragment
  OwnedBatch in(2, 4096);
  in.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  in.b.append(g.data(), uint32_t(g.size()), uint32_t(g.size()), 0, 0, 1);
  parse_batch(in.b, LINK_ETHERNET, ParseOptions());
  CHECK(!icmp_error_allowed(in.b, 0));
  CHECK(!icmp_error_allowed(in.b, 1));
}

TEST_MAIN("icmp_error")
