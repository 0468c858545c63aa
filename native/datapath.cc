#include "datapath.h"

#include <chrono>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "datapath_shard.h"

namespace vs {

namespace {
constexpr uint32_t kRecircHeadroom = 128;  // room for a tunnel push after recirculation
}  // namespace

uint64_t datapath_cycles() {
#if defined(__x86_64__)
  return __rdtsc();
#else
  return uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count());
#endif
}

Datapath::Datapath(const DatapathConfig& config) : config_(config), cache_(config.cache) {
  rss_layers_.fallback = config.rss_layer;
  rss_layers_.ports = config.rss_ports;
}

void Datapath::count_drop(uint16_t reason) {
  stats_.dropped++;
  if (reason < kDropReasonCount) stats_.drops[reason]++;
}

Status Datapath::classify(const Batch& in, std::vector<uint32_t>* misses, uint32_t* ticket) {
  return classify_at(in, 0, UINT32_MAX, misses, ticket);
}

Status Datapath::classify_shard(const Batch& in, const ShardFilter& filter, std::vector<uint32_t>* misses,
                                uint32_t* ticket) {
  if (!filter.table) return classify_at(in, 0, UINT32_MAX, misses, ticket);
  return classify_at(in, 0, UINT32_MAX, misses, ticket, &filter);
}

Status Datapath::classify_recirc(const Batch& in, uint32_t depth, uint32_t max_epoch, std::vector<uint32_t>* misses,
                                 uint32_t* ticket) {
  if (depth == 0) return Status::BAD_ARGUMENT;
  return classify_at(in, depth, max_epoch, misses, ticket);
}

Status Datapath::classify_at(const Batch& in, uint32_t depth, uint32_t max_epoch, std::vector<uint32_t>* misses,
                             uint32_t* ticket, const ShardFilter* filter) {
  uint64_t t0 = datapath_cycles();
  uint32_t n = in.count();
  Pending p;
  p.count = n;
  p.depth = depth;
  p.flows.resize(n);
  p.answer.assign(n, -1);
  const uint32_t* hash = in.u32(COL_HASH);
  uint32_t own = n;
  if (filter) {
    if (!link_type_supported(config_.link_type)) return Status::BAD_ARGUMENT;
    own = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (!in.packet_valid(i) || filter->table[hash[i] % kShardTableSize] != filter->self) {
        p.answer[i] = kForeign;
        continue;
      }
      parse_packet(in, i, config_.link_type, config_.parse, nullptr);
      own++;
    }
  } else {
    Status st = parse_batch(in, config_.link_type, config_.parse);
    if (st != Status::OK) return st;
    rss_hash_batch(in, rss_layers_);
  }
  if (depth == 0) {
    const uint32_t* flags = in.u32(COL_FLAGS);
    for (uint32_t i = 0; i < n; i++)
      if ((flags[i] & FLAG_MALFORMED) && p.answer[i] != kForeign) stats_.malformed++;
  }
  cache_.tick();
  if (pending_.empty()) cache_.release_retired();
  const uint16_t* drop = in.u16(COL_DROP);
  const uint32_t epoch_limit = depth == 0 ? UINT32_MAX : max_epoch;
  for (uint32_t i = 0; i < n; i++) {
    if (drop[i] != 0 || p.answer[i] == kForeign) continue;
    if (!config_.cache_enabled) {
      misses->push_back(i);
      continue;
    }
    CacheLevel level;
    p.flows[i] = cache_.lookup_epoch(*in.key(i), hash[i], &level, epoch_limit);
    if (!p.flows[i]) misses->push_back(i);
  }
  stats_.packets += own;
  stats_.batches++;
  stats_.upcalls += misses->size();
  *ticket = next_ticket_++;
  if (next_ticket_ == 0) next_ticket_ = 1;
  pending_[*ticket] = std::move(p);
  stats_.cycles += datapath_cycles() - t0;
  return Status::OK;
}

