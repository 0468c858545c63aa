// Action executor: expected bytes are derived by hand (VLAN tag layout from
// IEEE 802.1Q: TPID then TCI after the MACs) or by recomputing checksums from
// scratch (RFC 1071 over the rewritten packet), never copied from the
// executor's own output.
#include "action.h"

#include <cstring>
#include <vector>

#include "check.h"
#include "csum.h"
#include "drop_reason.h"
#include "parse.h"

using namespace vs;

namespace {

struct TestBatch {
  std::vector<uint64_t> mem;
  Batch b;
  TestBatch(uint32_t cap, uint32_t data, uint32_t headroom = 64) {
    BatchLayout l;
    batch_layout(cap, data, &l);
    mem.assign((l.total_size + 7) / 8, 0);
    batch_init(reinterpret_cast<uint8_t*>(mem.data()), l.total_size, cap, data, headroom, 0);
    Batch::open(reinterpret_cast<uint8_t*>(mem.data()), l.total_size, &b);
  }
};

struct Prog {
  std::vector<uint8_t> bytes{kActionVersion, 0, 0, 0};
  Prog& add(ActionOp op, std::vector<uint8_t> arg = {}) {
    bytes.push_back(uint8_t(op));
    bytes.push_back(0);
    bytes.push_back(uint8_t(arg.size()));
    bytes.push_back(uint8_t(arg.size() >> 8));
    bytes.insert(bytes.end(), arg.begin(), arg.end());
    uint16_t n = uint16_t(bytes[2] | bytes[3] << 8) + 1;
    bytes[2] = uint8_t(n);
    bytes[3] = uint8_t(n >> 8);
    return *this;
  }
  Prog& output(uint32_t port) { return add(ActionOp::OUTPUT, {uint8_t(port), uint8_t(port >> 8), uint8_t(port >> 16), uint8_t(port >> 24)}); }
  ByteView view() const { return ByteView(bytes.data(), bytes.size()); }
};

// Ethernet / IPv4 10.0.0.1 -> 10.0.0.2 / UDP 1000 -> 2000 / 4 bytes payload,
// checksums computed from scratch.
std::vector<uint8_t> udp4_frame(bool with_udp_csum = true) {
  std::vector<uint8_t> f = {
      0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,                                  // eth
      0x45, 0x00, 0x00, 32, 0x12, 0x34, 0x40, 0x00, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,  // ipv4
      0x03, 0xe8, 0x07, 0xd0, 0x00, 12, 0, 0,                                                  // udp
      'a', 'b', 'c', 'd'};
  store_be16(&f[24], ipv4_header_checksum(&f[14], 20));
  if (with_udp_csum) {
    uint32_t sum = pseudo_sum_v4(&f[26], &f[30], 17, 12);
    uint16_t c = csum_finish(csum_add_bytes(sum, &f[34], 12));
    store_be16(&f[40], c == 0 ? 0xffff : c);
  }
  return f;
}

bool ipv4_csum_ok(const uint8_t* ip) { return csum_fold(csum_add_bytes(0, ip, 20)) == 0xffff; }
bool udp4_csum_ok(const uint8_t* ip) {
  uint16_t len = load_be16(ip + 24);
  uint32_t sum = pseudo_sum_v4(ip + 12, ip + 16, 17, len);
  return csum_fold(csum_add_bytes(sum, ip + 20, len)) == 0xffff;
}

void load(TestBatch& t, const std::vector<uint8_t>& f, uint32_t in_port = 5) {
  CHECK(t.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 1, 2, in_port) == Status::OK);
  CHECK(parse_batch(t.b, LINK_ETHERNET, ParseOptions()) == Status::OK);
}

std::vector<uint8_t> bytes_of(const Batch& b, uint32_t i) {
  MutByteView v = b.packet(i);
  return std::vector<uint8_t>(v.data(), v.data() + v.size());
}

}  // namespace

