// N-API glue of the datapath engine: RSS (rssHashBatch, toeplitzHash), action
// programs (validateActions, executeActions) and the Datapath class
// (classify / execute / process / install / stats / dumpFlows).
#include <cstring>
#include <vector>

#include "action.h"
#include "datapath.h"
#include "datapath_shard.h"
#include "js_util.h"
#include "rss.h"

namespace vs::js {
namespace {

Napi::Uint32Array to_js(Napi::Env env, const std::vector<uint32_t>& v) {
  Napi::Uint32Array a = Napi::Uint32Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * 4);
  return a;
}

Napi::Uint8Array to_js_bytes(Napi::Env env, const void* p, size_t n) {
  Napi::Uint8Array a = Napi::Uint8Array::New(env, n);
  if (n) std::memcpy(a.Data(), p, n);
  return a;
}

Napi::Value rss_hash_batch_js(const Napi::CallbackInfo& info) {
  Batch b = batch_arg(info, 0, "batch");
  uint32_t layer = info.Length() > 1 ? u32_arg(info, 1, "layer") : 0;
  if (layer > 1) throw_status(info.Env(), Status::BAD_ARGUMENT, "rssHashBatch layer (0 outer, 1 inner)");
  rss_hash_batch(b, RssLayer(layer));
  return info.Env().Undefined();
}

Napi::Value toeplitz_hash_js(const Napi::CallbackInfo& info) {
  ByteView key = bytes_arg(info, 0, "key");
  ByteView input = bytes_arg(info, 1, "input");
  if (key.size() < input.size() + 4)
    throw_status(info.Env(), Status::BAD_ARGUMENT, "toeplitzHash: the key must be 4 bytes longer than the input");
  return Napi::Number::New(info.Env(), toeplitz_hash(key.data(), key.size(), input.data(), input.size()));
}

Napi::Value validate_actions_js(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), action_program_validate(bytes_arg(info, 0, "program")) == Status::OK);
}

ActionExecutor& shared_executor() {
  static thread_local ActionExecutor exec;
  return exec;
}

// executeActions(in, index, program, out) -> { outputs, drop, cookies, errors }
Napi::Value execute_actions_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Batch in = batch_arg(info, 0, "in");
  uint32_t i = u32_arg(info, 1, "index");
  ByteView prog = bytes_arg(info, 2, "program");
  Batch out = batch_arg(info, 3, "out");
  if (i >= in.count()) throw_status(env, Status::BAD_ARGUMENT, "executeActions: index beyond the batch");
  if (action_program_validate(prog) != Status::OK) throw_status(env, Status::BAD_ARGUMENT, "executeActions: invalid action program");
  ExecResult res;
  std::vector<uint32_t> cookies;
  Status st = shared_executor().execute(in, i, prog, out, &res, &cookies);
  if (st != Status::OK) throw_status(env, st, "executeActions");
  Napi::Object o = Napi::Object::New(env);
  o.Set("outputs", res.outputs);
  o.Set("drop", res.drop);
  o.Set("cookies", to_js(env, cookies));
  o.Set("errors", res.errors);
  return o;
}

// Per-port RSS layers from a Uint32Array of (port, layer) pairs (rssShard's argument, the Datapath option).
std::vector<std::pair<uint32_t, RssLayer>> rss_ports(Napi::Env env, const Napi::Value& v) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw_type(env, "a Uint32Array of (port, layer) pairs for rssPorts", v);
  Napi::Uint32Array a = v.As<Napi::Uint32Array>();
  if (a.ElementLength() % 2) throw_range(env, "expected (port, layer) pairs for rssPorts, received an odd length");
  std::vector<std::pair<uint32_t, RssLayer>> out;
  for (size_t k = 0; k < a.ElementLength(); k += 2) {
    if (a.Data()[k + 1] > 1) throw_range(env, "expected layer 0 (outer) or 1 (inner) in rssPorts, received " + std::to_string(a.Data()[k + 1]));
    out.emplace_back(a.Data()[k], RssLayer(a.Data()[k + 1]));
  }
  return out;
}

