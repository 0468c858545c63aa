#include "flow_cache.h"

#include <algorithm>
#include <cstring>

#include "action.h"

namespace vs {
namespace {
constexpr size_t kWords = sizeof(FlowKey) / 8;

const uint64_t* words(const FlowKey& k) { return reinterpret_cast<const uint64_t*>(&k); }
}  // namespace

uint64_t flow_key_hash(const FlowKey& k) {
  const uint64_t* w = words(k);
  uint64_t h = 0x243f6a8885a308d3ull;
  for (size_t i = 0; i < kWords; i++) {
    h ^= w[i];
    h *= 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  h ^= h >> 32;
  return h;
}

void flow_key_mask(const FlowKey& k, const FlowKey& mask, FlowKey* out) {
  const uint64_t* a = words(k);
  const uint64_t* m = words(mask);
  uint64_t* o = reinterpret_cast<uint64_t*>(out);
  for (size_t i = 0; i < kWords; i++) o[i] = a[i] & m[i];
}

bool flow_key_equal(const FlowKey& a, const FlowKey& b) { return std::memcmp(&a, &b, sizeof(FlowKey)) == 0; }

FlowCache::FlowCache(const FlowCacheConfig& config) : config_(config) {
  if (config_.max_flows == 0) config_.max_flows = 1;
  uint32_t n = config_.emc_entries;
  if (n & (n - 1)) {  // round down to a power of two
    while (n & (n - 1)) n &= n - 1;
  }
  config_.emc_entries = n;
  emc_.assign(n, EmcEntry{});
}

Megaflow* FlowCache::lookup(const FlowKey& key, CacheLevel* level) {
  uint64_t h = flow_key_hash(key);
  if (!emc_.empty()) {
    uint32_t mask = config_.emc_entries - 1;
    for (uint32_t probe = 0; probe < 2; probe++) {
      EmcEntry& e = emc_[(probe == 0 ? h : h >> 32) & mask];
      if (e.gen != 0 && e.hash == h && flow_key_equal(e.key, key)) {
        Megaflow* f = e.slot < slots_.size() ? slots_[e.slot].get() : nullptr;
        if (f && f->gen == e.gen) {
          stats_.emc_hits++;
          f->used = tick_;
          *level = CacheLevel::EMC;
          return f;
        }
        e.gen = 0;  // flow gone
      }
    }
  }
  FlowKey masked;
  uint64_t probes = 0;
  for (auto& st : subtables_) {
    probes++;
    flow_key_mask(key, st->mask, &masked);
    auto it = st->flows.find(masked);
    if (it != st->flows.end()) {
      Megaflow* f = slots_[it->second].get();
      st->hits++;
      stats_.megaflow_hits++;
      stats_.subtable_lookups += probes;
      f->used = tick_;
      emc_insert(key, h, *f);
      *level = CacheLevel::MEGAFLOW;
      maybe_sort_subtables();
      return f;
    }
  }
  stats_.misses++;
  *level = CacheLevel::MISS;
  return nullptr;
}

MegaflowRef FlowCache::lookup_ref(const FlowKey& key, CacheLevel* level) {
  Megaflow* f = lookup(key, level);
  return f ? slots_[f->slot] : nullptr;
}

MegaflowRef FlowCache::lookup_ref(const FlowKey& key, CacheLevel* level, uint32_t max_epoch) {
  Megaflow* f = lookup(key, level);
  if (f && f->epoch > max_epoch) {
    if (*level == CacheLevel::EMC) stats_.emc_hits--;
    else stats_.megaflow_hits--;
    stats_.misses++;
    *level = CacheLevel::MISS;
    return nullptr;
  }
  return f ? slots_[f->slot] : nullptr;
}

void FlowCache::emc_insert(const FlowKey& key, uint64_t hash, const Megaflow& f) {
  if (emc_.empty()) return;
  uint32_t mask = config_.emc_entries - 1;
  EmcEntry& a = emc_[hash & mask];
  EmcEntry& b = emc_[(hash >> 32) & mask];
  // An empty or stale candidate first, else the first one.
  auto stale = [&](const EmcEntry& e) {
    return e.gen == 0 || e.slot >= slots_.size() || !slots_[e.slot] || slots_[e.slot]->gen != e.gen;
  };
  EmcEntry& e = stale(a) ? a : stale(b) ? b : a;
  e.key = key;
  e.hash = hash;
  e.slot = f.slot;
  e.gen = f.gen;
}

void FlowCache::maybe_sort_subtables() {
  // As OVS's dpcls re-sorts subtables by hit count: most-hit first.
  if (++lookups_since_sort_ < 65536 || subtables_.size() < 2) return;
  lookups_since_sort_ = 0;
  std::stable_sort(subtables_.begin(), subtables_.end(),
                   [](const std::unique_ptr<Subtable>& a, const std::unique_ptr<Subtable>& b) { return a->hits > b->hits; });
  for (auto& st : subtables_) st->hits = 0;
}

Status FlowCache::install(const FlowKey& key, const FlowKey& mask, ByteView actions, uint32_t version, uint32_t epoch) {
  if (action_program_validate(actions) != Status::OK) return Status::BAD_ARGUMENT;
  if (version != version_) {
    stats_.stale_installs++;
    return Status::OK;
  }
  FlowKey masked;
  flow_key_mask(key, mask, &masked);
  Subtable* table = nullptr;
  for (auto& st : subtables_)
    if (flow_key_equal(st->mask, mask)) table = st.get();
  if (table) {
    auto it = table->flows.find(masked);
    if (it != table->flows.end()) {
      Megaflow& f = *slots_[it->second];
      f.actions.assign(actions.data(), actions.data() + actions.size());
      stats_.replaced++;
      return Status::OK;
    }
  }
  if (live_ >= config_.max_flows) {
    evict();
    table = nullptr;  // eviction may remove empty subtables
    for (auto& st : subtables_)
      if (flow_key_equal(st->mask, mask)) table = st.get();
  }
  if (!table) {
    subtables_.push_back(std::make_unique<Subtable>());
    table = subtables_.back().get();
    table->mask = mask;
  }
  auto f = std::make_shared<Megaflow>();
  f->key = masked;
  f->mask = mask;
  f->actions.assign(actions.data(), actions.data() + actions.size());
  f->id = next_id_++;
  f->epoch = epoch;
  f->gen = next_gen_++;
  if (next_gen_ == 0) next_gen_ = 1;
  f->used = tick_;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = uint32_t(slots_.size());
    slots_.emplace_back();
  }
  f->slot = slot;
  slots_[slot] = f;
  table->flows.emplace(masked, slot);
  live_++;
  stats_.installs++;
  return Status::OK;
}

void FlowCache::remove_slot(uint32_t slot) {
  MegaflowRef f = slots_[slot];
  if (!f) return;
  for (auto it = subtables_.begin(); it != subtables_.end(); ++it) {
    if (!flow_key_equal((*it)->mask, f->mask)) continue;
    (*it)->flows.erase(f->key);
    if ((*it)->flows.empty()) subtables_.erase(it);
    break;
  }
  slots_[slot].reset();
  free_slots_.push_back(slot);
  live_--;
}

void FlowCache::evict() {
  std::vector<Megaflow*> all;
  all.reserve(live_);
  for (const MegaflowRef& f : slots_)
    if (f) all.push_back(f.get());
  size_t n = std::max<size_t>(1, all.size() / 8);
  std::nth_element(all.begin(), all.begin() + (n - 1), all.end(), [](Megaflow* a, Megaflow* b) {
    return a->used != b->used ? a->used < b->used : a->id < b->id;
  });
  std::vector<uint32_t> victims;
  for (size_t k = 0; k < n; k++) victims.push_back(all[k]->slot);
  for (uint32_t s : victims) remove_slot(s);
  stats_.evictions += victims.size();
}

void FlowCache::flush() {
  stats_.flushes += live_;
  slots_.clear();
  free_slots_.clear();
  subtables_.clear();
  for (EmcEntry& e : emc_) e.gen = 0;
  live_ = 0;
}

void FlowCache::set_version(uint32_t version) {
  if (version == version_) return;
  version_ = version;
  flush();
}

}  // namespace vs
