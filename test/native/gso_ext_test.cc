// Unit tests of software GSO on IPv6 packets with extension headers
// (native/gso_segment.h): hop-by-hop and destination-options headers are
// copied into every segment, payload length and TCP/UDP checksum are per
// segment, a fragment header refuses the packet. Expected values follow
// RFC 8200 (payload length counts extension headers) and the Linux rules in
// gso_segment.h (seq0 + k*mss, PSH on the last segment only); checksums are
// verified with a one's-complement sum written here over the RFC 8200 8.1
// pseudo-header, not with csum.h.
#include <cstring>
#include <vector>

#include "../../native/batch.h"
#include "../../native/bytes.h"
#include "../../native/gso_segment.h"
#include "../../native/parse.h"
#include "../../native/virtio_net_hdr.h"
#include "check.h"
#include "owned_batch.h"

using namespace vs;
using vstest::OwnedBatch;

namespace {

constexpr uint32_t kExt = 8 + 16;  // hop-by-hop (8) + destination options (16)

// Eth + IPv6 (2001:db8::1 -> ::2) + HBH (PadN) + DestOpts (PadN) [+ fragment
// header when frag] + TCP (seq 1000, ACK|PSH) or UDP + payload bytes k & 0xff.
std::vector<uint8_t> frame(uint8_t proto, uint32_t payload, bool frag = false) {
  uint32_t l4h = proto == 6 ? 20 : 8, ext = kExt + (frag ? 8 : 0);
  std::vector<uint8_t> f(14 + 40 + ext + l4h + payload, 0);
  f[12] = 0x86;
  f[13] = 0xdd;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x60;
  store_be16(ip + 4, uint16_t(ext + l4h + payload));
  ip[6] = 0;  // hop-by-hop
  ip[7] = 64;
  ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
  ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
  uint8_t* e = ip + 40;
  e[0] = 60, e[1] = 0, e[2] = 1, e[3] = 4;  // HBH -> DestOpts, 8 bytes, PadN(4)
  e += 8;
  e[0] = frag ? 44 : proto, e[1] = 1, e[2] = 1, e[3] = 12;  // DestOpts, 16 bytes, PadN(12)
  e += 16;
  if (frag) {
    e[0] = proto;  // offset 0, M 0: an atomic fragment
    store_be32(e + 4, 99);
    e += 8;
  }
  store_be16(e, 40000);
  store_be16(e + 2, 5001);
  if (proto == 6) {
    store_be32(e + 4, 1000);
    e[12] = 0x50;
    e[13] = 0x18;  // ACK | PSH
    store_be16(e + 14, 502);
  } else {
    store_be16(e + 4, uint16_t(8 + payload));
  }
  for (uint32_t k = 0; k < payload; k++) e[l4h + k] = uint8_t(k);
  return f;
}

uint32_t add(OwnedBatch& ob, const std::vector<uint8_t>& f, uint8_t type, uint16_t size) {
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  parse_batch(ob.b, LINK_ETHERNET, ParseOptions());
  uint32_t i = ob.b.count() - 1;
  VirtioNetHdr h;
  h.flags = kVirtioNeedsCsum;
  h.gso_type = type;
  h.gso_size = size;
  h.csum_start = uint16_t(14 + 40 + kExt);
  h.csum_offset = type == GSO_TCPV6 ? 16 : 6;
  virtio_net_hdr_apply(ob.b, i, h);
  return i;
}

uint32_t ones(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t k = 0; k + 1 < n; k += 2) s += uint32_t(p[k]) << 8 | p[k + 1];
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

// RFC 8200 8.1 pseudo-header (addresses, upper-layer length, next header) plus the L4 bytes.
bool l4_ok(const uint8_t* ip, const uint8_t* l4, uint32_t l4_len, uint8_t proto) {
  uint32_t s = ones(ip + 8, 32);
  s += l4_len + proto;
  return ones(l4, l4_len, s) == 0xFFFF;
}

}  // namespace

TEST(tcpv6_with_hbh_and_destopts_copies_them_into_every_segment) {
  std::vector<uint8_t> f = frame(6, 250);
  OwnedBatch in(1, 4096), out(8, 8192);
  uint32_t i = add(in, f, GSO_TCPV6, 100);
  CHECK_EQ(uint32_t(in.b.u16(COL_L4)[i]), 14u + 40 + kExt);
  GsoResult r;
  CHECK(gso_packet(in.b, i, out.b, GsoOptions(), &r) == Status::OK);
  CHECK(r.drop == DropReason::NONE);
  CHECK_EQ(r.segments, 3u);
  const uint32_t seg[3] = {100, 100, 50};
  uint32_t data_at = 0;
  for (uint32_t k = 0; k < 3 && k < out.b.count(); k++) {
    MutByteView s = out.b.packet(k);
    CHECK_EQ(s.size(), size_t(14 + 40 + kExt + 20 + seg[k]));
    const uint8_t* ip = s.data() + 14;
    CHECK_EQ(uint32_t(load_be16(ip + 4)), kExt + 20 + seg[k]);  // payload length counts the extensions
    CHECK(std::memcmp(ip + 40, f.data() + 54, kExt) == 0);      // both extension headers, unchanged
    const uint8_t* tcp = ip + 40 + kExt;
    CHECK_EQ(load_be32(tcp + 4), 1000u + 100u * k);
    CHECK_EQ(uint32_t(tcp[13]), k == 2 ? 0x18u : 0x10u);  // PSH on the last only
    CHECK(std::memcmp(tcp + 20, f.data() + 54 + kExt + 20 + data_at, seg[k]) == 0);
    CHECK(l4_ok(ip, tcp, 20 + seg[k], 6));
    data_at += seg[k];
  }
}

TEST(uso_over_ipv6_with_extensions_gives_each_segment_its_own_length_and_checksum) {
  std::vector<uint8_t> f = frame(17, 300);
  OwnedBatch in(1, 4096), out(8, 8192);
  uint32_t i = add(in, f, GSO_UDP_L4, 128);
  GsoResult r;
  CHECK(gso_packet(in.b, i, out.b, GsoOptions(), &r) == Status::OK);
  CHECK(r.drop == DropReason::NONE);
  CHECK_EQ(r.segments, 3u);
  const uint32_t seg[3] = {128, 128, 44};
  for (uint32_t k = 0; k < 3 && k < out.b.count(); k++) {
    const uint8_t* ip = out.b.packet(k).data() + 14;
    CHECK_EQ(uint32_t(load_be16(ip + 4)), kExt + 8 + seg[k]);
    CHECK(std::memcmp(ip + 40, f.data() + 54, kExt) == 0);
    const uint8_t* udp = ip + 40 + kExt;
    CHECK_EQ(uint32_t(load_be16(udp + 4)), 8 + seg[k]);
    CHECK(load_be16(udp + 6) != 0);
    CHECK(l4_ok(ip, udp, 8 + seg[k], 17));
  }
}

TEST(a_fragment_header_in_front_of_tcp_refuses_the_packet) {
  OwnedBatch in(1, 4096), out(8, 8192);
  uint32_t i = add(in, frame(6, 250, true), GSO_TCPV6, 100);
  GsoResult r;
  gso_packet(in.b, i, out.b, GsoOptions(), &r);
  CHECK(r.drop == DropReason::GSO_BAD_HEADERS);
  CHECK_EQ(r.segments, 0u);
  CHECK_EQ(out.b.count(), 0u);
}

TEST_MAIN("gso_ext")
