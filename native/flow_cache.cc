#include "flow_cache.h"

#include <algorithm>
#include <cstring>

#include "action.h"

namespace vs {
namespace {
constexpr size_t kWords = sizeof(FlowKey) / 8;
constexpr uint64_t kMul1 = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kMul2 = 0xc2b2ae3d27d4eb4full;

const uint64_t* words(const FlowKey& k) { return reinterpret_cast<const uint64_t*>(&k); }

// The decoded form of a validated tnl_push(...),output program, else null.
std::unique_ptr<TnlOutputProgram> compile_tnl_output(ByteView actions) {
  auto prog = std::make_unique<TnlOutputProgram>();
  if (!tnl_output_program(actions, prog.get())) return nullptr;
  return prog;
}

uint64_t finish(uint64_t h) {
  h ^= h >> 32;
  h *= kMul2;
  h ^= h >> 29;
  return h;
}
}  // namespace

uint64_t flow_key_hash(const FlowKey& k) {
  // Two independent multiply chains over the 18 words (half the dependent
  // multiplies of one chain), then a final mix.
  const uint64_t* w = words(k);
  uint64_t a = 0x243f6a8885a308d3ull, b = 0x13198a2e03707344ull;
  for (size_t i = 0; i < kWords; i += 2) {
    a = (a ^ w[i]) * kMul1;
    b = (b ^ w[i + 1]) * kMul2;
    a ^= a >> 29;
    b ^= b >> 31;
  }
  return finish(a ^ (b << 1 | b >> 63));
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

uint64_t FlowCache::masked_hash(const Subtable& st, const FlowKey& key) const {
  const uint64_t* k = words(key);
  const uint64_t* m = words(st.mask);
  uint64_t h = 0x243f6a8885a308d3ull;
  for (uint32_t j = 0; j < st.nwords; j++) {
    uint32_t i = st.words[j];
    h = (h ^ (k[i] & m[i])) * kMul1;
    h ^= h >> 29;
  }
  return finish(h);
}

bool FlowCache::masked_equal(const Subtable& st, const FlowKey& key, const Megaflow& f) const {
  const uint64_t* k = words(key);
  const uint64_t* m = words(st.mask);
  const uint64_t* fk = words(f.key);
  uint64_t diff = 0;
  for (uint32_t j = 0; j < st.nwords; j++) {
    uint32_t i = st.words[j];
    diff |= (k[i] & m[i]) ^ fk[i];
  }
  return diff == 0;
}

Megaflow* FlowCache::subtable_find(const Subtable& st, const FlowKey& key) const {
  if (st.count == 0) return nullptr;
  uint64_t h = masked_hash(st, key);
  size_t mask = st.table.size() - 1;
  for (size_t pos = h & mask;; pos = (pos + 1) & mask) {
    const Entry& e = st.table[pos];
    if (e.slot == kEmptySlot) return nullptr;
    if (e.hash == h) {
      Megaflow* f = slots_[e.slot].get();
      if (masked_equal(st, key, *f)) return f;
    }
  }
}

void FlowCache::subtable_insert(Subtable& st, uint32_t slot) {
  if ((st.count + 1) * 2 > st.table.size()) {
    std::vector<Entry> old;
    old.swap(st.table);
    st.table.assign(old.empty() ? 16 : old.size() * 2, Entry{0, kEmptySlot});
    size_t mask = st.table.size() - 1;
    for (const Entry& e : old) {
      if (e.slot == kEmptySlot) continue;
      size_t pos = e.hash & mask;
      while (st.table[pos].slot != kEmptySlot) pos = (pos + 1) & mask;
      st.table[pos] = e;
    }
  }
  uint64_t h = masked_hash(st, slots_[slot]->key);
  size_t mask = st.table.size() - 1;
  size_t pos = h & mask;
  while (st.table[pos].slot != kEmptySlot) pos = (pos + 1) & mask;
  st.table[pos] = Entry{h, slot};
  st.count++;
}

void FlowCache::subtable_erase(Subtable& st, uint32_t slot) {
  if (st.table.empty()) return;
  uint64_t h = masked_hash(st, slots_[slot]->key);
  size_t mask = st.table.size() - 1;
  size_t pos = h & mask;
  while (st.table[pos].slot != slot) {
    if (st.table[pos].slot == kEmptySlot) return;
    pos = (pos + 1) & mask;
  }
  // Backward-shift deletion: move later entries of the probe run into the hole.
  size_t hole = pos;
  for (size_t next = (hole + 1) & mask; st.table[next].slot != kEmptySlot; next = (next + 1) & mask) {
    size_t home = st.table[next].hash & mask;
    // The entry may move to the hole when its home is not in (hole, next].
    bool movable = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next);
    if (movable) {
      st.table[hole] = st.table[next];
      hole = next;
    }
  }
  st.table[hole] = Entry{0, kEmptySlot};
  st.count--;
}

FlowCache::Subtable* FlowCache::subtable_for(const FlowKey& mask) {
  for (auto& st : subtables_)
    if (flow_key_equal(st->mask, mask)) return st.get();
  return nullptr;
}

Megaflow* FlowCache::lookup(const FlowKey& key, CacheLevel* level) { return lookup_hashed(key, flow_key_hash(key), level); }

Megaflow* FlowCache::lookup_hashed(const FlowKey& key, uint64_t h, CacheLevel* level) {
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
  uint64_t probes = 0;
  for (auto& st : subtables_) {
    probes++;
    Megaflow* f = subtable_find(*st, key);
    if (f) {
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

Megaflow* FlowCache::lookup_epoch(const FlowKey& key, CacheLevel* level, uint32_t max_epoch) {
  return lookup_epoch(key, 0, level, max_epoch);  // rss 0: the EMC by flow_key_hash, as lookup()
}

Megaflow* FlowCache::lookup_epoch(const FlowKey& key, uint32_t rss, CacheLevel* level, uint32_t max_epoch) {
  uint64_t h;
  if (rss == 0) {
    h = flow_key_hash(key);
  } else {
    h = (uint64_t(rss) << 32 | key.in_port) ^ (uint64_t(key.recirc_id) * kMul1);
    h = finish(h * kMul1);
  }
  Megaflow* f = lookup_hashed(key, h, level);
  if (f && f->epoch > max_epoch) {
    if (*level == CacheLevel::EMC) stats_.emc_hits--;
    else stats_.megaflow_hits--;
    stats_.misses++;
    *level = CacheLevel::MISS;
    return nullptr;
  }
  return f;
}

MegaflowRef FlowCache::lookup_ref(const FlowKey& key, CacheLevel* level) {
  Megaflow* f = lookup(key, level);
  return f ? slots_[f->slot] : nullptr;
}

MegaflowRef FlowCache::lookup_ref(const FlowKey& key, CacheLevel* level, uint32_t max_epoch) {
  Megaflow* f = lookup_epoch(key, level, max_epoch);
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
  uint32_t growth = 0;
  bool in_place = ActionExecutor::single_output(actions, &growth);
  Subtable* table = subtable_for(mask);
  if (table) {
    Megaflow* f = subtable_find(*table, masked);
    if (f) {
      f->actions.assign(actions.data(), actions.data() + actions.size());
      f->in_place = in_place;
      f->growth = growth;
      f->tnl_output = compile_tnl_output(actions);
      stats_.replaced++;
      return Status::OK;
    }
  }
  if (live_ >= config_.max_flows) {
    evict();
    table = subtable_for(mask);  // eviction may remove empty subtables
  }
  if (!table) {
    subtables_.push_back(std::make_unique<Subtable>());
    table = subtables_.back().get();
    table->mask = mask;
    const uint64_t* m = words(mask);
    for (size_t i = 0; i < kWords; i++)
      if (m[i] != 0) table->words[table->nwords++] = uint8_t(i);
  }
  auto f = std::make_shared<Megaflow>();
  f->key = masked;
  f->mask = mask;
  f->actions.assign(actions.data(), actions.data() + actions.size());
  f->in_place = in_place;
  f->growth = growth;
  f->tnl_output = compile_tnl_output(actions);
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
  subtable_insert(*table, slot);
  live_++;
  stats_.installs++;
  return Status::OK;
}

void FlowCache::remove_slot(uint32_t slot) {
  MegaflowRef f = slots_[slot];
  if (!f) return;
  for (auto it = subtables_.begin(); it != subtables_.end(); ++it) {
    if (!flow_key_equal((*it)->mask, f->mask)) continue;
    subtable_erase(**it, slot);
    if ((*it)->count == 0) subtables_.erase(it);
    break;
  }
  retired_.push_back(std::move(slots_[slot]));
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
  for (MegaflowRef& f : slots_)
    if (f) retired_.push_back(std::move(f));
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
