// Datapath: classify -> upcalls -> execute keeps input order; hits and
// answered misses produce the same bytes; parser drops are counted.
#include "datapath.h"

#include <vector>

#include "check.h"

using namespace vs;

namespace {
struct TestBatch {
  std::vector<uint64_t> mem;
  Batch b;
  TestBatch(uint32_t cap, uint32_t data) {
    BatchLayout l;
    batch_layout(cap, data, &l);
    mem.assign((l.total_size + 7) / 8, 0);
    batch_init(reinterpret_cast<uint8_t*>(mem.data()), l.total_size, cap, data, 64, 0);
    Batch::open(reinterpret_cast<uint8_t*>(mem.data()), l.total_size, &b);
  }
};
std::vector<uint8_t> out_prog(uint8_t port) { return {kActionVersion, 0, 1, 0, uint8_t(ActionOp::OUTPUT), 0, 4, 0, port, 0, 0, 0}; }
std::vector<uint8_t> frame(uint8_t dst_last) {
  return {0x02, 0, 0, 0, 0, dst_last, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5, 1, 2, 3, 4};
}
FlowKey mask_dl_dst() {
  FlowKey m{};
  for (auto& b : m.dl_dst) b = 0xff;
  return m;
}
}  // namespace

TEST(classify_execute_in_input_order) {
  Datapath dp{DatapathConfig()};
  TestBatch in(8, 8192), out(16, 16384);
  for (uint8_t d : {1, 2, 1, 3}) {
    auto f = frame(d);
    in.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  }
  uint8_t truncated[6] = {1, 2, 3, 4, 5, 6};
  in.b.append(truncated, 6, 6, 0, 0, 1);
  // Pre-install a flow for dl_dst ..:01 -> port 7.
  auto f1 = frame(1);
  TestBatch probe(1, 4096);
  probe.b.append(f1.data(), uint32_t(f1.size()), uint32_t(f1.size()), 0, 0, 1);
  parse_batch(probe.b, LINK_ETHERNET, ParseOptions());
  auto p7 = out_prog(7);
  CHECK(dp.cache().install(*probe.b.key(0), mask_dl_dst(), ByteView(p7.data(), p7.size()), 0) == Status::OK);

  std::vector<uint32_t> misses;
  uint32_t ticket;
  CHECK(dp.classify(in.b, &misses, &ticket) == Status::OK);
  CHECK(misses == (std::vector<uint32_t>{1, 3}));
  CHECK(in.b.u16(COL_DROP)[4] == uint16_t(DropReason::TRUNCATED_ETHERNET));
  // Answer packet 1 with output(8); leave packet 3 unanswered (failed upcall).
  auto p8 = out_prog(8);
  uint32_t offsets[2] = {0, uint32_t(p8.size())};
  uint32_t index[1] = {1};
  Answers a{p8.data(), offsets, index, 1};
  uint32_t next;
  std::vector<uint32_t> origin, cookies;
  CHECK(dp.execute(ticket, in.b, out.b, 0, a, &next, &origin, &cookies) == Status::OK);
  CHECK_EQ(next, 5u);
  CHECK(origin == (std::vector<uint32_t>{0, 1, 2}));
  CHECK_EQ(out.b.u32(COL_NEXT)[0], 7u);
  CHECK_EQ(out.b.u32(COL_NEXT)[1], 8u);
  CHECK_EQ(out.b.u32(COL_NEXT)[2], 7u);
  CHECK_EQ(in.b.u16(COL_DROP)[3], uint16_t(DropReason::UPCALL_FAILED));
  CHECK_EQ(dp.stats().drops[uint16_t(DropReason::UPCALL_FAILED)], 1u);
  CHECK_EQ(dp.stats().drops[uint16_t(DropReason::TRUNCATED_ETHERNET)], 1u);
  CHECK_EQ(dp.stats().upcalls, 2u);
  CHECK_EQ(dp.pending_tickets(), 0u);
}

TEST(execute_resumes_when_output_fills) {
  Datapath dp{DatapathConfig()};
  TestBatch in(8, 8192), out(2, 8192);
  for (int k = 0; k < 5; k++) {
    auto f = frame(1);
    in.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  }
  std::vector<uint32_t> misses;
  uint32_t ticket;
  dp.classify(in.b, &misses, &ticket);
  CHECK_EQ(misses.size(), 5u);
  auto p = out_prog(3);
  std::vector<uint32_t> offsets, index;
  std::vector<uint8_t> bytes;
  for (uint32_t i : misses) {
    offsets.push_back(uint32_t(bytes.size()));
    bytes.insert(bytes.end(), p.begin(), p.end());
    index.push_back(i);
  }
  offsets.push_back(uint32_t(bytes.size()));
  Answers a{bytes.data(), offsets.data(), index.data(), uint32_t(index.size())};
  uint32_t start = 0, total = 0;
  int rounds = 0;
  while (start < 5 && rounds++ < 10) {
    out.b.header().count = 0;
    out.b.header().data_used = 0;
    std::vector<uint32_t> origin, cookies;
    CHECK(dp.execute(ticket, in.b, out.b, start, a, &start, &origin, &cookies) == Status::OK);
    total += uint32_t(origin.size());
  }
  CHECK_EQ(total, 5u);
  CHECK_EQ(rounds, 3);
}