// rssShard(in, linkType, layer, table: Uint8Array(128), shards, keepLargest?, rssPorts?) ->
//   { buffers: (ArrayBuffer | null)[], index: Uint32Array[], invalid: Uint32Array, buckets: Uint32Array(128), kept }
// The receive side in one call: hash (parsing only what the hash needs),
// shard batches of the planned size (the input's headroom and tailroom),
// copies, and the packets per indirection-table entry. With keepLargest, the
// largest shard (kept, -1 when none) is not copied: its buffer is null and
// its PMD works on the input batch (index lists its packets). A shard batch
// goes into the first unused buffer of `spares` (ArrayBuffers the caller no
// longer reads) large enough for it, its header and columns cleared; `spares`
// lists which were used. Without one it gets a new buffer the size of the
// input's, so that it can be a spare for any later shard of such batches.
Napi::Value rss_shard_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Batch in = batch_arg(info, 0, "in");
  uint32_t link_type = u32_arg(info, 1, "linkType");
  uint32_t layer = u32_arg(info, 2, "layer");
  ByteView table = bytes_arg(info, 3, "table");
  uint32_t n = u32_arg(info, 4, "shards");
  if (layer > 1) throw_status(env, Status::BAD_ARGUMENT, "rssShard layer (0 outer, 1 inner)");
  if (table.size() != kShardTableSize) throw_status(env, Status::BAD_ARGUMENT, "rssShard: table needs 128 entries");
  if (n == 0 || n > 64) throw_range(env, "expected shards in [1, 64], received " + std::to_string(n));
  bool keep_largest = info.Length() > 5 && info[5].ToBoolean().Value();
  RssPortLayers layers;
  layers.fallback = RssLayer(layer);
  if (info.Length() > 6 && !info[6].IsUndefined() && !info[6].IsNull()) layers.ports = rss_ports(env, info[6]);
  std::vector<Napi::ArrayBuffer> spares;
  if (info.Length() > 7 && !info[7].IsUndefined() && !info[7].IsNull()) {
    if (!info[7].IsArray()) throw_type(env, "an array of ArrayBuffers for spares", info[7]);
    Napi::Array list = info[7].As<Napi::Array>();
    for (uint32_t k = 0; k < list.Length(); k++) {
      Napi::Value v = list.Get(k);
      if (!v.IsArrayBuffer()) throw_type(env, "an ArrayBuffer in spares", v);
      spares.push_back(v.As<Napi::ArrayBuffer>());
    }
  }
  std::vector<bool> spare_used(spares.size(), false);
  ShardPlan plan;
  Status st = shard_plan(in, link_type, layers, table.data(), n, &plan);
  if (st != Status::OK) throw_status(env, st, "rssShard");
  int32_t kept = -1;
  if (keep_largest)
    for (uint32_t s = 0; s < n; s++)
      if (plan.count[s] > 0 && (kept < 0 || plan.count[s] > plan.count[uint32_t(kept)])) kept = int32_t(s);
  Napi::Array buffers = Napi::Array::New(env, n);
  std::vector<Batch> shards(n);
  for (uint32_t s = 0; s < n; s++) {
    if (plan.count[s] == 0 || int32_t(s) == kept) {
      buffers.Set(s, env.Null());
      continue;
    }
    BatchLayout layout;
    if (plan.data[s] > 0xFFFFFFFFull || batch_layout(plan.count[s], uint32_t(plan.data[s]), &layout) != Status::OK)
      throw_status(env, Status::BATCH_FULL, "rssShard: shard too large");
    size_t spare = 0;
    while (spare < spares.size() && (spare_used[spare] || spares[spare].ByteLength() < layout.total_size)) spare++;
    Napi::ArrayBuffer ab;
    Status made;
    if (spare < spares.size()) {
      spare_used[spare] = true;
      ab = spares[spare];
      made = batch_init(static_cast<uint8_t*>(ab.Data()), ab.ByteLength(), plan.count[s], uint32_t(plan.data[s]),
                        in.header().headroom, in.header().tailroom);
    } else {
      ab = Napi::ArrayBuffer::New(env, std::max(layout.total_size, in.header().total_size));
      made = batch_init_zeroed(static_cast<uint8_t*>(ab.Data()), ab.ByteLength(), plan.count[s], uint32_t(plan.data[s]),
                               in.header().headroom, in.header().tailroom);  // V8 zero-fills new ArrayBuffers
    }
    if (made == Status::OK) made = Batch::open(static_cast<uint8_t*>(ab.Data()), ab.ByteLength(), &shards[s]);
    if (made != Status::OK) throw_status(env, made, "rssShard: shard batch");
    buffers.Set(s, ab);
  }
  std::vector<std::vector<uint32_t>> index;
  st = shard_copy(in, plan, shards.data(), n, &index, kept);
  if (st != Status::OK) throw_status(env, st, "rssShard");
  Napi::Array idx = Napi::Array::New(env, n);
  for (uint32_t s = 0; s < n; s++) idx.Set(s, to_js(env, index[s]));
  Napi::Object o = Napi::Object::New(env);
  o.Set("buffers", buffers);
  o.Set("index", idx);
  o.Set("invalid", to_js(env, plan.invalid));
  Napi::Uint32Array buckets = Napi::Uint32Array::New(env, kShardTableSize);
  std::memcpy(buckets.Data(), plan.buckets, sizeof plan.buckets);
  o.Set("buckets", buckets);
  o.Set("kept", kept);
  Napi::Array used = Napi::Array::New(env);
  for (size_t k = 0; k < spares.size(); k++)
    if (spare_used[k]) used.Set(used.Length(), double(k));
  o.Set("spares", used);
  return o;
}

