// The datapath flow cache, as OVS dpif-netdev has it: an exact-match cache
// (EMC) keyed by the whole flow key in front of a masked "megaflow"
// classifier (one hash table per distinct mask, a "subtable", probed in turn).
// A flow is (mask, masked key, action program); installing a flow with a
// (mask, masked key) already present replaces its actions.
//
// Size limit: at most max_flows megaflows; installing into a full cache first
// evicts the least recently used eighth (ties: oldest install). The EMC holds
// references that eviction and flush invalidate (generation check), never
// dangling pointers. A flow removed by eviction or flush is retired, not
// freed: it stays valid until release_retired(), so a batch that looked it
// up (a raw pointer, no per-packet reference counting) can still execute it;
// the datapath releases them when no classified batch is pending.
//
// Megaflow subtables hash and compare only the 64-bit words of the key their
// mask uses (a mask of in_port and dl_type touches 2 of 18 words), in an
// open-addressing table (linear probing, backward-shift deletion).
//
// Configuration version: set_version() with a new value flushes every flow
// (the slow path's answers were for the old configuration); install() with a
// stale version is refused and counted.
//
// Does not: guarantee that overlapping megaflows resolve by priority (the slow
// path must install non-overlapping masks, as OVS's translation does), or
// revalidate flows against a new configuration.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "action.h"
#include "bytes.h"
#include "flow_key.h"
#include "status.h"

namespace vs {

struct Megaflow {
  FlowKey key;   // already masked
  FlowKey mask;
  std::vector<uint8_t> actions;  // a validated action program
  uint64_t id = 0;               // install order, unique per cache
  uint32_t slot = 0;
  uint32_t gen = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t used = 0;  // the cache's tick when last hit
  uint32_t epoch = 0; // install epoch (the caller's batch clock; a replace keeps the first)
  bool in_place = false;  // ActionExecutor::single_output(actions): may run in the input batch
  uint32_t growth = 0;    // bytes its pushes add (headroom an in-place run needs)
  std::unique_ptr<TnlOutputProgram> tnl_output;  // set when the actions are tnl_push(...),output (tnl_output_program)
};
using MegaflowRef = std::shared_ptr<Megaflow>;

enum class CacheLevel : uint8_t { MISS = 0, EMC = 1, MEGAFLOW = 2 };

struct FlowCacheStats {
  uint64_t emc_hits = 0;
  uint64_t megaflow_hits = 0;
  uint64_t misses = 0;
  uint64_t subtable_lookups = 0;  // subtables probed for megaflow hits
  uint64_t installs = 0;
  uint64_t replaced = 0;          // installs that replaced an existing flow's actions
  uint64_t evictions = 0;
  uint64_t flushes = 0;           // flows removed by flush / version change
  uint64_t stale_installs = 0;    // refused: configuration version changed
};

struct FlowCacheConfig {
  uint32_t max_flows = 65536;
  uint32_t emc_entries = 8192;  // power of two; 0 disables the EMC
};

uint64_t flow_key_hash(const FlowKey& k);
void flow_key_mask(const FlowKey& k, const FlowKey& mask, FlowKey* out);
bool flow_key_equal(const FlowKey& a, const FlowKey& b);

class FlowCache {
 public:
  explicit FlowCache(const FlowCacheConfig& config = FlowCacheConfig());

  // Looks the key up: EMC, then every subtable. Counts the level in stats;
  // a megaflow hit is inserted into the EMC. Null on a miss.
  Megaflow* lookup(const FlowKey& key, CacheLevel* level);
  // The same, returning an owning reference (for deferred execution).
  MegaflowRef lookup_ref(const FlowKey& key, CacheLevel* level);
  // The same, treating flows installed with an epoch above max_epoch as
  // absent (counted as a miss): recirculation lookups see exactly the flows
  // installed up to a given batch, whatever arrived since.
  MegaflowRef lookup_ref(const FlowKey& key, CacheLevel* level, uint32_t max_epoch);

