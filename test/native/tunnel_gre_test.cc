// Ethernet over GRE (OVS's gre port) and OVS's tunnel source-port hash in
// the tunnel core, without Node. Expected values are hand-derived from
// RFC 2784/2890 and RFC 791, or observed on real Open vSwitch 3.1
// (../shared/oracles/ovs/README.md: the outer UDP source ports of the
// oracle capture, which ovs-vxlan-srcport.py reproduces).
#include <cstring>
#include <vector>

#include "check.h"
#include "csum.h"
#include "owned_batch.h"
#include "tunnel_decap.h"
#include "tunnel_encap.h"
#include "tunnel_ovs_hash.h"
#include "udp_src_port.h"

using namespace vs;
using vstest::OwnedBatch;

namespace {

// OVS netdev_gre_build_header for remote 198.18.0.2, key 0x64, df_default:
// Ethernet 02:00:c6:12:00:02 <- 02:00:c6:12:00:01 type 0800; IPv4 45 00 len 0
// id 0 flags DF ttl 64 proto 47 198.18.0.1 -> 198.18.0.2; GRE flags K (0x2000),
// protocol 0x6558, key 0x00000064.
TunnelTemplate gre_template(bool keyed = true) {
  TunnelTemplate t{};
  t.magic = kTunnelTemplateMagic;
  t.type = uint8_t(TunnelType::GRE);
  t.flags = kTplL2Payload;
  t.ip_id_policy = uint8_t(IpIdPolicy::ZERO);
  t.df_policy = uint8_t(DfPolicy::SET);
  t.hdr_len = keyed ? 42 : 38;
  t.l3_off = 14;
  t.l4_off = 34;
  t.tnl_off = 34;
  t.mpls_off = kAbsent;
  const uint8_t hdr[42] = {2, 0, 0xc6, 0x12, 0, 2, 2, 0, 0xc6, 0x12, 0, 1, 0x08, 0x00,
                           0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 47, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
                           0x20, 0x00, 0x65, 0x58, 0, 0, 0, 0x64};
  std::memcpy(t.bytes, hdr, 42);
  if (!keyed) t.bytes[34] = 0;
  store_be16(t.bytes + 24, ipv4_header_checksum(t.bytes + 14, 20));
  return t;
}

// Eth fa:16:3e:00:00:99 <- fa:16:3e:00:00:01, IPv4 192.0.2.1 -> 192.0.2.99, proto, then `l4` bytes.
std::vector<uint8_t> ipv4_frame(uint8_t proto, std::vector<uint8_t> l4) {
  std::vector<uint8_t> f = {0xfa, 0x16, 0x3e, 0, 0, 0x99, 0xfa, 0x16, 0x3e, 0, 0, 1, 0x08, 0x00,
                            0x45, 0, 0, uint8_t(20 + l4.size()), 0, 1, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 192, 0, 2, 99};
  store_be16(f.data() + 24, ipv4_header_checksum(f.data() + 14, 20));
  f.insert(f.end(), l4.begin(), l4.end());
  while (f.size() < 60) f.push_back(0);
  return f;
}

std::vector<uint8_t> udp(uint16_t sport, uint16_t dport) {
  return {uint8_t(sport >> 8), uint8_t(sport), uint8_t(dport >> 8), uint8_t(dport), 0, 8, 0, 0};
}
std::vector<uint8_t> tcp_syn(uint16_t sport, uint16_t dport) {
  std::vector<uint8_t> t(20, 0);
  store_be16(t.data(), sport);
  store_be16(t.data() + 2, dport);
  t[12] = 0x50;
  t[13] = 0x02;
  return t;
}

// A receiver (tunnel_receiver.h layout) for Ethernet over GRE, GRE flags accepted `accept`.
std::vector<uint8_t> gre_receiver(uint32_t flags, uint16_t accept) {
  std::vector<uint8_t> r(32, 0);
  auto le32 = [&](size_t o, uint32_t v) { for (int k = 0; k < 4; k++) r[o + k] = uint8_t(v >> (8 * k)); };
  le32(0, kTunnelReceiverMagic);
  le32(4, flags);
  r[8] = 4789 & 255; r[9] = 4789 >> 8; r[10] = 6635 & 255; r[11] = 6635 >> 8;
  r[12] = uint8_t(accept); r[13] = uint8_t(accept >> 8);
  return r;
}

uint16_t ovs_port(const std::vector<uint8_t>& f) {
  return udp_src_port(ovs_hash_5tuple(ByteView(f.data(), f.size())), 32768, 61000, false);
}

}  // namespace