TEST(validate_rejects_malformed_programs) {
  CHECK(action_program_validate(Prog().output(1).view()) == Status::OK);
  CHECK(action_program_validate(ByteView()) == Status::BAD_ARGUMENT);
  std::vector<uint8_t> bad_version = {2, 0, 0, 0};
  CHECK(action_program_validate(ByteView(bad_version.data(), 4)) == Status::BAD_ARGUMENT);
  Prog p = Prog().output(1);
  p.bytes[2] = 2;  // count says two actions, one present
  CHECK(action_program_validate(p.view()) == Status::BAD_ARGUMENT);
  Prog q = Prog().output(1);
  q.bytes.push_back(0);  // trailing byte
  CHECK(action_program_validate(q.view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp::OUTPUT, {1, 0}).view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp(99)).view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp::DROP, {0, 0}).view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp::DROP, {0xff, 0xff}).view()) == Status::BAD_ARGUMENT);
  // Clone nesting beyond the limit.
  Prog inner = Prog().output(1);
  for (uint32_t d = 0; d <= kMaxCloneDepth; d++) inner = Prog().add(ActionOp::CLONE, inner.bytes);
  CHECK(action_program_validate(inner.view()) == Status::BAD_ARGUMENT);
  // Every truncation of a valid program is rejected, never read past.
  Prog full = Prog().add(ActionOp::PUSH_VLAN, {0x00, 0x81, 10, 0}).add(ActionOp::CLONE, Prog().output(3).bytes).output(2);
  for (size_t n = 0; n < full.bytes.size(); n++)
    CHECK(action_program_validate(ByteView(full.bytes.data(), n)) == Status::BAD_ARGUMENT);
}

TEST(output_copies_packet_and_metadata) {
  TestBatch in(4, 8192), out(4, 8192);
  auto f = udp4_frame();
  load(in, f);
  in.b.u32(COL_HASH)[0] = 0xabcd;
  ActionExecutor ex;
  ExecResult r;
  CHECK(ex.execute(in.b, 0, Prog().output(7).output(9).view(), out.b, &r) == Status::OK);
  CHECK_EQ(r.outputs, 2u);
  CHECK_EQ(out.b.count(), 2u);
  CHECK(bytes_of(out.b, 0) == f);
  CHECK(bytes_of(out.b, 1) == f);
  CHECK_EQ(out.b.u32(COL_NEXT)[0], 7u);
  CHECK_EQ(out.b.u32(COL_NEXT)[1], 9u);
  CHECK_EQ(out.b.u32(COL_IN_PORT)[0], 5u);
  CHECK_EQ(out.b.u32(COL_HASH)[1], 0xabcdu);
  CHECK_EQ(out.b.u32(COL_TS_SEC)[0], 1u);
  CHECK(bytes_of(in.b, 0) == f);  // input untouched
}

TEST(push_and_pop_vlan_hand_derived) {
  TestBatch in(4, 8192), out(4, 8192);
  auto f = udp4_frame();
  load(in, f);
  ActionExecutor ex;
  ExecResult r;
  // vid 10, pcp 5: TCI = 5 << 13 | 10 = 0xa00a.
  Prog p = Prog().add(ActionOp::PUSH_VLAN, {0x00, 0x81, 0x0a, 0xa0}).output(1).add(ActionOp::POP_VLAN).output(2);
  CHECK(ex.execute(in.b, 0, p.view(), out.b, &r) == Status::OK);
  std::vector<uint8_t> tagged(f.begin(), f.begin() + 12);
  for (uint8_t b : {0x81, 0x00, 0xa0, 0x0a}) tagged.push_back(b);
  tagged.insert(tagged.end(), f.begin() + 12, f.end());
  CHECK(bytes_of(out.b, 0) == tagged);
  CHECK_EQ(out.b.u16(COL_L3)[0], 18);
  CHECK((out.b.u32(COL_FLAGS)[0] & FLAG_VLAN) != 0);
  CHECK(bytes_of(out.b, 1) == f);
  CHECK_EQ(out.b.u16(COL_L3)[1], 14);
  CHECK((out.b.u32(COL_FLAGS)[1] & FLAG_VLAN) == 0);
}