TEST(no_cache_mode_upcalls_everything) {
  DatapathConfig cfg;
  cfg.cache_enabled = false;
  Datapath dp(cfg);
  TestBatch in(4, 8192);
  auto f = frame(1);
  in.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  auto p7 = out_prog(7);
  parse_batch(in.b, LINK_ETHERNET, ParseOptions());
  dp.cache().install(*in.b.key(0), mask_dl_dst(), ByteView(p7.data(), p7.size()), 0);
  std::vector<uint32_t> misses;
  uint32_t ticket;
  dp.classify(in.b, &misses, &ticket);
  CHECK_EQ(misses.size(), 1u);
  dp.drop_ticket(ticket);
  CHECK_EQ(dp.pending_tickets(), 0u);
}

TEST(recirc_hands_packets_over_with_recirc_id_until_the_depth_limit) {
  // Program: set(eth(src=02:..:09)), recirc(5). Every pass recirculates
  // again, so after kMaxRecircDepth passes the packet drops as too deep.
  std::vector<uint8_t> prog = {kActionVersion, 0, 2, 0, uint8_t(ActionOp::SET_ETH_SRC), 0, 6, 0, 2, 0, 0, 0, 0, 9,
                               uint8_t(ActionOp::RECIRC), 0, 4, 0, 5, 0, 0, 0};
  CHECK(action_program_validate(ByteView(prog.data(), prog.size())) == Status::OK);
  DatapathConfig cfg;
  cfg.cache_enabled = false;
  Datapath dp{cfg};
  auto f = frame(1);
  std::vector<uint8_t> img;
  std::vector<uint32_t> origin;
  uint32_t passes = 0;
  {
    TestBatch in(4, 4096), out(4, 8192);
    for (int k = 0; k < 2; k++) in.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 3);
    std::vector<uint32_t> misses, o, cookies;
    uint32_t ticket, next;
    CHECK(dp.classify(in.b, &misses, &ticket) == Status::OK);
    uint32_t offsets[3] = {0, uint32_t(prog.size()), uint32_t(2 * prog.size())};
    std::vector<uint8_t> both(prog);
    both.insert(both.end(), prog.begin(), prog.end());
    uint32_t index[2] = {0, 1};
    CHECK(dp.execute(ticket, in.b, out.b, 0, Answers{both.data(), offsets, index, 2}, &next, &o, &cookies) == Status::OK);
    CHECK_EQ(out.b.count(), 0u);
    CHECK_EQ(in.b.u16(COL_DROP)[0], 0u);  // recirculated, not dropped
    dp.take_recirc(&img, &origin);
    CHECK(origin == (std::vector<uint32_t>{0, 1}));
  }
  for (uint32_t depth = 1; !img.empty(); depth++) {
    passes++;
    Batch r;
    CHECK(Batch::open(img.data(), img.size(), &r) == Status::OK);
    CHECK_EQ(r.count(), 2u);
    CHECK_EQ(r.key(0)->recirc_id, 5u);
    CHECK_EQ(r.key(1)->in_port, 3u);
    CHECK_EQ(r.packet(0).data()[11], 9u);  // the set before recirc is applied
    std::vector<uint32_t> misses, o, cookies;
    uint32_t ticket, next;
    CHECK(dp.classify_recirc(r, depth, 0, &misses, &ticket) == Status::OK);
    CHECK_EQ(r.key(0)->recirc_id, 5u);  // the parser keeps it
    CHECK_EQ(misses.size(), 2u);
    uint32_t offsets[3] = {0, uint32_t(prog.size()), uint32_t(2 * prog.size())};
    std::vector<uint8_t> both(prog);
    both.insert(both.end(), prog.begin(), prog.end());
    uint32_t index[2] = {0, 1};
    TestBatch out(4, 8192);
    CHECK(dp.execute(ticket, r, out.b, 0, Answers{both.data(), offsets, index, 2}, &next, &o, &cookies) == Status::OK);
    std::vector<uint8_t> keep(img);  // r points into img
    uint16_t drop0 = r.u16(COL_DROP)[0];
    dp.take_recirc(&img, &origin);
    if (img.empty()) CHECK_EQ(drop0, uint16_t(DropReason::RECIRCULATION_TOO_DEEP));
    else CHECK_EQ(drop0, 0u);
  }
  CHECK_EQ(passes, kMaxRecircDepth);
  CHECK_EQ(dp.stats().recirculated, uint64_t(2 * kMaxRecircDepth));
  CHECK_EQ(dp.stats().drops[uint16_t(DropReason::RECIRCULATION_TOO_DEEP)], 2u);
}

TEST_MAIN("datapath")