// Source ports real OVS 3.1 sent (README p0 table; ovs-vxlan-srcport.py examples).
TEST(ovs_hash_matches_observed_ports) {
  CHECK_EQ(ovs_port(ipv4_frame(17, udp(40002, 53))), 38025);
  CHECK_EQ(ovs_port(ipv4_frame(6, tcp_syn(40001, 80))), 35125);
  CHECK_EQ(ovs_port(ipv4_frame(17, udp(10000, 5001))), 58117);
  CHECK_EQ(ovs_port(ipv4_frame(1, {8, 0, 0, 0, 0, 1, 0, 1})), 54372);  // ICMP echo: type 8, code 0
  // ARP who-has 192.0.2.99 tell 192.0.2.1: SPA/TPA as addresses, opcode 1 as protocol
  std::vector<uint8_t> arp = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfa, 0x16, 0x3e, 0, 0, 1, 0x08, 0x06,
                              0, 1, 0x08, 0, 6, 4, 0, 1, 0xfa, 0x16, 0x3e, 0, 0, 1, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 99};
  CHECK_EQ(ovs_port(arp), 51361);
  // a VLAN tag does not enter the hash
  std::vector<uint8_t> tagged = ipv4_frame(17, udp(40002, 53));
  const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x05};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  CHECK_EQ(ovs_port(tagged), 38025);
  // IPv6 (observed on real OVS 3.1 in test/oracle/ovs-differential.test.ts): 2001:db8::1 -> 2001:db8::99,
  // UDP 40000 -> 53: 0xc409; with a hop-by-hop header (Next Header 0) before UDP 40002 -> 53: 0xe38c,
  // which is the hash with protocol 0 (the fixed header's Next Header) and the UDP ports
  auto v6 = [](bool hbh, uint16_t sport) {
    std::vector<uint8_t> f = {0xfa, 0x16, 0x3e, 0, 0, 0x99, 0xfa, 0x16, 0x3e, 0, 0, 1, 0x86, 0xdd,
                              0x60, 0, 0, 0, 0, uint8_t(hbh ? 24 : 16), uint8_t(hbh ? 0 : 17), 64};
    const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    f.insert(f.end(), a, a + 16);
    f.insert(f.end(), a, a + 16);
    f.back() = 0x99;
    if (hbh) {
      const uint8_t h[8] = {17, 0, 1, 4, 0, 0, 0, 0};  // next UDP, length 0, PadN of 4
      f.insert(f.end(), h, h + 8);
    }
    std::vector<uint8_t> u = udp(sport, 53);
    u[5] = 16;  // UDP length with 8 bytes of payload
    f.insert(f.end(), u.begin(), u.end());
    for (uint8_t k = 1; k <= 8; k++) f.push_back(k);
    return f;
  };
  CHECK_EQ(ovs_port(v6(false, 40000)), 0xc409);
  CHECK_EQ(ovs_port(v6(true, 40002)), 0xe38c);
  // every truncation reads within the frame (ASan) and never crashes
  std::vector<uint8_t> f = ipv4_frame(6, tcp_syn(1, 2));
  for (size_t n = 0; n <= f.size(); n++) (void)ovs_hash_5tuple(ByteView(f.data(), n));
}

// kTplSportOvsHash: the port comes from the frame, not from COL_HASH.
TEST(encap_ovs_hash_mode_ignores_col_hash) {
  OwnedBatch ob(4, 8192, 128);
  std::vector<uint8_t> f = ipv4_frame(17, udp(40002, 53));
  CHECK(ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 0) == Status::OK);
  ob.b.u32(COL_HASH)[0] = 0x12345678;
  TunnelTemplate t{};
  t.magic = kTunnelTemplateMagic;
  t.type = uint8_t(TunnelType::VXLAN);
  t.flags = kTplL2Payload | kTplSportOvsHash;
  t.ip_id_policy = uint8_t(IpIdPolicy::ZERO);
  t.hdr_len = 50; t.l3_off = 14; t.l4_off = 34; t.tnl_off = 42; t.mpls_off = kAbsent;
  t.sport_min = 32768; t.sport_max = 61000;
  const uint8_t hdr[50] = {2, 0, 0xc6, 0x12, 0, 2, 2, 0, 0xc6, 0x12, 0, 1, 0x08, 0x00,
                           0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 1, 198, 18, 0, 2,
                           0, 0, 0x12, 0xb5, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0x64, 0};
  std::memcpy(t.bytes, hdr, 50);
  store_be16(t.bytes + 24, ipv4_header_checksum(t.bytes + 14, 20));
  TunnelTemplate loaded;
  CHECK(tunnel_template_load(ByteView(reinterpret_cast<uint8_t*>(&t), sizeof t), &loaded) == Status::OK);
  TunnelState st{0};
  CHECK(tunnel_encap_packet(ob.b, 0, loaded, st) == DropReason::NONE);
  CHECK_EQ(load_be16(ob.b.packet(0).data() + 34), 38025);
  CHECK_EQ(ob.b.u32(COL_HASH)[0], 0x12345678u);
}

TEST(gre_template_validation) {
  auto loads = [](TunnelTemplate t) {
    TunnelTemplate o;
    return tunnel_template_load(ByteView(reinterpret_cast<uint8_t*>(&t), sizeof t), &o) == Status::OK;
  };
  CHECK(loads(gre_template(true)));
  CHECK(loads(gre_template(false)));
  TunnelTemplate bad = gre_template(); bad.bytes[37] = 0x47; CHECK(!loads(bad));   // protocol 0x6547
  bad = gre_template(); bad.bytes[34] = 0xa0; CHECK(!loads(bad));                   // C bit: no checksum is written
  bad = gre_template(); bad.hdr_len = 38; CHECK(!loads(bad));                       // K bit but no key word
  bad = gre_template(); bad.n_labels = 1; CHECK(!loads(bad));
  bad = gre_template(); bad.flags = 0; CHECK(!loads(bad));                          // Ethernet payload only
  bad = gre_template(); bad.bytes[23] = 17; CHECK(!loads(bad));                     // not IP protocol 47
}