TEST(set_ipv4_and_ports_keep_checksums_valid) {
  TestBatch in(4, 8192), out(8, 16384);
  auto f = udp4_frame();
  load(in, f);
  ActionExecutor ex;
  ExecResult r;
  Prog p = Prog()
               .add(ActionOp::SET_IPV4_SRC, {192, 168, 1, 1})
               .add(ActionOp::SET_IPV4_DST, {172, 16, 0, 9})
               .add(ActionOp::SET_TP_SRC, {17, 0, 0x35, 0x00})  // 53
               .add(ActionOp::SET_TP_DST, {17, 0, 0x50, 0x00})  // 80
               .add(ActionOp::SET_TTL, {63})
               .add(ActionOp::SET_DSCP, {46})
               .add(ActionOp::SET_ETH_DST, {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff})
               .output(1);
  CHECK(ex.execute(in.b, 0, p.view(), out.b, &r) == Status::OK);
  auto o = bytes_of(out.b, 0);
  const uint8_t* ip = o.data() + 14;
  CHECK(ip[12] == 192 && ip[15] == 1 && ip[16] == 172 && ip[19] == 9);
  CHECK_EQ(load_be16(ip + 20), 53);
  CHECK_EQ(load_be16(ip + 22), 80);
  CHECK_EQ(ip[8], 63);
  CHECK_EQ(ip[1], 46 << 2);
  CHECK(o[0] == 0xaa && o[5] == 0xff);
  CHECK(ipv4_csum_ok(ip));
  CHECK(udp4_csum_ok(ip));
}

TEST(zero_udp_checksum_stays_zero) {
  TestBatch in(4, 8192), out(4, 8192);
  load(in, udp4_frame(false));
  ActionExecutor ex;
  ExecResult r;
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::SET_IPV4_SRC, {1, 2, 3, 4}).output(1).view(), out.b, &r) == Status::OK);
  auto o = bytes_of(out.b, 0);
  CHECK_EQ(load_be16(&o[40]), 0);
  CHECK(ipv4_csum_ok(&o[14]));
}

TEST(partial_checksum_tracks_pseudo_header) {
  TestBatch in(4, 8192), out(4, 8192);
  auto f = udp4_frame();
  // A partial checksum: fold(pseudo-header sum) uncomplemented.
  store_be16(&f[40], csum_fold(pseudo_sum_v4(&f[26], &f[30], 17, 12)));
  load(in, f);
  in.b.u32(COL_FLAGS)[0] |= FLAG_L4_CSUM_PARTIAL;
  ActionExecutor ex;
  ExecResult r;
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::SET_IPV4_DST, {8, 8, 4, 4}).add(ActionOp::SET_TP_DST, {17, 0, 1, 0}).output(1).view(), out.b, &r) == Status::OK);
  auto o = bytes_of(out.b, 0);
  uint8_t dst[4] = {8, 8, 4, 4};
  CHECK_EQ(load_be16(&o[40]), csum_fold(pseudo_sum_v4(&f[26], dst, 17, 12)));
}

TEST(clone_does_not_change_the_original) {
  TestBatch in(4, 8192), out(8, 16384);
  auto f = udp4_frame();
  load(in, f);
  ActionExecutor ex;
  ExecResult r;
  Prog inner = Prog().add(ActionOp::PUSH_VLAN, {0x00, 0x81, 0x01, 0x00}).output(4).add(ActionOp::DROP, {uint8_t(DropReason::RULE_DROP), 0});
  Prog p = Prog().add(ActionOp::CLONE, inner.bytes).output(3);
  CHECK(ex.execute(in.b, 0, p.view(), out.b, &r) == Status::OK);
  CHECK_EQ(out.b.count(), 2u);
  CHECK_EQ(out.b.u32(COL_NEXT)[0], 4u);
  CHECK_EQ(bytes_of(out.b, 0).size(), f.size() + 4);
  CHECK_EQ(out.b.u32(COL_NEXT)[1], 3u);
  CHECK(bytes_of(out.b, 1) == f);
  CHECK_EQ(r.drop, 0);
}

