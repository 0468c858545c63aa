// Flow cache: EMC and megaflow levels, masks, replacement, eviction of the
// least recently used flows, version invalidation. Keys are filled by hand.
#include "flow_cache.h"

#include <vector>

#include "action.h"
#include "check.h"

using namespace vs;

namespace {
std::vector<uint8_t> out_prog(uint8_t port) { return {kActionVersion, 0, 1, 0, uint8_t(ActionOp::OUTPUT), 0, 4, 0, port, 0, 0, 0}; }
ByteView view(const std::vector<uint8_t>& v) { return ByteView(v.data(), v.size()); }
FlowKey key(uint32_t in_port, uint16_t tp_dst) {
  FlowKey k{};
  k.in_port = in_port;
  k.dl_type = 0x0800;
  k.nw_proto = 6;
  k.tp_dst = tp_dst;
  return k;
}
FlowKey in_port_mask() {
  FlowKey m{};
  m.in_port = 0xffffffff;
  return m;
}
}  // namespace

TEST(miss_install_megaflow_then_emc) {
  FlowCache c;
  CacheLevel lvl;
  CHECK(c.lookup(key(1, 80), &lvl) == nullptr);
  CHECK(lvl == CacheLevel::MISS);
  auto p = out_prog(2);
  CHECK(c.install(key(1, 80), in_port_mask(), view(p), 0) == Status::OK);
  Megaflow* f = c.lookup(key(1, 443), &lvl);  // other port, same megaflow
  CHECK(f != nullptr && lvl == CacheLevel::MEGAFLOW);
  CHECK(f->actions == p);
  CHECK(c.lookup(key(1, 443), &lvl) == f && lvl == CacheLevel::EMC);
  CHECK(c.lookup(key(2, 443), &lvl) == nullptr);
  CHECK_EQ(c.stats().emc_hits, 1u);
  CHECK_EQ(c.stats().megaflow_hits, 1u);
  CHECK_EQ(c.stats().misses, 2u);
  CHECK_EQ(c.stats().installs, 1u);
}

TEST(epoch_filter_hides_later_installs) {
  // A flow installed at epoch 5 is absent for lookups limited to epoch 4
  // (counted as a miss, not a hit) and present from epoch 5 on, in both levels.
  FlowCache c;
  CacheLevel lvl;
  auto p = out_prog(2);
  CHECK(c.install(key(1, 80), in_port_mask(), view(p), 0, 5) == Status::OK);
  CHECK(c.lookup_ref(key(1, 80), &lvl, 4) == nullptr);
  CHECK(lvl == CacheLevel::MISS);
  CHECK_EQ(c.stats().misses, 1u);
  CHECK_EQ(c.stats().megaflow_hits, 0u);
  // The filtered megaflow lookup still filled the EMC (its entry is filtered the same way).
  CHECK(c.lookup_ref(key(1, 80), &lvl, 5) != nullptr);
  CHECK(lvl == CacheLevel::EMC);
  CHECK(c.lookup_ref(key(1, 80), &lvl, 4) == nullptr);  // the EMC entry is filtered too
  CHECK_EQ(c.stats().emc_hits, 1u);
  CHECK_EQ(c.stats().misses, 2u);
  CHECK(c.lookup_ref(key(1, 80), &lvl) != nullptr && lvl == CacheLevel::EMC);  // unfiltered
}

TEST(invalid_program_refused) {
  FlowCache c;
  std::vector<uint8_t> bad = {9, 9};
  CHECK(c.install(key(1, 1), in_port_mask(), view(bad), 0) == Status::BAD_ARGUMENT);
  CHECK_EQ(c.flow_count(), 0u);
}

TEST(reinstall_replaces_actions_and_emc_follows) {
  FlowCache c;
  CacheLevel lvl;
  c.install(key(1, 80), in_port_mask(), view(out_prog(2)), 0);
  c.lookup(key(1, 80), &lvl);
  c.install(key(1, 99), in_port_mask(), view(out_prog(3)), 0);
  CHECK_EQ(c.flow_count(), 1u);
  CHECK_EQ(c.stats().replaced, 1u);
  Megaflow* f = c.lookup(key(1, 80), &lvl);
  CHECK(lvl == CacheLevel::EMC && f->actions == out_prog(3));
}

TEST(two_masks_two_subtables) {
  FlowCache c;
  FlowKey m2{};
  m2.in_port = 0xffffffff;
  m2.tp_dst = 0xffff;
  c.install(key(1, 80), m2, view(out_prog(2)), 0);
  c.install(key(2, 0), in_port_mask(), view(out_prog(3)), 0);
  CHECK_EQ(c.subtable_count(), 2u);
  CacheLevel lvl;
  CHECK(c.lookup(key(1, 80), &lvl)->actions == out_prog(2));
  CHECK(c.lookup(key(1, 81), &lvl) == nullptr);
  CHECK(c.lookup(key(2, 81), &lvl)->actions == out_prog(3));
}

TEST(eviction_removes_least_recently_used) {
  FlowCacheConfig cfg;
  cfg.max_flows = 16;
  cfg.emc_entries = 0;
  FlowCache c(cfg);
  for (uint32_t p = 0; p < 16; p++) c.install(key(p, 0), in_port_mask(), view(out_prog(1)), 0);
  CacheLevel lvl;
  c.tick();
  for (uint32_t p = 2; p < 16; p++) CHECK(c.lookup(key(p, 0), &lvl) != nullptr);  // ports 0 and 1 idle
  c.tick();
  c.install(key(100, 0), in_port_mask(), view(out_prog(1)), 0);
  CHECK_EQ(c.stats().evictions, 2u);  // one eighth of 16
  CHECK_EQ(c.flow_count(), 15u);
  CHECK(c.lookup(key(0, 0), &lvl) == nullptr);
  CHECK(c.lookup(key(1, 0), &lvl) == nullptr);
  CHECK(c.lookup(key(2, 0), &lvl) != nullptr);
  CHECK(c.lookup(key(100, 0), &lvl) != nullptr);
}

TEST(emc_never_returns_evicted_flow) {
  FlowCacheConfig cfg;
  cfg.max_flows = 8;
  FlowCache c(cfg);
  CacheLevel lvl;
  c.install(key(0, 0), in_port_mask(), view(out_prog(1)), 0);
  CHECK(c.lookup(key(0, 0), &lvl) != nullptr);
  CHECK(c.lookup(key(0, 0), &lvl) != nullptr && lvl == CacheLevel::EMC);
  c.tick();
  for (uint32_t p = 1; p < 9; p++) {
    c.install(key(p, 0), in_port_mask(), view(out_prog(1)), 0);
    c.tick();
  }
  CHECK(c.lookup(key(0, 0), &lvl) == nullptr);
}

TEST(version_change_flushes_and_refuses_stale_installs) {
  FlowCache c;
  CacheLevel lvl;
  c.install(key(1, 0), in_port_mask(), view(out_prog(1)), 0);
  CHECK(c.lookup(key(1, 0), &lvl) != nullptr);
  c.set_version(1);
  CHECK_EQ(c.flow_count(), 0u);
  CHECK(c.lookup(key(1, 0), &lvl) == nullptr);
  c.install(key(1, 0), in_port_mask(), view(out_prog(1)), 0);  // stale answer
  CHECK_EQ(c.flow_count(), 0u);
  CHECK_EQ(c.stats().stale_installs, 1u);
  c.install(key(1, 0), in_port_mask(), view(out_prog(1)), 1);
  CHECK(c.lookup(key(1, 0), &lvl) != nullptr);
}

TEST_MAIN("flow_cache")