Status Datapath::execute(uint32_t ticket, const Batch& in, const Batch& out, uint32_t start, const Answers& answers,
                         uint32_t* next, std::vector<uint32_t>* origin, std::vector<uint32_t>* cookies) {
  return run_execute(ticket, in, &out, start, answers, next, origin, cookies, nullptr);
}

Status Datapath::execute_in_place(uint32_t ticket, const Batch& in, const Batch* out, uint32_t start,
                                  const Answers& answers, uint32_t* next, std::vector<uint32_t>* origin,
                                  std::vector<uint32_t>* cookies, std::vector<uint32_t>* inplace) {
  return run_execute(ticket, in, out, start, answers, next, origin, cookies, inplace);
}

Status Datapath::run_execute(uint32_t ticket, const Batch& in, const Batch* outp, uint32_t start,
                             const Answers& answers, uint32_t* next, std::vector<uint32_t>* origin,
                             std::vector<uint32_t>* cookies, std::vector<uint32_t>* inplace) {
  uint64_t t0 = datapath_cycles();
  auto it = pending_.find(ticket);
  if (it == pending_.end()) return Status::BAD_ARGUMENT;
  Pending& p = it->second;
  if (p.count != in.count() || start > p.count) return Status::BAD_ARGUMENT;
  for (uint32_t k = 0; k < answers.count; k++) {
    uint32_t i = answers.index[k];
    if (i >= p.count || answers.offsets[k] > answers.offsets[k + 1] || p.answer[i] == kForeign)
      return Status::BAD_ARGUMENT;
    p.answer[i] = int32_t(k);
  }
  uint16_t* drop = in.u16(COL_DROP);
  const uint32_t* offset = in.u32(COL_OFFSET);
  const uint32_t* slot_start = in.u32(COL_SLOT_START);
  const uint32_t* length = in.u32(COL_LENGTH);
  const TunnelEncapBatch enc(in);  // for flows decoded as tnl_push,output (Megaflow::tnl_output)
  if (inplace) inplace->reserve(inplace->size() + (p.count - start));
  uint32_t i = start;
  for (; i < p.count; i++) {
    if (p.answer[i] == kForeign) continue;
    if (drop[i] != 0) {
      count_drop(drop[i]);
      continue;
    }
    ByteView prog;
    Megaflow* f = p.flows[i];
    bool single = false;
    uint32_t growth = 0;
    if (f) {
      prog = ByteView(f->actions.data(), f->actions.size());
      single = f->in_place;
      growth = f->growth;
    } else if (p.answer[i] >= 0) {
      uint32_t k = uint32_t(p.answer[i]);
      prog = ByteView(answers.bytes + answers.offsets[k], answers.offsets[k + 1] - answers.offsets[k]);
      if (action_program_validate(prog) != Status::OK) {
        drop[i] = uint16_t(DropReason::BAD_ACTION_PROGRAM);
        count_drop(drop[i]);
        continue;
      }
      single = inplace && ActionExecutor::single_output(prog, &growth);
    } else {
      drop[i] = uint16_t(DropReason::UPCALL_FAILED);
      count_drop(drop[i]);
      continue;
    }
    ExecResult res;
    if (inplace && single && offset[i] >= slot_start[i] + growth) {
      uint32_t bytes = length[i];  // before the run grows the packet
      Status st = f && f->tnl_output ? exec_.execute_tnl_output(in, enc, i, *f->tnl_output, growth, &res)
                                     : exec_.execute_in_place(in, i, prog, growth, &res);
      if (st != Status::OK) {
        drop[i] = uint16_t(DropReason::TRUNCATED_CAPTURE);
        count_drop(drop[i]);
        continue;
      }
      if (res.outputs > 0) inplace->push_back(i);
      stats_.executed++;
      stats_.outputs += res.outputs;
      if (f) {
        f->packets++;
        f->bytes += bytes;
      }
      if (res.drop != 0) {
        drop[i] = res.drop;
        count_drop(res.drop);
      }
      continue;
    }
    if (!outp) break;  // needs an output batch: the caller continues at *next with one
    const Batch& out = *outp;
    uint32_t before = out.count();
    if (recirc_mem_.empty() && grow_recirc() != Status::OK) return Status::BATCH_FULL;
    uint32_t rbefore = recirc_.count();
    Status st = exec_.execute(in, i, prog, out, &res, cookies, &recirc_, p.depth);
    if (st == Status::OUTPUT_FULL) {
      // Maybe the recirculation batch is the one that is full: grow it and retry once.
      uint32_t rest = recirc_.header().capacity - recirc_.count();
      uint32_t room = recirc_.header().data_size - recirc_.header().data_used;
      if ((rest < 8 || room < 2 * 65536 + 1024) && grow_recirc() == Status::OK)
        st = exec_.execute(in, i, prog, out, &res, cookies, &recirc_, p.depth);
    }
    if (st == Status::OUTPUT_FULL) break;  // the caller continues at *next with another batch
    if (st != Status::OK) {
      drop[i] = uint16_t(DropReason::TRUNCATED_CAPTURE);
      count_drop(drop[i]);
      continue;
    }
    for (uint32_t j = before; j < out.count(); j++) origin->push_back(i);
    stats_.executed++;
    stats_.outputs += res.outputs;
    stats_.userspace += res.userspace;
    stats_.recirculated += res.recirc;
    for (uint32_t r = rbefore; r < recirc_.count(); r++) recirc_origin_.push_back(i);
    if (f) {
      f->packets++;
      f->bytes += length[i];
    }
    if (res.drop != 0) {
      drop[i] = res.drop;
      count_drop(res.drop);
    }
  }
  *next = i;
  if (i >= p.count) {
    pending_.erase(it);
    if (pending_.empty()) cache_.release_retired();
  }
  stats_.cycles += datapath_cycles() - t0;
  return Status::OK;
}