TEST(drop_and_no_output_reasons) {
  TestBatch in(4, 8192), out(4, 8192);
  load(in, udp4_frame());
  ActionExecutor ex;
  ExecResult r;
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::DROP, {uint8_t(DropReason::RULE_DROP), 0}).output(1).view(), out.b, &r) == Status::OK);
  CHECK_EQ(r.drop, uint16_t(DropReason::RULE_DROP));
  CHECK_EQ(out.b.count(), 0u);
  CHECK(ex.execute(in.b, 0, Prog().view(), out.b, &r) == Status::OK);
  CHECK_EQ(r.drop, uint16_t(DropReason::NO_OUTPUT_ACTION));
  std::vector<uint32_t> cookies;
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::USERSPACE, {7, 0, 0, 0}).view(), out.b, &r, &cookies) == Status::OK);
  CHECK_EQ(cookies.size(), 1u);
  CHECK_EQ(cookies[0], 7u);
}

TEST(output_full_rolls_back) {
  TestBatch in(4, 8192), out(2, 8192);
  auto f = udp4_frame();
  load(in, f);
  ActionExecutor ex;
  ExecResult r;
  CHECK(ex.execute(in.b, 0, Prog().output(1).view(), out.b, &r) == Status::OK);
  uint32_t used = out.b.header().data_used;
  CHECK(ex.execute(in.b, 0, Prog().output(1).output(2).view(), out.b, &r) == Status::OUTPUT_FULL);
  CHECK_EQ(out.b.count(), 1u);
  CHECK_EQ(out.b.header().data_used, used);
}

TEST(actions_on_truncated_or_non_ip_packets_stay_in_bounds) {
  TestBatch in(4, 8192), out(4, 8192);
  auto f = udp4_frame();
  f.resize(30);  // IPv4 header cut short
  load(in, f);
  in.b.u16(COL_DROP)[0] = 0;
  in.b.u16(COL_L3)[0] = 14;
  in.b.u16(COL_L4)[0] = 34;
  ActionExecutor ex;
  ExecResult r;
  Prog p = Prog().add(ActionOp::SET_IPV4_SRC, {1, 1, 1, 1}).add(ActionOp::SET_TTL, {1}).add(ActionOp::SET_TP_SRC, {17, 0, 1, 0}).add(ActionOp::POP_VLAN).output(1);
  CHECK(ex.execute(in.b, 0, p.view(), out.b, &r) == Status::OK);
  auto o = bytes_of(out.b, 0);
  CHECK_EQ(o.size(), f.size());  // the source address fits and is written; nothing past the end
  CHECK(o[26] == 1 && o[29] == 1);
}

// --- offload actions (CHECK_MTU, GSO, CSUM_COMPLETE) ---

