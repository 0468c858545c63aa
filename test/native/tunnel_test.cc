// Tunnel core tests without Node: source-port mapping (hand-derived values),
// template validation, encap field values (checksum compared with a full
// recompute), decap of every truncation of an encapsulated frame (run under
// ASan/UBSan by VS_SANITIZE=address,undefined), and the encap/decap round trip.
#include <cstring>
#include <vector>

#include "batch.h"
#include "check.h"
#include "csum.h"
#include "tunnel_decap.h"
#include "tunnel_encap.h"
#include "udp_src_port.h"

using namespace vs;

namespace {

// A VXLAN over IPv4 template written out by hand from RFC 7348 / RFC 791:
// Ethernet (type 0800), IPv4 45 00 len=0 id=0 flags=0 ttl=64 proto=17
// 10.0.0.1 -> 10.0.0.2, UDP dst 4789, VXLAN I flag, VNI 5001 (0x001389).
TunnelTemplate vxlan_template() {
  TunnelTemplate t{};
  t.magic = kTunnelTemplateMagic;
  t.type = uint8_t(TunnelType::VXLAN);
  t.flags = kTplL2Payload;
  t.hdr_len = 50;
  t.l3_off = 14;
  t.l4_off = 34;
  t.tnl_off = 42;
  t.mpls_off = kAbsent;
  t.sport_min = t.sport_max = 50000;
  const uint8_t hdr[50] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00,
                           0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                           0, 0, 0x12, 0xb5, 0, 0, 0, 0,
                           0x08, 0, 0, 0, 0x00, 0x13, 0x89, 0};
  std::memcpy(t.bytes, hdr, 50);
  store_be16(t.bytes + 24, ipv4_header_checksum(t.bytes + 14, 20));
  return t;
}

// An inner IPv4/UDP frame of 60 bytes (TTL 33, ID 0x4242, DF).
std::vector<uint8_t> inner_frame() {
  std::vector<uint8_t> f(60, 0xab);
  const uint8_t hdr[34] = {2, 0xaa, 0, 0, 0, 2, 2, 0xaa, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0, 0, 46, 0x42, 0x42, 0x40, 0, 33, 17, 0, 0,
                           192, 168, 0, 1, 192, 168, 0, 2};
  std::memcpy(f.data(), hdr, sizeof hdr);
  return f;
}

struct OwnedBatch {
  std::vector<uint64_t> mem;
  Batch b;
  OwnedBatch(uint32_t headroom = 128) {
    BatchLayout l;
    batch_layout(4, 8192, &l);
    mem.resize(l.total_size / 8 + 1);
    batch_init(reinterpret_cast<uint8_t*>(mem.data()), l.total_size, 4, 8192, headroom, 0);
    Batch::open(reinterpret_cast<uint8_t*>(mem.data()), l.total_size, &b);
  }
};

std::vector<uint8_t> receiver_bytes(uint32_t vni) {
  std::vector<uint8_t> r(36, 0);
  auto le32 = [&](size_t o, uint32_t v) { for (int k = 0; k < 4; k++) r[o + k] = uint8_t(v >> (8 * k)); };
  le32(0, kTunnelReceiverMagic);
  le32(4, kRxVxlan | kRxMplsoudp | kRxMplsogre);
  r[8] = 4789 & 255; r[9] = 4789 >> 8; r[10] = 6635 & 255; r[11] = 6635 >> 8;
  r[12] = 0x00; r[13] = 0xA0;  // C and K
  le32(16, 1);
  le32(32, vni);
  return r;
}

}  // namespace

// 49152 + (h * 16383 >> 32): h = 2^31 gives 49152 + 8191 (16383 / 2, rounded down).
TEST(src_port_vrouter_mapping) {
  CHECK_EQ(udp_src_port(0, 49152, 65535, false), 49152);
  CHECK_EQ(udp_src_port(0x80000000u, 49152, 65535, false), 57343);
  CHECK_EQ(udp_src_port(0xFFFFFFFFu, 49152, 65535, false), 65534);
  CHECK_EQ(udp_src_port(12345, 4000, 4000, false), 4000);  // pinned
  // Linux folds: 1 ^ (1 << 16) = 0x10001; 0x10001 * 28232 >> 32 = 0.
  CHECK_EQ(udp_src_port(1, 32768, 61000, true), 32768);
  // 0x80000000 folded stays 0x80000000: 32768 + 28232 / 2.
  CHECK_EQ(udp_src_port(0x80000000u, 32768, 61000, true), 32768 + 14116);
}

TEST(template_validation) {
  TunnelTemplate t = vxlan_template(), out;
  CHECK(tunnel_template_load(ByteView(reinterpret_cast<uint8_t*>(&t), sizeof t), &out) == Status::OK);
  auto rejects = [](TunnelTemplate bad) {
    TunnelTemplate o;
    return tunnel_template_load(ByteView(reinterpret_cast<uint8_t*>(&bad), sizeof bad), &o) == Status::BAD_ARGUMENT;
  };
  TunnelTemplate bad = t; bad.magic = 0; CHECK(rejects(bad));
  bad = t; bad.hdr_len = 200; CHECK(rejects(bad));
  bad = t; bad.l4_off = 40; CHECK(rejects(bad));
  bad = t; bad.bytes[42] = 0; CHECK(rejects(bad));   // no I flag
  bad = t; bad.bytes[23] = 47; CHECK(rejects(bad));  // not UDP
  bad = t; bad.df_policy = 9; CHECK(rejects(bad));
  bad = t; bad.type = 2; CHECK(rejects(bad));         // MPLSoUDP without labels
  CHECK(tunnel_template_load(ByteView(reinterpret_cast<uint8_t*>(&t), 100), &out) == Status::BAD_ARGUMENT);
}

