// RSS Toeplitz hash against the verification table published with the
// Microsoft RSS specification ("Verifying the RSS Hash Calculation": key
// 6d5a56da...01fa, IPv4 and IPv6, with and without TCP ports). The same table
// is used by DPDK's test_thash.c and by NIC vendors' drivers.
#include "rss.h"

#include <arpa/inet.h>

#include <cstring>
#include <vector>

#include "check.h"

using namespace vs;

namespace {

struct Vector {
  const char* dst;
  uint16_t dst_port;
  const char* src;
  uint16_t src_port;
  uint32_t ip_only;
  uint32_t with_tcp;
};

const Vector kV4[] = {
    {"161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178},
    {"65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea},
    {"12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a},
    {"209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f},
    {"202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2},
};

const Vector kV6[] = {
    {"3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5, 0x40207d3d},
    {"ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c, 0xdde51bbf},
    {"fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251, 0x4b61e985, 0x02d1feef},
};

FlowKey v4_key(const Vector& v, uint8_t proto) {
  FlowKey k{};
  k.dl_type = 0x0800;
  k.nw_src[10] = k.nw_src[11] = k.nw_dst[10] = k.nw_dst[11] = 0xff;
  inet_pton(AF_INET, v.src, k.nw_src + 12);
  inet_pton(AF_INET, v.dst, k.nw_dst + 12);
  k.nw_proto = proto;
  k.tp_src = v.src_port;
  k.tp_dst = v.dst_port;
  return k;
}

FlowKey v6_key(const Vector& v, uint8_t proto) {
  FlowKey k{};
  k.dl_type = 0x86dd;
  inet_pton(AF_INET6, v.src, k.nw_src);
  inet_pton(AF_INET6, v.dst, k.nw_dst);
  k.nw_proto = proto;
  k.tp_src = v.src_port;
  k.tp_dst = v.dst_port;
  return k;
}

}  // namespace

TEST(ms_vectors_ipv4_reference_and_table) {
  for (const Vector& v : kV4) {
    uint8_t in[12];
    inet_pton(AF_INET, v.src, in);
    inet_pton(AF_INET, v.dst, in + 4);
    store_be16(in + 8, v.src_port);
    store_be16(in + 10, v.dst_port);
    CHECK_EQ(toeplitz_hash(kMsRssKey, kRssKeySize, in, 8), v.ip_only);
    CHECK_EQ(toeplitz_hash(kMsRssKey, kRssKeySize, in, 12), v.with_tcp);
    CHECK_EQ(ms_rss_hasher().hash(in, 8), v.ip_only);
    CHECK_EQ(ms_rss_hasher().hash(in, 12), v.with_tcp);
  }
}

TEST(ms_vectors_from_flow_key) {
  for (const Vector& v : kV4) {
    CHECK_EQ(ms_rss_hasher().hash_key(v4_key(v, 6)), v.with_tcp);
    CHECK_EQ(ms_rss_hasher().hash_key(v4_key(v, 17)), v.with_tcp);  // UDP uses the same input
    CHECK_EQ(ms_rss_hasher().hash_key(v4_key(v, 1)), v.ip_only);    // ICMP: 2-tuple
  }
  for (const Vector& v : kV6) {
    CHECK_EQ(ms_rss_hasher().hash_key(v6_key(v, 6)), v.with_tcp);
    CHECK_EQ(ms_rss_hasher().hash_key(v6_key(v, 58)), v.ip_only);
  }
}

TEST(fragments_use_two_tuple) {
  FlowKey k = v4_key(kV4[0], 17);
  k.nw_frag = kNwFragAny;
  CHECK_EQ(ms_rss_hasher().hash_key(k), kV4[0].ip_only);
  k.nw_frag = kNwFragAny | kNwFragLater;
  k.tp_src = k.tp_dst = 0;
  CHECK_EQ(ms_rss_hasher().hash_key(k), kV4[0].ip_only);
}

TEST(non_ip_hashes_to_zero) {
  FlowKey k{};
  k.dl_type = 0x0806;
  CHECK_EQ(ms_rss_hasher().hash_key(k), 0u);
}

// The same vectors read from packet headers (the path used for inner headers).
TEST(ms_vectors_from_headers) {
  for (const Vector& v : kV4) {
    uint8_t pkt[40] = {0x45};
    pkt[9] = 6;
    inet_pton(AF_INET, v.src, pkt + 12);
    inet_pton(AF_INET, v.dst, pkt + 16);
    store_be16(pkt + 20, v.src_port);
    store_be16(pkt + 22, v.dst_port);
    CHECK_EQ(ms_rss_hasher().hash_headers(ByteView(pkt, sizeof pkt), 0, 20), v.with_tcp);
    CHECK_EQ(ms_rss_hasher().hash_headers(ByteView(pkt, sizeof pkt), 0, kAbsent), v.ip_only);
    pkt[6] = 0x20;  // MF: a first fragment hashes on the 2-tuple
    CHECK_EQ(ms_rss_hasher().hash_headers(ByteView(pkt, sizeof pkt), 0, 20), v.ip_only);
    // Truncated header: no read past the end, hash 0.
    CHECK_EQ(ms_rss_hasher().hash_headers(ByteView(pkt, 15), 0, 20), 0u);
  }
  for (const Vector& v : kV6) {
    uint8_t pkt[60] = {0x60};
    pkt[6] = 17;
    inet_pton(AF_INET6, v.src, pkt + 8);
    inet_pton(AF_INET6, v.dst, pkt + 24);
    store_be16(pkt + 40, v.src_port);
    store_be16(pkt + 42, v.dst_port);
    CHECK_EQ(ms_rss_hasher().hash_headers(ByteView(pkt, sizeof pkt), 0, 40), v.with_tcp);
  }
}

TEST(batch_fill_uses_inner_when_asked) {
  std::vector<uint8_t> buf(1 << 16);
  uint8_t* mem = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(buf.data()) + 7) & ~uintptr_t(7));
  CHECK(batch_init(mem, buf.size() - 8, 4, 8192, 64, 0) == Status::OK);
  Batch b;
  CHECK(Batch::open(mem, buf.size() - 8, &b) == Status::OK);
  uint8_t pkt[14 + 40] = {};
  pkt[12] = 0x08;
  pkt[14] = 0x45;
  pkt[14 + 9] = 6;
  inet_pton(AF_INET, kV4[1].src, pkt + 14 + 12);
  inet_pton(AF_INET, kV4[1].dst, pkt + 14 + 16);
  store_be16(pkt + 34, kV4[1].src_port);
  store_be16(pkt + 36, kV4[1].dst_port);
  CHECK(b.append(pkt, sizeof pkt, sizeof pkt, 0, 0, 1) == Status::OK);
  *b.key(0) = v4_key(kV4[0], 6);
  b.u32(COL_FLAGS)[0] = FLAG_PARSED;
  rss_hash_batch(b, RssLayer::OUTER);
  CHECK_EQ(b.u32(COL_HASH)[0], kV4[0].with_tcp);
  b.u16(COL_INNER_L3)[0] = 14;
  b.u16(COL_INNER_L4)[0] = 34;
  rss_hash_batch(b, RssLayer::INNER);
  CHECK_EQ(b.u32(COL_HASH)[0], kV4[1].with_tcp);
}

TEST_MAIN("rss")