class DatapathWrap : public Napi::ObjectWrap<DatapathWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Datapath",
                       {
                           InstanceMethod("classify", &DatapathWrap::classify),
                           InstanceMethod("classifyRecirc", &DatapathWrap::classify_recirc),
                           InstanceMethod("takeRecirc", &DatapathWrap::take_recirc),
                           InstanceMethod("execute", &DatapathWrap::execute),
                           InstanceMethod("process", &DatapathWrap::process),
                           InstanceMethod("install", &DatapathWrap::install),
                           InstanceMethod("setVersion", &DatapathWrap::set_version),
                           InstanceMethod("flush", &DatapathWrap::flush),
                           InstanceMethod("dropTicket", &DatapathWrap::drop_ticket),
                           InstanceMethod("stats", &DatapathWrap::stats),
                           InstanceMethod("clearStats", &DatapathWrap::clear_stats),
                           InstanceMethod("dumpFlows", &DatapathWrap::dump_flows),
                       });
  }

  // new Datapath({ linkType?, cache?, maxFlows?, emcEntries?, rssLayer?, rssPorts?, malformed? })
  explicit DatapathWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DatapathWrap>(info) {
    Napi::Env env = info.Env();
    DatapathConfig cfg;
    if (info.Length() > 0 && !info[0].IsUndefined()) {
      if (!info[0].IsObject()) throw_type(env, "an options object for Datapath", info[0]);
      Napi::Object o = info[0].As<Napi::Object>();
      auto num = [&](const char* k, uint32_t& dst) {
        Napi::Value v = o.Get(k);
        if (v.IsUndefined()) return;
        if (!v.IsNumber()) throw_type(env, std::string("a number for ") + k, v);
        dst = v.As<Napi::Number>().Uint32Value();
      };
      num("linkType", cfg.link_type);
      num("maxFlows", cfg.cache.max_flows);
      num("emcEntries", cfg.cache.emc_entries);
      uint32_t layer = 0;
      num("rssLayer", layer);
      if (layer > 1) throw_status(env, Status::BAD_ARGUMENT, "Datapath rssLayer (0 outer, 1 inner)");
      cfg.rss_layer = RssLayer(layer);
      Napi::Value ports = o.Get("rssPorts");
      if (!ports.IsUndefined()) cfg.rss_ports = rss_ports(env, ports);
      Napi::Value c = o.Get("cache");
      if (!c.IsUndefined()) cfg.cache_enabled = c.ToBoolean().Value();
      Napi::Value m = o.Get("malformed");
      if (!m.IsUndefined()) {
        std::string policy = m.IsString() ? m.As<Napi::String>().Utf8Value() : "";
        if (policy == "drop") cfg.parse.malformed = MalformedPolicy::DROP;
        else if (policy == "ovs-userspace") cfg.parse.malformed = MalformedPolicy::OVS_USERSPACE;
        else throw_type(env, "'drop' or 'ovs-userspace' for malformed", m);
      }
      if (!link_type_supported(cfg.link_type)) throw_status(env, Status::BAD_ARGUMENT, "Datapath linkType");
    }
    dp_ = std::make_unique<Datapath>(cfg);
  }

 private:
  // A ShardFilter from (table: Uint8Array(128), self) at info[i], info[i + 1]; none when absent or null.
  ShardFilter filter_arg(const Napi::CallbackInfo& info, size_t i) {
    ShardFilter f;
    if (info.Length() <= i || info[i].IsUndefined() || info[i].IsNull()) return f;
    ByteView table = bytes_arg(info, i, "shardTable");
    if (table.size() != kShardTableSize) throw_status(info.Env(), Status::BAD_ARGUMENT, "shardTable needs 128 entries");
    uint32_t self = u32_arg(info, i + 1, "shardSelf");
    if (self > 0xFF) throw_range(info.Env(), "expected shardSelf in [0, 255], received " + std::to_string(self));
    f.table = table.data();
    f.self = uint8_t(self);
    return f;
  }

  // classify(in, shardTable?, shardSelf?)
  Napi::Value classify(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Batch in = batch_arg(info, 0, "in");
    ShardFilter filter = filter_arg(info, 1);
    std::vector<uint32_t> misses;
    uint32_t ticket = 0;
    Status st = dp_->classify_shard(in, filter, &misses, &ticket);
    if (st != Status::OK) throw_status(env, st, "classify");
    Napi::Object o = Napi::Object::New(env);
    o.Set("ticket", ticket);
    o.Set("misses", to_js(env, misses));
    return o;
  }

  // classifyRecirc(in, depth, maxEpoch) -> { ticket, misses }
  Napi::Value classify_recirc(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Batch in = batch_arg(info, 0, "in");
    uint32_t depth = u32_arg(info, 1, "depth");
    uint32_t max_epoch = u32_arg(info, 2, "maxEpoch");
    std::vector<uint32_t> misses;
    uint32_t ticket = 0;
    Status st = dp_->classify_recirc(in, depth, max_epoch, &misses, &ticket);
    if (st != Status::OK) throw_status(env, st, "classifyRecirc");
    Napi::Object o = Napi::Object::New(env);
    o.Set("ticket", ticket);
    o.Set("misses", to_js(env, misses));
    return o;
  }

  // takeRecirc() -> { buffer: ArrayBuffer | null, origin: Uint32Array }
  Napi::Value take_recirc(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<uint8_t> bytes;
    std::vector<uint32_t> origin;
    dp_->take_recirc(&bytes, &origin);
    Napi::Object o = Napi::Object::New(env);
    if (bytes.empty()) {
      o.Set("buffer", env.Null());
    } else {
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, bytes.size());
      std::memcpy(ab.Data(), bytes.data(), bytes.size());
      o.Set("buffer", ab);
    }
    o.Set("origin", to_js(env, origin));
    return o;
  }

  // `out` null: in-place mode without an output batch (execute_in_place).
  Napi::Object run_execute(Napi::Env env, uint32_t ticket, const Batch& in, const Batch* out, uint32_t start,
                           const Answers& a, bool in_place) {
    uint32_t next = 0;
    origin_.clear();
    cookies_.clear();
    inplace_.clear();
    Status st = in_place ? dp_->execute_in_place(ticket, in, out, start, a, &next, &origin_, &cookies_, &inplace_)
                         : dp_->execute(ticket, in, *out, start, a, &next, &origin_, &cookies_);
    if (st != Status::OK) throw_status(env, st, "execute");
    Napi::Object o = Napi::Object::New(env);
    o.Set("next", next);
    o.Set("origin", to_js(env, origin_));
    o.Set("cookies", to_js(env, cookies_));
    if (in_place) o.Set("inplace", to_js(env, inplace_));
    return o;
  }

  // An output batch argument, or null (in-place mode only).
  bool out_arg(const Napi::CallbackInfo& info, size_t i, bool in_place, Batch* out) {
    if (in_place && info[i].IsNull()) return false;
    *out = batch_arg(info, i, "out");
    return true;
  }

  // execute(ticket, in, out, start, answerIndex, answerOffsets, answerBytes, inPlace?)
  Napi::Value execute(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    uint32_t ticket = u32_arg(info, 0, "ticket");
    Batch in = batch_arg(info, 1, "in");
    bool in_place = info.Length() > 7 && info[7].ToBoolean().Value();
    Batch out;
    bool has_out = out_arg(info, 2, in_place, &out);
    uint32_t start = u32_arg(info, 3, "start");
    Napi::Uint32Array idx = u32array_arg(info, 4, "answerIndex");
    Napi::Uint32Array offs = u32array_arg(info, 5, "answerOffsets");
    ByteView bytes = bytes_arg(info, 6, "answerBytes");
    if (offs.ElementLength() != idx.ElementLength() + 1)
      throw_status(env, Status::BAD_ARGUMENT, "execute: answerOffsets needs one more entry than answerIndex");
    for (size_t k = 0; k < offs.ElementLength(); k++)
      if (offs.Data()[k] > bytes.size()) throw_status(env, Status::BAD_ARGUMENT, "execute: answer offset beyond answerBytes");
    Answers a{bytes.data(), offs.Data(), idx.Data(), uint32_t(idx.ElementLength())};
    return run_execute(env, ticket, in, has_out ? &out : nullptr, start, a, in_place);
  }

  // process(in, out, inPlace?, shardTable?, shardSelf?): classify, and when nothing missed, execute everything.
  // -> { ticket, misses, next?, origin?, cookies?, inplace? } (ticket 0 when executed)
  Napi::Value process(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Batch in = batch_arg(info, 0, "in");
    bool in_place = info.Length() > 2 && info[2].ToBoolean().Value();
    Batch out;
    bool has_out = out_arg(info, 1, in_place, &out);
    ShardFilter filter = filter_arg(info, 3);
    std::vector<uint32_t> misses;
    uint32_t ticket = 0;
    Status st = dp_->classify_shard(in, filter, &misses, &ticket);
    if (st != Status::OK) throw_status(env, st, "process");
    if (!misses.empty()) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("ticket", ticket);
      o.Set("misses", to_js(env, misses));
      return o;
    }
    Napi::Object o = run_execute(env, ticket, in, has_out ? &out : nullptr, 0, Answers(), in_place);
    o.Set("ticket", o.Get("next").As<Napi::Number>().Uint32Value() >= in.count() ? 0u : ticket);
    o.Set("misses", Napi::Uint32Array::New(env, 0));
    return o;
  }

  // install(keys, masks, offsets, programs, version, epoch?) -> flows accepted
  Napi::Value install(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    ByteView keys = bytes_arg(info, 0, "keys");
    ByteView masks = bytes_arg(info, 1, "masks");
    Napi::Uint32Array offs = u32array_arg(info, 2, "offsets");
    ByteView progs = bytes_arg(info, 3, "programs");
    uint32_t version = u32_arg(info, 4, "version");
    uint32_t epoch = info.Length() > 5 && !info[5].IsUndefined() ? u32_arg(info, 5, "epoch") : 0;
    size_t n = keys.size() / sizeof(FlowKey);
    if (keys.size() % sizeof(FlowKey) || masks.size() != keys.size() || offs.ElementLength() != n + 1)
      throw_status(env, Status::BAD_ARGUMENT, "install: keys, masks (144 bytes each) and offsets (n + 1) disagree");
    uint32_t installed = 0;
    for (size_t k = 0; k < n; k++) {
      uint32_t a = offs.Data()[k], b = offs.Data()[k + 1];
      if (a > b || b > progs.size()) throw_status(env, Status::BAD_ARGUMENT, "install: program offsets");
      FlowKey key, mask;
      std::memcpy(&key, keys.data() + k * sizeof(FlowKey), sizeof key);
      std::memcpy(&mask, masks.data() + k * sizeof(FlowKey), sizeof mask);
      Status st = dp_->cache().install(key, mask, ByteView(progs.data() + a, b - a), version, epoch);
      if (st != Status::OK) throw_status(env, st, "install: invalid action program for flow " + std::to_string(k));
      installed++;
    }
    return Napi::Number::New(env, installed);
  }

  Napi::Value set_version(const Napi::CallbackInfo& info) {
    dp_->cache().set_version(u32_arg(info, 0, "version"));
    return info.Env().Undefined();
  }
  Napi::Value flush(const Napi::CallbackInfo& info) {
    dp_->cache().flush();
    return info.Env().Undefined();
  }
  Napi::Value drop_ticket(const Napi::CallbackInfo& info) {
    dp_->drop_ticket(u32_arg(info, 0, "ticket"));
    return info.Env().Undefined();
  }
  Napi::Value clear_stats(const Napi::CallbackInfo& info) {
    dp_->clear_stats();
    return info.Env().Undefined();
  }

  Napi::Value stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const DatapathStats& s = dp_->stats();
    const FlowCacheStats& c = dp_->cache().stats();
    Napi::Object o = Napi::Object::New(env);
    auto set = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(env, double(v))); };
    set("packets", s.packets);
    set("batches", s.batches);
    set("upcalls", s.upcalls);
    set("executed", s.executed);
    set("outputs", s.outputs);
    set("userspace", s.userspace);
    set("recirculated", s.recirculated);
    set("malformed", s.malformed);
    set("dropped", s.dropped);
    set("cycles", s.cycles);
    set("emcHits", c.emc_hits);
    set("megaflowHits", c.megaflow_hits);
    set("misses", c.misses);
    set("subtableLookups", c.subtable_lookups);
    set("installs", c.installs);
    set("replaced", c.replaced);
    set("evictions", c.evictions);
    set("flushes", c.flushes);
    set("staleInstalls", c.stale_installs);
    set("flows", dp_->cache().flow_count());
    set("subtables", dp_->cache().subtable_count());
    set("version", dp_->cache().version());
    Napi::Array drops = Napi::Array::New(env, kDropReasonCount);
    for (uint32_t r = 0; r < kDropReasonCount; r++) drops.Set(r, Napi::Number::New(env, double(s.drops[r])));
    o.Set("drops", drops);
    return o;
  }

  Napi::Value dump_flows(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Array out = Napi::Array::New(env);
    uint32_t n = 0;
    dp_->cache().for_each([&](const Megaflow& f) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("key", to_js_bytes(env, &f.key, sizeof f.key));
      o.Set("mask", to_js_bytes(env, &f.mask, sizeof f.mask));
      o.Set("actions", to_js_bytes(env, f.actions.data(), f.actions.size()));
      o.Set("packets", Napi::Number::New(env, double(f.packets)));
      o.Set("bytes", Napi::Number::New(env, double(f.bytes)));
      o.Set("id", Napi::Number::New(env, double(f.id)));
      out.Set(n++, o);
    });
    return out;
  }

  std::unique_ptr<Datapath> dp_;
  std::vector<uint32_t> origin_, cookies_, inplace_;  // reused across calls
};

}  // namespace

void register_datapath(Napi::Env env, Napi::Object exports) {
  exports.Set("rssHashBatch", Napi::Function::New(env, rss_hash_batch_js, "rssHashBatch"));
  exports.Set("toeplitzHash", Napi::Function::New(env, toeplitz_hash_js, "toeplitzHash"));
  exports.Set("validateActions", Napi::Function::New(env, validate_actions_js, "validateActions"));
  exports.Set("executeActions", Napi::Function::New(env, execute_actions_js, "executeActions"));
  exports.Set("rssShard", Napi::Function::New(env, rss_shard_js, "rssShard"));
  exports.Set("Datapath", DatapathWrap::define(env));
}

}  // namespace vs::js
