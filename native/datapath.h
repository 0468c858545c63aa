// One datapath instance (one per PMD per modelled host): parse -> flow key ->
// flow cache (EMC, megaflow) -> execute the flow's action program. Packets
// that miss are returned to the caller as upcalls; the caller (the slow path,
// on the main thread) answers each with an action program and usually
// installs a megaflow, then asks this datapath to execute the whole batch.
//
// The two-step shape (classify, then execute) keeps outputs in input order:
// a batch's hits and its upcalled packets come out interleaved exactly as
// they came in, and the slow path translates upcalls in input order before
// any of the batch's outputs exist.
//
// classify() also writes COL_HASH (rss.h, the same value the receive side
// used to pick the PMD), so flow hashes (tunnel source ports, IP ID buckets)
// do not depend on the number of PMDs.
//
// Does not: translate, own threads, or keep packets between batches.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "action.h"
#include "batch.h"
#include "drop_reason.h"
#include "flow_cache.h"
#include "parse.h"
#include "rss.h"

namespace vs {

struct DatapathConfig {
  uint32_t link_type = LINK_ETHERNET;
  ParseOptions parse;
  FlowCacheConfig cache;
  bool cache_enabled = true;  // false: every live packet is an upcall (--no-cache)
  RssLayer rss_layer = RssLayer::OUTER;  // COL_HASH written by classify (flow hash for tunnels)
  std::vector<std::pair<uint32_t, RssLayer>> rss_ports;  // per in_port overrides of rss_layer
};

// The receive side's verdict for a batch a PMD shares with others: packet i
// is this datapath's when it is valid and table[COL_HASH[i] % 128] == self
// (COL_HASH already holds the RSS hash, datapath_shard.h). Other packets are
// left alone: not parsed, looked up, executed or counted.
struct ShardFilter {
  const uint8_t* table = nullptr;  // 128 entries (kShardTableSize); null: every packet, hashes computed here
  uint8_t self = 0;
};

struct DatapathStats {
  uint64_t packets = 0;        // packets classified
  uint64_t malformed = 0;      // of them, what the parser called malformed on entry (recirculations not counted)
  uint64_t batches = 0;
  uint64_t upcalls = 0;        // misses returned to the slow path
  uint64_t executed = 0;       // packets run through an action program
  uint64_t outputs = 0;        // packets emitted by OUTPUT actions
  uint64_t userspace = 0;      // USERSPACE actions executed
  uint64_t recirculated = 0;   // packets handed to recirculation (RECIRC)
  uint64_t dropped = 0;        // packets with a drop reason
  uint64_t cycles = 0;         // TSC cycles (ns where no TSC) inside classify + execute
  uint64_t drops[kDropReasonCount] = {};
};

// Upcall answers for one execute() call: answer k is the program bytes
// [offsets[k], offsets[k+1]) and belongs to input packet index[k].
struct Answers {
  const uint8_t* bytes = nullptr;
  const uint32_t* offsets = nullptr;
  const uint32_t* index = nullptr;
  uint32_t count = 0;
};

class Datapath {
 public:
  explicit Datapath(const DatapathConfig& config);

  // Parses every packet (the parser's drops stay marked in COL_DROP), looks
  // live packets up and appends the indices of misses, in input order, to
  // *misses. *ticket names the classified batch for execute(); tickets stay
  // valid until their batch is fully executed or drop_ticket() is called.
  Status classify(const Batch& in, std::vector<uint32_t>* misses, uint32_t* ticket);
  // classify() of this datapath's packets only (ShardFilter), with the hash
  // the receive side left in COL_HASH; execute() skips the others.
  Status classify_shard(const Batch& in, const ShardFilter& filter, std::vector<uint32_t>* misses, uint32_t* ticket);

  // classify() for a batch of recirculated packets (take_recirc): `depth` =
  // recirculations they went through (>= 1), and only flows installed with
  // an epoch <= max_epoch are seen (the rest count as misses), so the lookup
  // does not depend on installs that raced ahead of this batch.
  Status classify_recirc(const Batch& in, uint32_t depth, uint32_t max_epoch, std::vector<uint32_t>* misses,
                         uint32_t* ticket);