namespace {

// CHECK_MTU argument: u32 mtu, u32 frame_limit, u8 profile, u8 0, mac, ip4, ip6.
std::vector<uint8_t> mtu_arg(uint32_t mtu, uint8_t profile, uint32_t frame_limit = 0) {
  std::vector<uint8_t> a = {uint8_t(mtu), uint8_t(mtu >> 8), uint8_t(mtu >> 16), uint8_t(mtu >> 24),
                            uint8_t(frame_limit), uint8_t(frame_limit >> 8), uint8_t(frame_limit >> 16),
                            uint8_t(frame_limit >> 24), profile, 0,
                            0x02, 0xaa, 0, 0, 0, 0x01,  // gateway MAC
                            192, 0, 2, 1};              // gateway IPv4
  a.resize(36, 0);
  a[20] = 0xfd;  // gateway IPv6 fd00::1
  a[35] = 1;
  return a;
}

// Ethernet / IPv4 (DF per `df`) 10.0.0.1 -> 10.0.0.2 / UDP with `payload`
// bytes of 0x5a; IP total length 28 + payload. Checksums computed from scratch.
std::vector<uint8_t> big_udp4(uint32_t payload, bool df) {
  std::vector<uint8_t> f = udp4_frame();
  f.resize(14 + 28);
  f.insert(f.end(), payload, 0x5a);
  store_be16(&f[16], uint16_t(28 + payload));
  f[20] = df ? 0x40 : 0;
  f[24] = f[25] = 0;
  store_be16(&f[24], ipv4_header_checksum(&f[14], 20));
  store_be16(&f[38], uint16_t(8 + payload));
  f[40] = f[41] = 0;
  uint16_t c = csum_finish(csum_add_bytes(pseudo_sum_v4(&f[26], &f[30], 17, 8 + payload), &f[34], 8 + payload));
  store_be16(&f[40], c == 0 ? 0xffff : c);
  return f;
}

}  // namespace

TEST(offload_actions_validate) {
  CHECK(action_program_validate(Prog().add(ActionOp::CHECK_MTU, mtu_arg(1450, 0)).output(1).view()) == Status::OK);
  CHECK(action_program_validate(Prog().add(ActionOp::CHECK_MTU, mtu_arg(1450, 3)).output(1).view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp::CHECK_MTU, mtu_arg(67, 0)).view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp::CHECK_MTU, mtu_arg(1500, 0, 59)).view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp::GSO, {1, 0}).output(1).view()) == Status::OK);
  CHECK(action_program_validate(Prog().add(ActionOp::GSO, {2, 0}).view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp::GSO, {0}).view()) == Status::BAD_ARGUMENT);
  CHECK(action_program_validate(Prog().add(ActionOp::CSUM_COMPLETE, {3, 0}).view()) == Status::OK);
  CHECK(action_program_validate(Prog().add(ActionOp::CSUM_COMPLETE, {4, 0}).view()) == Status::BAD_ARGUMENT);
  // Segmenting actions along one path: at most kMaxSegmentDepth (2), clones included.
  Prog two = Prog().add(ActionOp::CHECK_MTU, mtu_arg(1450, 0)).add(ActionOp::GSO, {0, 0}).output(1);
  CHECK(action_program_validate(two.view()) == Status::OK);
  Prog three = Prog().add(ActionOp::GSO, {0, 0}).add(ActionOp::CLONE, Prog().add(ActionOp::GSO, {0, 0}).add(ActionOp::GSO, {0, 0}).output(1).bytes);
  CHECK(action_program_validate(three.view()) == Status::BAD_ARGUMENT);
  Prog siblings = Prog().add(ActionOp::CLONE, Prog().add(ActionOp::GSO, {0, 0}).add(ActionOp::GSO, {0, 0}).output(1).bytes)
                      .add(ActionOp::GSO, {0, 0}).add(ActionOp::GSO, {0, 0}).output(2);
  CHECK(action_program_validate(siblings.view()) == Status::OK);
}