TEST(encap_fields_and_checksum) {
  OwnedBatch ob;
  std::vector<uint8_t> f = inner_frame();
  CHECK(ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 0) == Status::OK);
  ob.b.u32(COL_HASH)[0] = 7;
  TunnelTemplate t = vxlan_template();
  t.df_policy = uint8_t(DfPolicy::INHERIT);
  t.ttl_policy = uint8_t(TtlPolicy::INHERIT);
  t.ip_id_policy = uint8_t(IpIdPolicy::COPY_INNER);
  TunnelState st{0};
  CHECK(tunnel_encap_packet(ob.b, 0, t, st) == DropReason::NONE);
  MutByteView p = ob.b.packet(0);
  CHECK_EQ(p.size(), 110u);
  const uint8_t* ip = p.data() + 14;
  CHECK_EQ(load_be16(ip + 2), 96);       // 20 + 8 + 8 + 60
  CHECK_EQ(load_be16(ip + 4), 0x4242);   // inner ID copied
  CHECK_EQ(load_be16(ip + 6), 0x4000);   // inner DF inherited
  CHECK_EQ(ip[8], 33);                   // inner TTL inherited
  CHECK_EQ(load_be16(ip + 10), ipv4_header_checksum(ip, 20));
  CHECK_EQ(load_be16(p.data() + 34), 50000);
  CHECK_EQ(load_be16(p.data() + 38), 76);  // UDP length 8 + 8 + 60
  CHECK(std::memcmp(p.data() + 50, f.data(), f.size()) == 0);
  CHECK_EQ(ob.b.u16(COL_INNER_L2)[0], 50);
  CHECK_EQ(ob.b.u16(COL_INNER_L3)[0], 64);
  CHECK_EQ(ob.b.u16(COL_TNL)[0], 42);
}

TEST(encap_without_headroom_is_a_named_drop) {
  OwnedBatch ob(20);
  std::vector<uint8_t> f = inner_frame();
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 0);
  TunnelTemplate t = vxlan_template();
  TunnelState st{0};
  CHECK(tunnel_encap_packet(ob.b, 0, t, st) == DropReason::HEAD_SPACE_RESERVE_FAIL);
  CHECK_EQ(ob.b.packet(0).size(), f.size());
}

TEST(roundtrip_and_every_truncation) {
  OwnedBatch ob;
  std::vector<uint8_t> f = inner_frame();
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 0);
  TunnelTemplate t = vxlan_template();
  t.udp_csum = uint8_t(UdpCsumPolicy::COMPUTE);
  TunnelState st{0};
  CHECK(tunnel_encap_packet(ob.b, 0, t, st) == DropReason::NONE);
  std::vector<uint8_t> wire(ob.b.packet(0).data(), ob.b.packet(0).data() + ob.b.packet(0).size());
  std::vector<uint8_t> rxb = receiver_bytes(5001);
  TunnelReceiver rx;
  CHECK(tunnel_receiver_load(ByteView(rxb.data(), rxb.size()), &rx) == Status::OK);
  TunnelMeta meta;
  CHECK(tunnel_decap_packet(ob.b, 0, rx, &meta) == DropReason::NONE);
  CHECK_EQ(ob.b.packet(0).size(), f.size());
  CHECK(std::memcmp(ob.b.packet(0).data(), f.data(), f.size()) == 0);
  CHECK_EQ(meta.vni, 5001u);
  CHECK_EQ(ob.b.u32(COL_TUN_ID)[0], 5001u);
  for (size_t n = 0; n < wire.size(); n++) {
    OwnedBatch tb;
    tb.b.append(wire.data(), uint32_t(n), uint32_t(n), 0, 0, 0);
    CHECK(tunnel_decap_packet(tb.b, 0, rx, &meta) != DropReason::NONE);
    CHECK_EQ(meta.type, 0);
  }
}

// IpIdPolicy::GLOBAL: one counter across templates, pre-incremented, never 0
// (vRouter vr_generate_unique_ip_id): from 0xFFFE the IDs are 0xFFFF, 1, 2, 3.
TEST(global_ip_id_shared_pre_incremented_skips_zero) {
  OwnedBatch ob;
  std::vector<uint8_t> f = inner_frame();
  for (int k = 0; k < 4; k++) ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 0);
  TunnelTemplate a = vxlan_template(), b = vxlan_template();
  a.ip_id_policy = b.ip_id_policy = uint8_t(IpIdPolicy::GLOBAL);
  b.bytes[33] = 3;  // another remote, 10.0.0.3
  store_be16(b.bytes + 24, 0);
  store_be16(b.bytes + 24, ipv4_header_checksum(b.bytes + 14, 20));
  TunnelTemplate tpl[2] = {a, b};
  TunnelState st[2] = {{100}, {200}};
  uint16_t global = 0xFFFE;
  const uint16_t select[4] = {0, 1, 1, 0};
  CHECK_EQ(tunnel_encap_batch(ob.b, tpl, st, 2, select, &global), 4u);
  const uint16_t want[4] = {0xFFFF, 1, 2, 3};
  for (uint32_t i = 0; i < 4; i++) {
    const uint8_t* ip = ob.b.packet(i).data() + 14;
    CHECK_EQ(load_be16(ip + 4), want[i]);
    CHECK_EQ(load_be16(ip + 10), ipv4_header_checksum(ip, 20));
  }
  CHECK_EQ(global, 3);
  CHECK_EQ(st[0].ip_id, 100);  // the per-tunnel counters are untouched
  CHECK_EQ(st[1].ip_id, 200);
}

TEST_MAIN("tunnel")