TEST(gre_encap_then_decap_roundtrip_and_truncations) {
  OwnedBatch ob(4, 8192, 128);
  std::vector<uint8_t> f = ipv4_frame(17, udp(1, 2));
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 0);
  TunnelTemplate t = gre_template();
  TunnelState st{0};
  CHECK(tunnel_encap_packet(ob.b, 0, t, st) == DropReason::NONE);
  MutByteView p = ob.b.packet(0);
  CHECK_EQ(p.size(), f.size() + 42);
  const uint8_t* ip = p.data() + 14;
  CHECK_EQ(load_be16(ip + 2), 20 + 8 + 60);  // IPv4 total length: header, GRE with key, inner frame
  CHECK_EQ(load_be16(ip + 4), 0);            // ID 0, as OVS
  CHECK_EQ(load_be16(ip + 6), 0x4000);       // DF
  CHECK_EQ(load_be16(ip + 10), ipv4_header_checksum(ip, 20));
  const uint8_t gre[8] = {0x20, 0, 0x65, 0x58, 0, 0, 0, 0x64};
  CHECK(std::memcmp(p.data() + 34, gre, 8) == 0);
  CHECK(std::memcmp(p.data() + 42, f.data(), f.size()) == 0);
  std::vector<uint8_t> wire(p.data(), p.data() + p.size());

  std::vector<uint8_t> rxb = gre_receiver(kRxGre, 0xB000);  // C, K, S as OVS
  TunnelReceiver rx;
  CHECK(tunnel_receiver_load(ByteView(rxb.data(), rxb.size()), &rx) == Status::OK);
  TunnelMeta meta;
  CHECK(tunnel_decap_packet(ob.b, 0, rx, &meta) == DropReason::NONE);
  CHECK_EQ(meta.type, uint8_t(TunnelType::GRE));
  CHECK_EQ(meta.gre_key, 0x64u);
  CHECK((meta.flags & (kTunFlagGre | kTunFlagKey)) == (kTunFlagGre | kTunFlagKey));
  CHECK_EQ(ob.b.u32(COL_TUN_ID)[0], 0x64u);
  CHECK_EQ(ob.b.packet(0).size(), f.size());
  CHECK(std::memcmp(ob.b.packet(0).data(), f.data(), f.size()) == 0);
  for (size_t n = 0; n < wire.size(); n++) {
    OwnedBatch tb(4, 8192, 128);
    tb.b.append(wire.data(), uint32_t(n), uint32_t(n), 0, 0, 0);
    CHECK(tunnel_decap_packet(tb.b, 0, rx, &meta) != DropReason::NONE);
  }

  // an MPLSoGRE-only receiver refuses protocol 0x6558, a GRE-only receiver refuses 0x8847
  auto decap_with = [&](const std::vector<uint8_t>& frame, uint32_t flags) {
    OwnedBatch tb(4, 8192, 128);
    tb.b.append(frame.data(), uint32_t(frame.size()), uint32_t(frame.size()), 0, 0, 0);
    std::vector<uint8_t> r = gre_receiver(flags, 0xB000);
    TunnelReceiver x;
    tunnel_receiver_load(ByteView(r.data(), r.size()), &x);
    TunnelMeta m;
    return tunnel_decap_packet(tb.b, 0, x, &m);
  };
  CHECK(decap_with(wire, kRxMplsogre) == DropReason::GRE_UNSUPPORTED_PROTOCOL);
  std::vector<uint8_t> mpls = wire;
  mpls[36] = 0x88; mpls[37] = 0x47;
  CHECK(decap_with(mpls, kRxGre) == DropReason::GRE_UNSUPPORTED_PROTOCOL);
  // a keyless frame pops with tun_id 0; a GRE checksum (C bit) that is wrong is a named drop
  std::vector<uint8_t> keyless(wire.begin(), wire.begin() + 34);
  const uint8_t g0[4] = {0, 0, 0x65, 0x58};
  keyless.insert(keyless.end(), g0, g0 + 4);
  keyless.insert(keyless.end(), f.begin(), f.end());
  store_be16(keyless.data() + 16, uint16_t(keyless.size() - 14));
  store_be16(keyless.data() + 24, 0);
  store_be16(keyless.data() + 24, ipv4_header_checksum(keyless.data() + 14, 20));
  CHECK(decap_with(keyless, kRxGre) == DropReason::NONE);
  std::vector<uint8_t> with_c = wire;
  with_c[34] = 0xa0;  // C and K, but the word after the flags is the key, not a checksum
  CHECK(decap_with(with_c, kRxGre) == DropReason::BAD_GRE_CHECKSUM);
}

TEST_MAIN("tunnel_gre")