  // The lookup of the datapath's hot path: lookup_ref's filter without the
  // reference (the flow stays valid until release_retired()).
  Megaflow* lookup_epoch(const FlowKey& key, CacheLevel* level, uint32_t max_epoch);
  // The same with the EMC indexed by `rss` (the packet's RSS hash, mixed with
  // in_port and recirc_id) instead of a hash of the whole key, as OVS's EMC
  // uses the packet's RSS hash: the full key is still compared. rss 0 (no
  // hash) falls back to flow_key_hash.
  Megaflow* lookup_epoch(const FlowKey& key, uint32_t rss, CacheLevel* level, uint32_t max_epoch);

  // Frees the flows removed since the last call (no pointer to them may be in use).
  void release_retired() { retired_.clear(); }
  size_t retired_count() const { return retired_.size(); }

  // Installs (key & mask, mask, actions). BAD_ARGUMENT for an invalid action
  // program. Returns OK without installing when `version` is stale.
  Status install(const FlowKey& key, const FlowKey& mask, ByteView actions, uint32_t version, uint32_t epoch = 0);

  // Removes every flow and EMC entry.
  void flush();
  // Sets the configuration version; a change flushes.
  void set_version(uint32_t version);
  uint32_t version() const { return version_; }

  // Advances the LRU clock (once per batch).
  void tick() { tick_++; }

  size_t flow_count() const { return live_; }
  size_t subtable_count() const { return subtables_.size(); }
  const FlowCacheStats& stats() const { return stats_; }
  void clear_stats() { stats_ = FlowCacheStats(); }
  // Calls fn(flow) for each live flow in install order.
  template <typename Fn>
  void for_each(Fn fn) const {
    std::vector<Megaflow*> all;
    for (const MegaflowRef& f : slots_)
      if (f) all.push_back(f.get());
    std::sort(all.begin(), all.end(), [](Megaflow* a, Megaflow* b) { return a->id < b->id; });
    for (Megaflow* f : all) fn(*f);
  }

 private:
  struct Entry {
    uint64_t hash;
    uint32_t slot;  // kEmptySlot when free
  };
  struct Subtable {
    FlowKey mask;
    uint8_t words[sizeof(FlowKey) / 8];  // indices of the mask's non-zero 64-bit words
    uint32_t nwords = 0;
    std::vector<Entry> table;  // power-of-two size, at most half full
    size_t count = 0;
    uint64_t hits = 0;
  };
  struct EmcEntry {
    FlowKey key;
    uint64_t hash;
    uint32_t slot;
    uint32_t gen;  // 0 = empty
  };

  static constexpr uint32_t kEmptySlot = 0xFFFFFFFF;
  uint64_t masked_hash(const Subtable& st, const FlowKey& key) const;
  bool masked_equal(const Subtable& st, const FlowKey& key, const Megaflow& f) const;
  Megaflow* subtable_find(const Subtable& st, const FlowKey& key) const;
  void subtable_insert(Subtable& st, uint32_t slot);
  void subtable_erase(Subtable& st, uint32_t slot);
  Subtable* subtable_for(const FlowKey& mask);
  void emc_insert(const FlowKey& key, uint64_t hash, const Megaflow& f);
  Megaflow* lookup_hashed(const FlowKey& key, uint64_t h, CacheLevel* level);
  void remove_slot(uint32_t slot);
  void evict();
  void maybe_sort_subtables();

  FlowCacheConfig config_;
  std::vector<MegaflowRef> slots_;
  std::vector<MegaflowRef> retired_;
  std::vector<uint32_t> free_slots_;
  std::vector<std::unique_ptr<Subtable>> subtables_;
  std::vector<EmcEntry> emc_;
  size_t live_ = 0;
  uint32_t next_gen_ = 1;
  uint64_t next_id_ = 1;
  uint64_t tick_ = 0;
  uint64_t lookups_since_sort_ = 0;
  uint32_t version_ = 0;
  FlowCacheStats stats_;
};

}  // namespace vs