TEST(check_mtu_df_drops_with_icmp_per_profile) {
  auto f = big_udp4(1500 - 28, true);  // IP length 1500, DF
  for (uint8_t profile : {0, 1, 2}) {
    TestBatch in(4, 8192), out(8, 16384);
    load(in, f, 5);
    ActionExecutor ex;
    ExecResult r;
    CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::CHECK_MTU, mtu_arg(1450, profile)).output(2).view(), out.b, &r) == Status::OK);
    CHECK_EQ(r.outputs, 0u);
    CHECK_EQ(r.drop, uint16_t(DropReason::MTU_EXCEEDED_DF));
    if (profile == 1) {  // ovs: drop only
      CHECK_EQ(r.errors, 0u);
      CHECK_EQ(out.b.count(), 0u);
      continue;
    }
    CHECK_EQ(r.errors, 1u);
    CHECK_EQ(out.b.count(), 1u);
    CHECK_EQ(out.b.u32(COL_NEXT)[0], 5u);  // back to the in-port
    auto e = bytes_of(out.b, 0);
    // RFC 792/1191 by hand: eth dst = offender's source MAC, type 0x0800; ICMP 3/4 with MTU 1450 (0x05aa)
    // in bytes 6-7 of the ICMP header; IP src = gateway 192.0.2.1, dst = 10.0.0.1; quote = offender's IP header.
    CHECK(e.size() >= 14 + 20 + 8 + 28);
    CHECK(std::memcmp(&e[0], &f[6], 6) == 0);
    CHECK(std::memcmp(&e[6], "\x02\xaa\x00\x00\x00\x01", 6) == 0);
    CHECK_EQ(load_be16(&e[12]), 0x0800);
    CHECK_EQ(e[23], 1);
    CHECK(std::memcmp(&e[26], "\xc0\x00\x02\x01", 4) == 0);
    CHECK(std::memcmp(&e[30], &f[26], 4) == 0);
    CHECK_EQ(e[34], 3);
    CHECK_EQ(e[35], 4);
    CHECK_EQ(load_be16(&e[40]), 1450);
    CHECK(std::memcmp(&e[42], &f[14], 28) == 0);
    CHECK(ipv4_csum_ok(&e[14]));
  }
}

TEST(check_mtu_without_df_fragments_then_runs_the_rest) {
  auto f = big_udp4(1500 - 28, false);
  TestBatch in(4, 8192), out(8, 16384);
  load(in, f);
  ActionExecutor ex;
  ExecResult r;
  Prog p = Prog().add(ActionOp::CHECK_MTU, mtu_arg(1000, 0)).add(ActionOp::SET_TTL, {9}).output(2).output(3);
  CHECK(ex.execute(in.b, 0, p.view(), out.b, &r) == Status::OK);
  // (1000 - 20) & ~7 = 976 data bytes in the first fragment, 1480 - 976 = 504 in the second.
  CHECK_EQ(r.outputs, 4u);
  CHECK_EQ(r.drop, 0);
  CHECK_EQ(out.b.count(), 4u);
  const uint32_t lens[] = {996, 996, 524, 524};
  const uint16_t frag[] = {0x2000, 0x2000, 976 / 8, 976 / 8};
  const uint32_t port[] = {2, 3, 2, 3};
  for (uint32_t k = 0; k < 4; k++) {
    auto g = bytes_of(out.b, k);
    CHECK_EQ(g.size(), 14 + lens[k]);
    CHECK_EQ(load_be16(&g[16]), lens[k]);
    CHECK_EQ(load_be16(&g[20]), frag[k]);
    CHECK_EQ(g[22], 9);  // set(ip(ttl)) ran on every fragment
    CHECK(ipv4_csum_ok(&g[14]));
    CHECK_EQ(out.b.u32(COL_NEXT)[k], port[k]);
  }
}

TEST(check_mtu_fits_and_frame_limit) {
  auto f = big_udp4(1500 - 28, true);
  TestBatch in(4, 8192), out(8, 16384);
  load(in, f);
  ActionExecutor ex;
  ExecResult r;
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::CHECK_MTU, mtu_arg(1500, 0)).output(2).view(), out.b, &r) == Status::OK);
  CHECK_EQ(r.outputs, 1u);
  CHECK(bytes_of(out.b, 0) == f);
  // Frame limit 1510 < 14 + 1500: too big; the ICMP carries 1510 - 14 = 1496.
  out.b.header().count = 0;
  out.b.header().data_used = 0;
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::CHECK_MTU, mtu_arg(1500, 0, 1510)).output(2).view(), out.b, &r) == Status::OK);
  CHECK_EQ(r.drop, uint16_t(DropReason::MTU_EXCEEDED_DF));
  CHECK_EQ(out.b.count(), 1u);
  CHECK_EQ(load_be16(&bytes_of(out.b, 0)[40]), 1496);
}