Status Datapath::grow_recirc() {
  uint32_t cap = recirc_mem_.empty() ? 64 : recirc_.header().capacity * 2;
  uint64_t data = recirc_mem_.empty() ? uint64_t(4) * 65536 : uint64_t(recirc_.header().data_size) * 2;
  if (data > 0xFFFFFFFFull / 2) return Status::BATCH_FULL;
  BatchLayout layout;
  if (batch_layout(cap, uint32_t(data), &layout) != Status::OK) return Status::BATCH_FULL;
  std::vector<uint64_t> mem((layout.total_size + 7) / 8);
  auto* bytes = reinterpret_cast<uint8_t*>(mem.data());
  if (batch_init(bytes, layout.total_size, cap, uint32_t(data), kRecircHeadroom, 64) != Status::OK) return Status::BATCH_FULL;
  Batch grown;
  if (Batch::open(bytes, layout.total_size, &grown) != Status::OK) return Status::BATCH_FULL;
  for (uint32_t k = 0; k < (recirc_mem_.empty() ? 0 : recirc_.count()); k++) {
    uint32_t j;
    if (ActionExecutor::copy_packet(recirc_, k, grown, &j) != Status::OK) return Status::BATCH_FULL;
  }
  recirc_mem_ = std::move(mem);
  recirc_ = grown;
  return Status::OK;
}

void Datapath::take_recirc(std::vector<uint8_t>* bytes, std::vector<uint32_t>* origin) {
  bytes->clear();
  origin->clear();
  if (recirc_mem_.empty() || recirc_.count() == 0) return;
  uint32_t n = recirc_.count();
  uint32_t data = recirc_.header().data_used;
  BatchLayout layout;
  batch_layout(n, data, &layout);
  bytes->assign(layout.total_size, 0);
  Batch b;
  batch_init(bytes->data(), layout.total_size, n, data, kRecircHeadroom, 64);
  Batch::open(bytes->data(), layout.total_size, &b);
  for (uint32_t k = 0; k < n; k++) {
    uint32_t j;
    ActionExecutor::copy_packet(recirc_, k, b, &j);
  }
  origin->swap(recirc_origin_);
  recirc_origin_.clear();
  recirc_.header().count = 0;
  recirc_.header().data_used = 0;
}

}  // namespace vs
