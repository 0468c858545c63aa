// Receive side and in-place execution: rss_hash_frame gives the hash the
// parser + rss_hash_packet give (or declines), shard_plan / shard_copy keep
// input order per shard with exact sizes, and single-output programs run in
// the input batch with the same bytes as through an output batch.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "action.h"
#include "check.h"
#include "datapath.h"
#include "datapath_shard.h"
#include "owned_batch.h"
#include "parse.h"
#include "rss.h"

using namespace vs;
using vstest::OwnedBatch;

namespace {
// Ethernet [802.1Q] IPv4|IPv6 + L4 header, hand-built; checksums are not
// needed by the hash (fields set: addresses, protocol, ports, lengths).
std::vector<uint8_t> frame(bool vlan, bool v6, uint8_t proto, uint16_t sport, uint16_t dport, uint16_t frag = 0,
                           uint8_t ihl = 5, size_t payload = 18) {
  std::vector<uint8_t> f = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  if (vlan) f.insert(f.end(), {0x81, 0x00, 0x00, 0x64});
  size_t l4len = (proto == 6 ? 20 : 8) + payload;
  if (!v6) {
    f.insert(f.end(), {0x08, 0x00});
    size_t total = ihl * 4 + l4len;
    f.insert(f.end(), {uint8_t(0x40 | ihl), 0, uint8_t(total >> 8), uint8_t(total), 0, 1, uint8_t(frag >> 8),
                       uint8_t(frag), 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
    for (int k = 5; k < ihl; k++) f.insert(f.end(), {1, 1, 1, 1});  // NOP options
  } else {
    f.insert(f.end(), {0x86, 0xdd, 0x60, 0, 0, 0, uint8_t(l4len >> 8), uint8_t(l4len), proto, 64});
    for (int k = 0; k < 2; k++) {
      f.insert(f.end(), {0x20, 0x01, 0x0d, 0xb8});
      f.insert(f.end(), 11, 0);
      f.push_back(uint8_t(k + 1));
    }
  }
  std::vector<uint8_t> l4(l4len, 0);
  l4[0] = uint8_t(sport >> 8), l4[1] = uint8_t(sport), l4[2] = uint8_t(dport >> 8), l4[3] = uint8_t(dport);
  if (proto == 17) l4[4] = uint8_t(l4len >> 8), l4[5] = uint8_t(l4len);
  if (proto == 6) l4[12] = 0x50;
  f.insert(f.end(), l4.begin(), l4.end());
  return f;
}

std::vector<std::vector<uint8_t>> frames() {
  return {
      frame(false, false, 17, 1234, 4000),      frame(true, false, 6, 80, 5555),
      frame(false, true, 6, 443, 1000),         frame(true, true, 17, 53, 53),
      frame(false, false, 17, 1, 4789),         // VXLAN port: the parser goes into the tunnel
      frame(false, false, 1, 0, 0),             // ICMP: 2-tuple
      frame(false, false, 17, 9, 9, 0x2000),    // first fragment: 2-tuple
      frame(false, false, 6, 22, 22, 0, 6),     // IPv4 options
      {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1,  // ARP request: no hash
       2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2},
      {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00, 0x45, 0},                   // truncated IPv4
  };
}

void fill(OwnedBatch& ob, uint32_t in_port = 1) {
  for (const auto& f : frames()) ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, in_port);
}
}  // namespace

TEST(frame_hash_equals_parsed_hash_or_declines) {
  OwnedBatch parsed(16, 16384);
  fill(parsed);
  CHECK(parse_batch(parsed.b, LINK_ETHERNET, ParseOptions()) == Status::OK);
  uint32_t taken = 0;
  for (uint32_t i = 0; i < parsed.b.count(); i++) {
    uint32_t h = 0;
    bool ok = rss_hash_frame(parsed.b.packet(i).view(), parsed.b.u32(COL_WIRE_LENGTH)[i], &h);
    if (!ok) continue;
    taken++;
    CHECK_EQ(h, rss_hash_packet(parsed.b, i, RssLayer::OUTER));
    CHECK_EQ(h, rss_hash_packet(parsed.b, i, RssLayer::INNER));
  }
  CHECK_EQ(taken, 4u);  // the four plain TCP/UDP frames; the rest go through the parser
}

TEST(shard_plan_and_copy_keep_order_and_hashes) {
  OwnedBatch in(16, 16384), ref(16, 16384);
  fill(in);
  fill(ref);
  CHECK(parse_batch(ref.b, LINK_ETHERNET, ParseOptions()) == Status::OK);
  uint8_t table[kShardTableSize];
  for (uint32_t k = 0; k < kShardTableSize; k++) table[k] = uint8_t(k % 2);
  ShardPlan plan;
  CHECK(shard_plan(in.b, LINK_ETHERNET, RssPortLayers(), table, 2, &plan) == Status::OK);
  CHECK(plan.invalid.empty());
  uint32_t buckets = 0;
  for (uint32_t b = 0; b < kShardTableSize; b++) buckets += plan.buckets[b];
  CHECK_EQ(buckets, in.b.count());
  for (uint32_t i = 0; i < in.b.count(); i++) {
    uint32_t h = rss_hash_packet(ref.b, i, RssLayer::OUTER);
    CHECK_EQ(in.b.u32(COL_HASH)[i], h);
    CHECK_EQ(uint32_t(plan.shard[i]), uint32_t(table[h % kShardTableSize]));
  }
  std::vector<OwnedBatch> shards;
  for (uint32_t s = 0; s < 2; s++) shards.emplace_back(plan.count[s] ? plan.count[s] : 1, uint32_t(plan.data[s]) + 8);
  Batch views[2] = {shards[0].b, shards[1].b};
  std::vector<std::vector<uint32_t>> index;
  CHECK(shard_copy(in.b, plan, views, 2, &index) == Status::OK);
  for (uint32_t s = 0; s < 2; s++) {
    CHECK_EQ(views[s].count(), plan.count[s]);
    for (uint32_t j = 0; j < index[s].size(); j++) {
      uint32_t i = index[s][j];
      if (j > 0) CHECK(index[s][j - 1] < i);
      MutByteView a = views[s].packet(j), b = in.b.packet(i);
      CHECK(a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0);
      CHECK_EQ(views[s].u32(COL_IN_PORT)[j], 1u);
    }
  }
  CHECK_EQ(uint32_t(index[0].size() + index[1].size()), in.b.count());
}

TEST(rss_layer_per_port) {
  // VXLAN frame (outer UDP 4789, VNI 1, inner Ethernet/IPv4/UDP) on ports 1
  // and 2; port 2 hashes the inner headers, port 1 the outer ones.
  std::vector<uint8_t> inner = frame(false, false, 17, 7777, 8888);
  std::vector<uint8_t> outer = frame(false, false, 17, 1000, 4789, 0, 5, 8 + inner.size());
  size_t udp = 14 + 20;
  std::vector<uint8_t> vx = {0x08, 0, 0, 0, 0, 0, 1, 0};
  std::copy(vx.begin(), vx.end(), outer.begin() + udp + 8);
  std::copy(inner.begin(), inner.end(), outer.begin() + udp + 16);
  OwnedBatch ob(4, 4096);
  for (uint32_t port : {1u, 2u}) ob.b.append(outer.data(), uint32_t(outer.size()), uint32_t(outer.size()), 0, 0, port);
  CHECK(parse_batch(ob.b, LINK_ETHERNET, ParseOptions()) == Status::OK);
  CHECK(ob.b.u16(COL_INNER_L3)[0] != kAbsent);
  uint32_t h_outer = rss_hash_packet(ob.b, 0, RssLayer::OUTER), h_inner = rss_hash_packet(ob.b, 0, RssLayer::INNER);
  CHECK(h_outer != h_inner);
  RssPortLayers layers;
  layers.ports.push_back({2, RssLayer::INNER});
  rss_hash_batch(ob.b, layers);
  CHECK_EQ(ob.b.u32(COL_HASH)[0], h_outer);
  CHECK_EQ(ob.b.u32(COL_HASH)[1], h_inner);
  // The receive side hashes the same way (the VXLAN frame is parsed there).
  uint8_t table[kShardTableSize] = {};
  ShardPlan plan;
  CHECK(shard_plan(ob.b, LINK_ETHERNET, layers, table, 1, &plan) == Status::OK);
  CHECK_EQ(ob.b.u32(COL_HASH)[0], h_outer);
  CHECK_EQ(ob.b.u32(COL_HASH)[1], h_inner);
}

TEST(single_output_program_runs_in_place_with_the_same_bytes) {
  // push_vlan(vid=5),2: in place (input headroom 64 >= 4) and through an
  // output batch (the plain execute) must give the same frames.
  std::vector<uint8_t> prog = {kActionVersion, 0, 2, 0, uint8_t(ActionOp::PUSH_VLAN), 0, 4, 0, 0x00, 0x81, 5, 0,
                               uint8_t(ActionOp::OUTPUT), 0, 4, 0, 2, 0, 0, 0};
  uint32_t growth = 0;
  CHECK(ActionExecutor::single_output(ByteView(prog.data(), prog.size()), &growth));
  CHECK_EQ(growth, 4u);
  FlowKey mask{};
  mask.in_port = 0xffffffff;
  std::vector<uint8_t> outs[2];
  for (int mode = 0; mode < 2; mode++) {
    Datapath dp{DatapathConfig()};
    OwnedBatch in(16, 16384), out(32, 32768);
    fill(in);
    FlowKey key{};
    key.in_port = 1;
    CHECK(dp.cache().install(key, mask, ByteView(prog.data(), prog.size()), 0) == Status::OK);
    std::vector<uint32_t> misses, origin, cookies, inplace;
    uint32_t ticket = 0, next = 0;
    CHECK(dp.classify(in.b, &misses, &ticket) == Status::OK);
    CHECK(misses.empty());
    if (mode == 0) {
      CHECK(dp.execute_in_place(ticket, in.b, nullptr, 0, Answers(), &next, &origin, &cookies, &inplace) == Status::OK);
      CHECK_EQ(next, in.b.count());
      CHECK(origin.empty());
      for (uint32_t i : inplace) {
        CHECK_EQ(in.b.u32(COL_NEXT)[i], 2u);
        MutByteView p = in.b.packet(i);
        outs[0].insert(outs[0].end(), p.data(), p.data() + p.size());
      }
      uint32_t live = 0;
      for (uint32_t i = 0; i < in.b.count(); i++) live += in.b.u16(COL_DROP)[i] == 0;
      CHECK_EQ(uint32_t(inplace.size()), live);
      CHECK(live >= 8);  // every frame but the truncated one (and the VXLAN one if its inner frame is short)
    } else {
      CHECK(dp.execute(ticket, in.b, out.b, 0, Answers(), &next, &origin, &cookies) == Status::OK);
      for (uint32_t j = 0; j < out.b.count(); j++) {
        MutByteView p = out.b.packet(j);
        outs[1].insert(outs[1].end(), p.data(), p.data() + p.size());
      }
    }
  }
  CHECK(!outs[0].empty());
  CHECK(outs[0] == outs[1]);
}

TEST(in_place_stops_where_an_output_batch_is_needed) {
  // clone(3),2 has two outputs: without an output batch execution stops there.
  std::vector<uint8_t> inner = {kActionVersion, 0, 1, 0, uint8_t(ActionOp::OUTPUT), 0, 4, 0, 3, 0, 0, 0};
  std::vector<uint8_t> prog = {kActionVersion, 0, 2, 0, uint8_t(ActionOp::CLONE), 0, uint8_t(inner.size()), 0};
  prog.insert(prog.end(), inner.begin(), inner.end());
  prog.insert(prog.end(), {uint8_t(ActionOp::OUTPUT), 0, 4, 0, 2, 0, 0, 0});
  Datapath dp{DatapathConfig()};
  OwnedBatch in(16, 16384), out(32, 32768);
  fill(in);
  FlowKey key{}, mask{};
  key.in_port = 1;
  mask.in_port = 0xffffffff;
  CHECK(dp.cache().install(key, mask, ByteView(prog.data(), prog.size()), 0) == Status::OK);
  std::vector<uint32_t> misses, origin, cookies, inplace;
  uint32_t ticket = 0, next = 0;
  CHECK(dp.classify(in.b, &misses, &ticket) == Status::OK);
  CHECK(dp.execute_in_place(ticket, in.b, nullptr, 0, Answers(), &next, &origin, &cookies, &inplace) == Status::OK);
  CHECK_EQ(next, 0u);
  CHECK(inplace.empty());
  CHECK(dp.execute_in_place(ticket, in.b, &out.b, next, Answers(), &next, &origin, &cookies, &inplace) == Status::OK);
  CHECK_EQ(next, in.b.count());
  uint32_t live = 0;
  for (uint32_t i = 0; i < in.b.count(); i++) live += in.b.u16(COL_DROP)[i] == 0;
  CHECK_EQ(out.b.count(), 2 * live);
  CHECK(inplace.empty());
}

// tnl_push(vxlan),2 with the template src/tunnel/template.ts builds for the
// datapath bench (192.0.2.1 -> 192.0.2.2, VNI 5001, OVS source port range).
std::vector<uint8_t> vxlan_output_program() {
  static const char kTemplate[] =
      "56535431010200000001000032000e0022002a00ffff008048ee000000000000020000000002020000000001080045000000000000"
      "004011f6e9c0000201c0000202000012b500000000080000000013890000000000000000000000000000000000000000000000000000"
      "000000000000000000000000000000000000000000000000";
  std::vector<uint8_t> prog = {kActionVersion, 0, 2, 0, uint8_t(ActionOp::TNL_PUSH), 0, uint8_t(kTnlPushArgSize), 0,
                               100, 0, 0, 0};
  for (size_t k = 0; k < sizeof(TunnelTemplate); k++) {
    unsigned v = 0;
    std::sscanf(kTemplate + 2 * k, "%2x", &v);
    prog.push_back(uint8_t(v));
  }
  prog.insert(prog.end(), {uint8_t(ActionOp::OUTPUT), 0, 4, 0, 2, 0, 0, 0});
  return prog;
}

namespace {

// What two batches of frames() become under `prog`: installed as a flow
// (install) or given as every miss's upcall answer, executed in place.
struct TnlRun {
  std::vector<uint32_t> columns;
  std::vector<uint8_t> bytes;
  DatapathStats stats;
  size_t in_place = 0;
};

TnlRun run_program(const std::vector<uint8_t>& prog, bool install) {
  TnlRun r;
  ByteView pv(prog.data(), prog.size());
  Datapath dp{DatapathConfig()};
  FlowKey key{}, mask{};
  key.in_port = 1;
  mask.in_port = 0xffffffff;
  if (install) CHECK(dp.cache().install(key, mask, pv, 0) == Status::OK);
  for (int rep = 0; rep < 2; rep++) {
    OwnedBatch in(16, 16384);
    fill(in);
    std::vector<uint32_t> misses, origin, cookies, inplace;
    uint32_t ticket = 0, next = 0;
    CHECK(dp.classify(in.b, &misses, &ticket) == Status::OK);
    CHECK(install ? misses.empty() : !misses.empty());
    std::vector<uint8_t> answer_bytes;
    std::vector<uint32_t> offsets = {0};
    for (size_t k = 0; k < misses.size(); k++) {
      answer_bytes.insert(answer_bytes.end(), prog.begin(), prog.end());
      offsets.push_back(uint32_t(answer_bytes.size()));
    }
    Answers a{answer_bytes.data(), offsets.data(), misses.data(), uint32_t(misses.size())};
    CHECK(dp.execute_in_place(ticket, in.b, nullptr, 0, a, &next, &origin, &cookies, &inplace) == Status::OK);
    CHECK_EQ(next, in.b.count());
    r.in_place += inplace.size();
    for (uint32_t i = 0; i < in.b.count(); i++) {
      for (Column c : {COL_OFFSET, COL_LENGTH, COL_WIRE_LENGTH, COL_FLAGS, COL_HASH, COL_NEXT}) r.columns.push_back(in.b.u32(c)[i]);
      for (Column c : {COL_DROP, COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4})
        r.columns.push_back(in.b.u16(c)[i]);
      MutByteView p = in.b.packet(i);
      r.bytes.insert(r.bytes.end(), p.data(), p.data() + p.size());
    }
  }
  r.stats = dp.stats();
  return r;
}

void check_same(const TnlRun& x, const TnlRun& y) {
  CHECK(x.columns == y.columns);
  CHECK(x.bytes == y.bytes);
  CHECK_EQ(x.stats.executed, y.stats.executed);
  CHECK_EQ(x.stats.outputs, y.stats.outputs);
  CHECK_EQ(x.stats.dropped, y.stats.dropped);
  CHECK_EQ(x.in_place, y.in_place);
}

// clone(prog's actions): OVS's usual datapath form of a tunnel output.
std::vector<uint8_t> in_clone(const std::vector<uint8_t>& prog) {
  std::vector<uint8_t> out = {kActionVersion, 0, 1, 0, uint8_t(ActionOp::CLONE), 0, uint8_t(prog.size() & 0xff), uint8_t(prog.size() >> 8)};
  out.insert(out.end(), prog.begin(), prog.end());
  return out;
}

}  // namespace

TEST(decoded_tnl_push_output_flow_matches_the_action_loop) {
  // An installed tnl_push,output flow runs decoded (Megaflow::tnl_output);
  // the same program as an upcall answer runs through the action loop. Over
  // two batches (the outer IPv4 ID counters move on), every byte, column,
  // drop and counter must agree.
  std::vector<uint8_t> prog = vxlan_output_program();
  ByteView pv(prog.data(), prog.size());
  CHECK(action_program_validate(pv) == Status::OK);
  TnlOutputProgram decoded;
  CHECK(tnl_output_program(pv, &decoded));
  CHECK_EQ(decoded.out_port, 2u);
  CHECK_EQ(decoded.push.port, 100u);
  std::vector<uint8_t> vlan_prog = {kActionVersion, 0, 2, 0, uint8_t(ActionOp::PUSH_VLAN), 0, 4, 0, 0x00, 0x81, 5, 0,
                                    uint8_t(ActionOp::OUTPUT), 0, 4, 0, 2, 0, 0, 0};
  CHECK(!tnl_output_program(ByteView(vlan_prog.data(), vlan_prog.size()), &decoded));
  TnlRun installed = run_program(prog, true);
  CHECK(installed.in_place >= 16);
  check_same(installed, run_program(prog, false));
}

TEST(a_trailing_clone_runs_on_the_packet_itself) {
  // clone(tnl_push,output) as the only action (what OVS's translation
  // gives for a tunnel output) is single-output: it runs in place, decoded
  // when installed, with the bytes of the unwrapped program.
  std::vector<uint8_t> plain = vxlan_output_program();
  std::vector<uint8_t> wrapped = in_clone(plain);
  ByteView wv(wrapped.data(), wrapped.size());
  CHECK(action_program_validate(wv) == Status::OK);
  uint32_t growth = 0;
  CHECK(ActionExecutor::single_output(wv, &growth));
  CHECK_EQ(growth, 50u);
  TnlOutputProgram decoded;
  CHECK(tnl_output_program(wv, &decoded));
  CHECK_EQ(decoded.out_port, 2u);
  // a clone that is not the last action still copies
  std::vector<uint8_t> two = wrapped;
  two[2] = 2;
  two.insert(two.end(), {uint8_t(ActionOp::OUTPUT), 0, 4, 0, 3, 0, 0, 0});
  CHECK(action_program_validate(ByteView(two.data(), two.size())) == Status::OK);
  CHECK(!ActionExecutor::single_output(ByteView(two.data(), two.size()), &growth));
  TnlRun reference = run_program(plain, false);
  check_same(reference, run_program(wrapped, true));
  check_same(reference, run_program(wrapped, false));
}

TEST(a_failed_push_inside_the_trailing_clone_names_its_reason_on_every_path) {
  // A 10-byte frame: the encap cannot read its Ethernet header. Whether the
  // program is tnl_push,output or clone(tnl_push,output), and whether it runs
  // in place, decoded, on a copy in the output batch or on the clone's
  // scratch copy (an output batch with too little headroom), the packet is
  // dropped as truncated_ethernet, as OVS counts the cloned packet's drop.
  std::vector<uint8_t> plain = vxlan_output_program();
  std::vector<uint8_t> wrapped = in_clone(plain);
  ByteView pv(plain.data(), plain.size()), wv(wrapped.data(), wrapped.size());
  TnlOutputProgram decoded;
  CHECK(tnl_output_program(wv, &decoded));
  const uint8_t runt[10] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0};
  const uint16_t want = uint16_t(DropReason::TRUNCATED_ETHERNET);
  auto one = [&](OwnedBatch& b) { CHECK(b.b.append(runt, sizeof runt, sizeof runt, 0, 0, 1) == Status::OK); };
  ActionExecutor exec;
  ExecResult res;
  for (ByteView prog : {pv, wv}) {
    OwnedBatch in(2, 4096);
    one(in);
    CHECK(exec.execute_in_place(in.b, 0, prog, 50, &res) == Status::OK);
    CHECK_EQ(res.drop, want);
    CHECK_EQ(res.outputs, 0u);
    OwnedBatch copy_in(2, 4096), out(2, 4096, 128), small(2, 4096, 16);
    one(copy_in);
    CHECK(exec.execute(copy_in.b, 0, prog, out.b, &res) == Status::OK);  // the copy in the output batch
    CHECK_EQ(res.drop, want);
    CHECK(exec.execute(copy_in.b, 0, prog, small.b, &res) == Status::OK);  // scratch: 16 bytes of headroom < 50
    CHECK_EQ(res.drop, want);
    CHECK_EQ(out.b.count() + small.b.count(), 0u);
  }
  OwnedBatch in(2, 4096);
  one(in);
  CHECK(exec.execute_tnl_output(in.b, TunnelEncapBatch(in.b), 0, decoded, 50, &res) == Status::OK);
  CHECK_EQ(res.drop, want);
}

TEST_MAIN("datapath_shard")