TEST(gso_action_segments_and_runs_the_rest_per_segment) {
  // A UFO-free case by hand: IPv4/TCP (DF) with 250 payload bytes, gso TCPV4 size 100 -> 3 segments of
  // 100, 100, 50 bytes, seq s, s+100, s+200, IPv4 ID id0 + k, PSH only on the last.
  std::vector<uint8_t> f = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
                            0x45, 0, 0, 0, 0x10, 0x00, 0x40, 0x00, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                            0x04, 0xd2, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0};
  f.insert(f.end(), 250, 0x61);
  store_be16(&f[16], uint16_t(f.size() - 14));
  store_be16(&f[24], ipv4_header_checksum(&f[14], 20));
  uint16_t c = csum_finish(csum_add_bytes(pseudo_sum_v4(&f[26], &f[30], 6, uint16_t(f.size() - 34)), &f[34], f.size() - 34));
  store_be16(&f[50], c);
  TestBatch in(4, 8192), out(8, 16384);
  load(in, f);
  in.b.u16(COL_GSO_TYPE)[0] = 1;  // VIRTIO_NET_HDR_GSO_TCPV4
  in.b.u16(COL_GSO_SIZE)[0] = 100;
  ActionExecutor ex;
  ExecResult r;
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::GSO, {0, 0}).output(4).view(), out.b, &r) == Status::OK);
  CHECK_EQ(r.outputs, 3u);
  const uint32_t pay[] = {100, 100, 50};
  for (uint32_t k = 0; k < 3; k++) {
    auto g = bytes_of(out.b, k);
    CHECK_EQ(g.size(), 54 + pay[k]);
    CHECK_EQ(load_be16(&g[18]), 0x1000 + k);
    CHECK_EQ(load_be32(&g[38]), 1000 + 100 * k);
    CHECK_EQ(g[47], k == 2 ? 0x18 : 0x10);
    CHECK(ipv4_csum_ok(&g[14]));
    uint32_t sum = pseudo_sum_v4(&g[26], &g[30], 6, uint16_t(20 + pay[k]));
    CHECK_EQ(csum_fold(csum_add_bytes(sum, &g[34], 20 + pay[k])), 0xffff);
    CHECK_EQ(out.b.u32(COL_NEXT)[k], 4u);
    CHECK_EQ(out.b.u16(COL_GSO_TYPE)[k], 0);
  }
}

TEST(csum_complete_action_completes_partial) {
  auto f = udp4_frame();
  uint16_t want = load_be16(&f[40]);
  // Partial: the field holds the folded pseudo-header sum (RFC 1071 of 10.0.0.1, 10.0.0.2, 17, 12).
  store_be16(&f[40], csum_fold(pseudo_sum_v4(&f[26], &f[30], 17, 12)));
  TestBatch in(4, 8192), out(8, 16384);
  load(in, f);
  in.b.u32(COL_FLAGS)[0] |= FLAG_NEEDS_CSUM;
  in.b.u16(COL_CSUM_START)[0] = 34;
  in.b.u16(COL_CSUM_OFFSET)[0] = 6;
  ActionExecutor ex;
  ExecResult r;
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::CSUM_COMPLETE, {0, 0}).output(1).view(), out.b, &r) == Status::OK);
  CHECK_EQ(load_be16(&bytes_of(out.b, 0)[40]), want);
  CHECK((out.b.u32(COL_FLAGS)[0] & FLAG_NEEDS_CSUM) == 0);
  // bad-hw-csum leaves the pseudo-header out: a wrong value and FLAG_FAULT.
  CHECK(ex.execute(in.b, 0, Prog().add(ActionOp::CSUM_COMPLETE, {1, 0}).output(1).view(), out.b, &r) == Status::OK);
  CHECK(load_be16(&bytes_of(out.b, 1)[40]) != want);
  CHECK((out.b.u32(COL_FLAGS)[1] & FLAG_FAULT) != 0);
}

TEST_MAIN("action")
