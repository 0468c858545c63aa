// libFuzzer target: decap of arbitrary frames with a receiver that
// terminates every tunnel kind (labels 0..3 as IP, 16..19 as Ethernet with
// a control word; Ethernet over GRE too), then encap of the same bytes with
// VXLAN (source port from OVS's 5-tuple hash) and MPLSoGRE templates. Finds out-of-bounds reads/writes under ASan; must never crash.
#include <cstdint>
#include <cstring>
#include <vector>

#include "batch.h"
#include "csum.h"
#include "tunnel_decap.h"
#include "tunnel_encap.h"

using namespace vs;

namespace {

std::vector<uint8_t> make_receiver() {
  std::vector<uint8_t> r(32 + 8 * kLabelEntrySize, 0);
  auto le32 = [&](size_t o, uint32_t v) { for (int k = 0; k < 4; k++) r[o + k] = uint8_t(v >> (8 * k)); };
  le32(0, kTunnelReceiverMagic);
  le32(4, kRxVxlan | kRxMplsoudp | kRxMplsogre | kRxGre | kRxAnyVni | kRxZeroCsumIpv6);
  r[8] = 4789 & 255; r[9] = 4789 >> 8; r[10] = 6635 & 255; r[11] = 6635 >> 8;
  r[12] = 0x00; r[13] = 0xB0;  // C, K, S
  le32(16, 0);
  le32(20, 8);
  const uint32_t labels[8] = {0, 1, 2, 3, 16, 17, 18, 19};
  for (int k = 0; k < 8; k++) {
    size_t o = 32 + size_t(k) * kLabelEntrySize;
    le32(o, labels[k]);
    r[o + 4] = k < 4 ? 1 : 2;
    r[o + 5] = k < 4 ? 0 : 1;
  }
  return r;
}

TunnelTemplate make_template(bool gre) {
  TunnelTemplate t{};
  t.magic = kTunnelTemplateMagic;
  t.l3_off = 14;
  t.l4_off = 34;
  uint8_t* b = t.bytes;
  b[12] = 0x08; b[14] = 0x45; b[22] = 64;
  if (gre) {
    t.type = uint8_t(TunnelType::MPLSOGRE);
    t.ip_id_policy = uint8_t(IpIdPolicy::COPY_INNER);
    t.mpls_ttl_policy = uint8_t(TtlPolicy::INHERIT);
    b[23] = 47; b[36] = 0x88; b[37] = 0x47;
    t.tnl_off = 34; t.mpls_off = 38; t.n_labels = 1; t.hdr_len = 42;
    b[40] = 0x01; b[41] = 64;  // label 0, S
  } else {
    t.type = uint8_t(TunnelType::VXLAN);
    t.flags = kTplL2Payload | kTplSportOvsHash;  // OVS's 5-tuple hash of the frame (tunnel_ovs_hash.h)
    t.sport_min = 32768;
    t.sport_max = 61000;
    t.udp_csum = uint8_t(UdpCsumPolicy::COMPUTE);
    t.df_policy = uint8_t(DfPolicy::INHERIT);
    t.ttl_policy = uint8_t(TtlPolicy::INHERIT);
    b[23] = 17; b[36] = 0x12; b[37] = 0xb5; b[42] = 0x08;
    t.tnl_off = 42; t.mpls_off = kAbsent; t.hdr_len = 50;
  }
  store_be16(b + 24, ipv4_header_checksum(b + 14, 20));
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<uint8_t> rxb = make_receiver();
  static const TunnelTemplate vx = make_template(false), gre = make_template(true);
  if (size > 4096) return 0;
  BatchLayout l;
  batch_layout(3, 3 * (uint32_t(size) + 256), &l);
  std::vector<uint64_t> mem(l.total_size / 8 + 1);
  uint8_t* buf = reinterpret_cast<uint8_t*>(mem.data());
  batch_init(buf, l.total_size, 3, 3 * (uint32_t(size) + 256), 96, 0);
  Batch b;
  Batch::open(buf, l.total_size, &b);
  for (int k = 0; k < 3; k++) b.append(data, uint32_t(size), uint32_t(size), 0, 0, 0);
  TunnelReceiver rx;
  if (tunnel_receiver_load(ByteView(rxb.data(), rxb.size()), &rx) != Status::OK) __builtin_trap();
  TunnelMeta meta;
  tunnel_decap_packet(b, 0, rx, &meta);
  TunnelState st{0};
  DropReason vx_result = tunnel_encap_packet(b, 1, vx, st);
  tunnel_encap_packet(b, 2, gre, st);
  // Encap output must decap again (a VXLAN of any Ethernet frame is valid).
  if (vx_result == DropReason::NONE && tunnel_decap_packet(b, 1, rx, &meta) != DropReason::NONE) __builtin_trap();
  return 0;
}