  // Packets that RECIRC appended while executing tickets since the last
  // take_recirc() (the datapath owns that batch, growing it as needed), and
  // for each the index of the input packet it came from. Copies them into a
  // fresh batch image `*bytes` (empty when none) and clears the recirculation
  // batch. Each batch of the caller is executed to the end before the next
  // one, so one take per executed ticket keeps the origins unambiguous.
  void take_recirc(std::vector<uint8_t>* bytes, std::vector<uint32_t>* origin);

  // Executes packets [start, count) of a classified batch into `out`: hits
  // with their flow's actions, misses with their answer (a miss without one
  // is dropped as UPCALL_FAILED, an invalid answer as BAD_ACTION_PROGRAM).
  // Drops are marked in the input's COL_DROP and counted. origin[j] receives
  // the input index of each output appended. *next = first packet not done:
  // count() when finished (the ticket is released), less when `out` filled up
  // (call again with a fresh output batch and start = *next; no progress means
  // one packet's outputs exceed the batch).
  Status execute(uint32_t ticket, const Batch& in, const Batch& out, uint32_t start, const Answers& answers,
                 uint32_t* next, std::vector<uint32_t>* origin, std::vector<uint32_t>* cookies);

  // execute() that runs single-output programs in place (ActionExecutor::
  // execute_in_place) when the packet's headroom covers their growth: such a
  // packet's output is the input packet itself (NEXT = port), and its index
  // goes to *inplace (not to an output batch or *origin). `out` may be null: execution
  // then stops (*next) at the first packet that needs an output batch.
  // Outputs in *inplace and in `out` together are in input order. Flows whose
  // actions are exactly tnl_push(...),output run decoded (Megaflow::tnl_output,
  // ActionExecutor::execute_tnl_output): the same results without the action loop.
  Status execute_in_place(uint32_t ticket, const Batch& in, const Batch* out, uint32_t start, const Answers& answers,
                          uint32_t* next, std::vector<uint32_t>* origin, std::vector<uint32_t>* cookies,
                          std::vector<uint32_t>* inplace);

  void drop_ticket(uint32_t ticket) {
    pending_.erase(ticket);
    if (pending_.empty()) cache_.release_retired();
  }
  size_t pending_tickets() const { return pending_.size(); }

  FlowCache& cache() { return cache_; }
  const DatapathConfig& config() const { return config_; }
  const DatapathStats& stats() const { return stats_; }
  void clear_stats() {
    stats_ = DatapathStats();
    cache_.clear_stats();
  }

 private:
  struct Pending {
    uint32_t count = 0;
    uint32_t depth = 0;              // recirculations behind this batch's packets
    std::vector<Megaflow*> flows;    // null for misses and parser drops (retired flows stay valid while pending)
    std::vector<int32_t> answer;     // per packet: index into Answers, -1 none (filled in execute), kForeign: not ours
  };
  void count_drop(uint16_t reason);
  static constexpr int32_t kForeign = -2;
  Status classify_at(const Batch& in, uint32_t depth, uint32_t max_epoch, std::vector<uint32_t>* misses,
                     uint32_t* ticket, const ShardFilter* filter = nullptr);
  Status grow_recirc();
  Status run_execute(uint32_t ticket, const Batch& in, const Batch* out, uint32_t start, const Answers& answers,
                     uint32_t* next, std::vector<uint32_t>* origin, std::vector<uint32_t>* cookies,
                     std::vector<uint32_t>* inplace);

  DatapathConfig config_;
  RssPortLayers rss_layers_;
  FlowCache cache_;
  ActionExecutor exec_;
  std::unordered_map<uint32_t, Pending> pending_;
  uint32_t next_ticket_ = 1;
  DatapathStats stats_;
  std::vector<uint64_t> recirc_mem_;
  Batch recirc_;
  std::vector<uint32_t> recirc_origin_;
};

// A monotonic cycle counter (TSC on x86-64, nanoseconds elsewhere).
uint64_t datapath_cycles();

}  // namespace vs
