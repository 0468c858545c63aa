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

TEST_MAIN("action")
