#include "action.h"

#include <cstddef>
#include <cstring>

#include "action_tnl.h"
#include "csum.h"
#include "drop_reason.h"
#include "tunnel_decap.h"
#include "tunnel_receiver.h"

namespace vs {
namespace {

constexpr uint32_t kScratchSlots = kMaxCloneDepth + 2;
constexpr uint32_t kScratchHeadroom = 512;
constexpr uint32_t kScratchSlotBytes = kScratchHeadroom + 65535 + 64;

uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }
uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

// Expected argument length of an op, or -1 when variable (CLONE, TNL_PUSH).
int arg_size(uint8_t op) {
  switch (ActionOp(op)) {
    case ActionOp::OUTPUT: return 4;
    case ActionOp::PUSH_VLAN: return 4;
    case ActionOp::POP_VLAN: return 0;
    case ActionOp::SET_ETH_SRC:
    case ActionOp::SET_ETH_DST: return 6;
    case ActionOp::SET_IPV4_SRC:
    case ActionOp::SET_IPV4_DST: return 4;
    case ActionOp::SET_IPV6_SRC:
    case ActionOp::SET_IPV6_DST: return 16;
    case ActionOp::SET_TP_SRC:
    case ActionOp::SET_TP_DST: return 4;
    case ActionOp::SET_TTL:
    case ActionOp::SET_DSCP: return 1;
    case ActionOp::CLONE: return -1;
    case ActionOp::DROP: return 2;
    case ActionOp::USERSPACE: return 4;
    case ActionOp::TNL_PUSH: return int(kTnlPushArgSize);
    case ActionOp::TNL_POP: return -1;
    case ActionOp::RECIRC: return 4;
    case ActionOp::CHECK_MTU: return int(kCheckMtuArgSize);
    case ActionOp::GSO: return int(kGsoArgSize);
    case ActionOp::CSUM_COMPLETE: return int(kCsumCompleteArgSize);
  }
  return -2;  // unknown op
}

// `segs`: segmenting actions (CHECK_MTU, GSO) before this list on its path.
Status validate(ByteView prog, uint32_t depth, uint32_t segs, uint32_t* total) {
  if (prog.size() < 4) return Status::BAD_ARGUMENT;
  const uint8_t* p = prog.data();
  if (p[0] != kActionVersion || p[1] != 0) return Status::BAD_ARGUMENT;
  uint32_t count = le16(p + 2);
  size_t off = 4;
  for (uint32_t a = 0; a < count; a++) {
    if (++*total > kMaxActionCount) return Status::BAD_ARGUMENT;
    if (!prog.has(off, 4)) return Status::BAD_ARGUMENT;
    uint8_t op = p[off];
    uint32_t len = le16(p + off + 2);
    if (p[off + 1] != 0 || !prog.has(off + 4, len)) return Status::BAD_ARGUMENT;
    int want = arg_size(op);
    if (want == -2 || (want >= 0 && uint32_t(want) != len)) return Status::BAD_ARGUMENT;
    const uint8_t* arg = p + off + 4;
    switch (ActionOp(op)) {
      case ActionOp::CLONE: {
        if (depth >= kMaxCloneDepth) return Status::BAD_ARGUMENT;
        Status st = validate(ByteView(arg, len), depth + 1, segs, total);
        if (st != Status::OK) return st;
        break;
      }
      case ActionOp::DROP:
        if (le16(arg) == 0 || le16(arg) >= kDropReasonCount) return Status::BAD_ARGUMENT;
        break;
      case ActionOp::SET_TP_SRC:
      case ActionOp::SET_TP_DST:
        if ((arg[0] != 6 && arg[0] != 17) || arg[1] != 0) return Status::BAD_ARGUMENT;
        break;
      case ActionOp::SET_DSCP:
        if (arg[0] > 63) return Status::BAD_ARGUMENT;
        break;
      case ActionOp::TNL_PUSH: {
        Status st = tnl_push_validate(ByteView(arg, len));
        if (st != Status::OK) return st;
        break;
      }
      case ActionOp::TNL_POP: {
        TunnelReceiver rx;
        if (len < 4 || tunnel_receiver_load(ByteView(arg + 4, len - 4), &rx) != Status::OK) return Status::BAD_ARGUMENT;
        break;
      }
      case ActionOp::CHECK_MTU:
      case ActionOp::GSO: {
        Status st = ActionOp(op) == ActionOp::GSO ? gso_action_validate(ByteView(arg, len))
                                                  : check_mtu_validate(ByteView(arg, len));
        if (st != Status::OK || ++segs > kMaxSegmentDepth) return Status::BAD_ARGUMENT;
        break;
      }
      case ActionOp::CSUM_COMPLETE:
        if (csum_complete_validate(ByteView(arg, len)) != Status::OK) return Status::BAD_ARGUMENT;
        break;
      default:
        break;
    }
    off += 4 + len;
  }
  return off == prog.size() ? Status::OK : Status::BAD_ARGUMENT;
}

bool csum_partial(const Batch& b, uint32_t w) {
  return (b.u32(COL_FLAGS)[w] & (FLAG_L4_CSUM_PARTIAL | FLAG_NEEDS_CSUM)) != 0;
}

// Layer columns that move when bytes are inserted or removed after offset 12.
constexpr Column kShiftColumns[] = {COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4};

void shift_layers(const Batch& b, uint32_t w, int delta) {
  for (Column c : kShiftColumns) {
    uint16_t& v = b.u16(c)[w];
    if (v != kAbsent) v = uint16_t(int(v) + delta);
  }
  if (b.u32(COL_FLAGS)[w] & FLAG_NEEDS_CSUM) b.u16(COL_CSUM_START)[w] = uint16_t(b.u16(COL_CSUM_START)[w] + delta);
}

// The L4 protocol of the working packet (the flow key's, which actions never change).
uint8_t l4_proto(const Batch& b, uint32_t w) { return b.key(w)->nw_proto; }

// Updates the TCP/UDP/ICMPv6 checksum for a change of pseudo-header words
// (address bytes), `n` bytes at old/new (n even).
void update_l4_pseudo(const Batch& b, uint32_t w, MutByteView pkt, const uint8_t* old_b, const uint8_t* new_b, size_t n,
                      bool ipv6) {
  uint16_t l4 = b.u16(COL_L4)[w];
  if (l4 == kAbsent) return;
  uint8_t proto = l4_proto(b, w);
  size_t field;
  if (proto == 6) field = 16;
  else if (proto == 17) field = 6;
  else if (proto == 58 && ipv6) field = 2;
  else return;
  uint16_t check;
  if (!pkt.view().be16(l4 + field, check)) return;
  if (csum_partial(b, w)) {
    // The field holds fold(pseudo-header sum), uncomplemented.
    uint32_t sum = check;
    for (size_t k = 0; k < n; k += 2) sum += uint16_t(~load_be16(old_b + k)) + load_be16(new_b + k);
    pkt.put_be16(l4 + field, csum_fold(sum));
    return;
  }
  if (proto == 17 && check == 0) return;  // no UDP checksum
  for (size_t k = 0; k < n; k += 2) check = csum_update16(check, load_be16(old_b + k), load_be16(new_b + k));
  if (proto == 17 && check == 0) check = 0xffff;
  pkt.put_be16(l4 + field, check);
}

void set_ipv4_addr(const Batch& b, uint32_t w, const uint8_t* addr, size_t at) {
  MutByteView pkt = b.packet(w);
  uint16_t l3 = b.u16(COL_L3)[w];
  uint8_t ver;
  if (l3 == kAbsent || !pkt.view().u8(l3, ver) || ver >> 4 != 4 || !pkt.has(l3 + at, 4)) return;
  uint8_t old_b[4];
  std::memcpy(old_b, pkt.data() + l3 + at, 4);
  uint16_t check = load_be16(pkt.data() + l3 + 10);
  check = csum_update32(check, load_be32(old_b), load_be32(addr));
  pkt.put_be16(l3 + 10, check);
  pkt.write(l3 + at, addr, 4);
  if (b.u32(COL_FLAGS)[w] & FLAG_IP_FRAGMENT) {
    uint16_t frag = load_be16(pkt.data() + l3 + 6);
    if (frag & 0x1fff) return;  // later fragment: no L4 header
  }
  update_l4_pseudo(b, w, pkt, old_b, addr, 4, false);
}

void set_ipv6_addr(const Batch& b, uint32_t w, const uint8_t* addr, size_t at) {
  MutByteView pkt = b.packet(w);
  uint16_t l3 = b.u16(COL_L3)[w];
  uint8_t ver;
  if (l3 == kAbsent || !pkt.view().u8(l3, ver) || ver >> 4 != 6 || !pkt.has(l3 + at, 16)) return;
  uint8_t old_b[16];
  std::memcpy(old_b, pkt.data() + l3 + at, 16);
  pkt.write(l3 + at, addr, 16);
  update_l4_pseudo(b, w, pkt, old_b, addr, 16, true);
}

void set_port(const Batch& b, uint32_t w, uint8_t proto, uint16_t port, size_t at) {
  MutByteView pkt = b.packet(w);
  uint16_t l4 = b.u16(COL_L4)[w];
  uint16_t old_port;
  if (l4 == kAbsent || l4_proto(b, w) != proto || !pkt.view().be16(l4 + at, old_port)) return;
  size_t field = proto == 6 ? 16 : 6;
  uint16_t check;
  if (pkt.view().be16(l4 + field, check) && !csum_partial(b, w) && !(proto == 17 && check == 0)) {
    check = csum_update16(check, old_port, port);
    if (proto == 17 && check == 0) check = 0xffff;
    pkt.put_be16(l4 + field, check);
  }
  pkt.put_be16(l4 + at, port);
}

void set_ttl(const Batch& b, uint32_t w, uint8_t ttl) {
  MutByteView pkt = b.packet(w);
  uint16_t l3 = b.u16(COL_L3)[w];
  uint8_t ver;
  if (l3 == kAbsent || !pkt.view().u8(l3, ver)) return;
  if (ver >> 4 == 4 && pkt.has(l3, 20)) {
    uint8_t* h = pkt.data() + l3;
    uint16_t old_word = load_be16(h + 8);
    uint16_t new_word = uint16_t(ttl << 8 | h[9]);
    store_be16(h + 10, csum_update16(load_be16(h + 10), old_word, new_word));
    h[8] = ttl;
  } else if (ver >> 4 == 6) {
    pkt.put8(l3 + 7, ttl);
  }
}

void set_dscp(const Batch& b, uint32_t w, uint8_t dscp) {
  MutByteView pkt = b.packet(w);
  uint16_t l3 = b.u16(COL_L3)[w];
  uint8_t ver;
  if (l3 == kAbsent || !pkt.view().u8(l3, ver)) return;
  if (ver >> 4 == 4 && pkt.has(l3, 20)) {
    uint8_t* h = pkt.data() + l3;
    uint16_t old_word = load_be16(h);
    h[1] = uint8_t(dscp << 2 | (h[1] & 3));
    store_be16(h + 10, csum_update16(load_be16(h + 10), old_word, load_be16(h)));
  } else if (ver >> 4 == 6 && pkt.has(l3, 2)) {
    uint8_t* h = pkt.data() + l3;
    uint8_t tc = uint8_t((h[0] & 0x0f) << 4 | h[1] >> 4);
    tc = uint8_t(dscp << 2 | (tc & 3));
    h[0] = uint8_t((h[0] & 0xf0) | tc >> 4);
    h[1] = uint8_t((tc & 0x0f) << 4 | (h[1] & 0x0f));
  }
}

void set_eth(const Batch& b, uint32_t w, const uint8_t* mac, size_t at) {
  uint16_t l2 = b.u16(COL_L2)[w];
  if (l2 == kAbsent) return;
  b.packet(w).write(l2 + at, mac, 6);
}

bool is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100; }

Status push_vlan(Batch& b, uint32_t w, uint16_t tpid, uint16_t tci) {
  uint16_t l2 = b.u16(COL_L2)[w];
  if (l2 != 0 || b.packet(w).size() < 12) return Status::OK;  // no Ethernet header to tag
  Status st = b.push_head(w, 4);
  if (st != Status::OK) return st;
  uint8_t* p = b.packet(w).data();
  std::memmove(p, p + 4, 12);
  store_be16(p + 12, tpid);
  store_be16(p + 14, tci);
  shift_layers(b, w, 4);
  uint32_t& flags = b.u32(COL_FLAGS)[w];
  if (flags & FLAG_VLAN) flags |= FLAG_QINQ;
  flags |= FLAG_VLAN;
  return Status::OK;
}

void pop_vlan(Batch& b, uint32_t w) {
  MutByteView pkt = b.packet(w);
  uint16_t tpid;
  if (b.u16(COL_L2)[w] != 0 || !pkt.view().be16(12, tpid) || !is_vlan_tpid(tpid) || pkt.size() < 18) return;
  std::memmove(pkt.data() + 4, pkt.data(), 12);
  b.pull_head(w, 4);
  shift_layers(b, w, -4);
  uint32_t& flags = b.u32(COL_FLAGS)[w];
  uint16_t inner;
  if (b.packet(w).view().be16(12, inner) && is_vlan_tpid(inner)) {
    flags &= ~FLAG_QINQ;
  } else {
    flags &= ~(FLAG_VLAN | FLAG_QINQ);
  }
}

}  // namespace

Status action_program_validate(ByteView prog) {
  uint32_t total = 0;
  return validate(prog, 0, 0, &total);
}

ActionExecutor::ActionExecutor() {
  uint32_t data = kScratchSlots * kScratchSlotBytes;
  BatchLayout layout;
  batch_layout(kScratchSlots, data, &layout);
  scratch_mem_.resize((layout.total_size + 7) / 8);
  auto* mem = reinterpret_cast<uint8_t*>(scratch_mem_.data());
  batch_init(mem, layout.total_size, kScratchSlots, data, kScratchHeadroom, 64);
  Batch::open(mem, layout.total_size, &scratch_);
}

static_assert(kColumnCount == 25, "copy_packet copies every batch column: update it when a column is added");

Status ActionExecutor::copy_packet(const Batch& src, uint32_t i, const Batch& dst, uint32_t* index) {
  // Batch::append's slot rules, with every column written once (no clearing pass).
  if (!src.packet_valid(i)) return Status::BAD_BATCH;
  BatchHeader& h = dst.header();
  uint32_t length = src.u32(COL_LENGTH)[i];
  if (h.count >= h.capacity) return Status::OUTPUT_FULL;
  uint64_t start = h.data_used;
  uint64_t slot = uint64_t(h.headroom) + length + h.tailroom;
  if (start + slot > h.data_size) return Status::OUTPUT_FULL;
  uint32_t j = h.count;
  uint32_t off = uint32_t(start + h.headroom);
  std::memcpy(dst.data_area() + off, src.data_area() + src.u32(COL_OFFSET)[i], length);
  uint64_t end = (start + slot + 7) & ~uint64_t(7);
  if (end > h.data_size) end = start + slot;
  dst.u32(COL_OFFSET)[j] = off;
  dst.u32(COL_LENGTH)[j] = length;
  dst.u32(COL_SLOT_START)[j] = uint32_t(start);
  dst.u32(COL_SLOT_END)[j] = uint32_t(end);
  for (Column c : {COL_WIRE_LENGTH, COL_TS_SEC, COL_TS_NSEC, COL_FLAGS, COL_HASH, COL_IN_PORT, COL_TUN_ID, COL_NEXT})
    dst.u32(c)[j] = src.u32(c)[i];
  for (Column c : {COL_DROP, COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4,
                   COL_GSO_TYPE, COL_GSO_SIZE, COL_CSUM_START, COL_CSUM_OFFSET})
    dst.u16(c)[j] = src.u16(c)[i];
  std::memcpy(dst.key(j), src.key(i), sizeof(FlowKey));
  h.data_used = uint32_t(end);
  h.count = j + 1;
  *index = j;
  return Status::OK;
}

bool tnl_output_program(ByteView prog, TnlOutputProgram* out) {
  // Validated: the header, lengths and the template are known good.
  const uint8_t* p = prog.data();
  if (le16(p + 2) == 1 && ActionOp(p[4]) == ActionOp::CLONE) p += 8;  // the clone's own program
  if (le16(p + 2) != 2 || ActionOp(p[4]) != ActionOp::TNL_PUSH) return false;
  uint32_t len = le16(p + 6);
  size_t second = 8 + size_t(len);
  if (ActionOp(p[second]) != ActionOp::OUTPUT) return false;
  if (tnl_push_load(ByteView(p + 8, len), &out->push) != Status::OK) return false;
  out->out_port = le32(p + second + 4);
  return true;
}

namespace {

// single_output() of a validated program (header included), adding its pushes to *growth.
bool single_output_program(const uint8_t* p, uint32_t* growth) {
  uint32_t count = le16(p + 2);
  size_t off = 4;
  for (uint32_t a = 0; a < count; a++) {
    ActionOp op = ActionOp(p[off]);
    if (op == ActionOp::CLONE) return a + 1 == count && single_output_program(p + off + 4, growth);
    if (op == ActionOp::USERSPACE || op == ActionOp::TNL_POP || op == ActionOp::RECIRC || op == ActionOp::CHECK_MTU ||
        op == ActionOp::GSO)
      return false;
    if (op == ActionOp::PUSH_VLAN) *growth += 4;
    if (op == ActionOp::TNL_PUSH) *growth += le16(p + off + 4 + 4 + offsetof(TunnelTemplate, hdr_len));
    if (op == ActionOp::OUTPUT && a + 1 != count) return false;
    if (a + 1 == count && op != ActionOp::OUTPUT) return false;
    off += 4 + le16(p + off + 2);
  }
  return count > 0;
}

}  // namespace

bool ActionExecutor::single_output(ByteView prog, uint32_t* growth) {
  *growth = 0;
  return single_output_program(prog.data(), growth);
}

Status ActionExecutor::execute(const Batch& in, uint32_t i, ByteView prog, const Batch& out, ExecResult* res,
                               std::vector<uint32_t>* userspace, const Batch* recirc, uint32_t depth) {
  *res = ExecResult();
  if (!in.packet_valid(i)) return Status::BAD_BATCH;
  recirc_ = recirc;
  depth_ = depth;
  BatchHeader& oh = out.header();
  uint32_t saved_count = oh.count, saved_used = oh.data_used;
  uint32_t saved_rcount = recirc ? recirc->header().count : 0, saved_rused = recirc ? recirc->header().data_used : 0;
  size_t saved_cookies = userspace ? userspace->size() : 0;
  bool stop = false;
  Status st;
  uint32_t growth = 0;
  if (single_output(prog, &growth) && growth <= oh.headroom) {
    // Work on the copy in the output batch; the final OUTPUT only names the port.
    uint32_t w;
    st = copy_packet(in, i, out, &w);
    if (st == Status::OK) {
      Batch work = out;
      st = run(work, prog.data() + 4, le16(prog.data() + 2), w, 0, out, true, res, userspace, &stop);
    }
    if (st == Status::OK && res->outputs == 0) {  // dropped before the output: discard the copy
      oh.count = saved_count;
      oh.data_used = saved_used;
    }
  } else {
    BatchHeader& sh = scratch_.header();
    sh.count = 0;
    sh.data_used = 0;
    uint32_t w;
    if (copy_packet(in, i, scratch_, &w) != Status::OK) return Status::BAD_BATCH;  // larger than the scratch holds
    seg_level_ = 0;
    st = run(scratch_, prog.data() + 4, le16(prog.data() + 2), w, 0, out, false, res, userspace, &stop);
  }
  recirc_ = nullptr;
  if (st != Status::OK) {
    oh.count = saved_count;
    oh.data_used = saved_used;
    if (recirc) {
      recirc->header().count = saved_rcount;
      recirc->header().data_used = saved_rused;
    }
    if (userspace) userspace->resize(saved_cookies);
    *res = ExecResult();
    return st == Status::BATCH_FULL ? Status::OUTPUT_FULL : st;
  }
  if (res->outputs > 0 || res->recirc > 0) res->drop = 0;  // ICMP errors alone keep the drop
  else if (res->drop == 0) res->drop = uint16_t(DropReason::NO_OUTPUT_ACTION);
  return Status::OK;
}

Status ActionExecutor::execute_in_place(const Batch& in, uint32_t i, ByteView prog, uint32_t growth, ExecResult* res) {
  *res = ExecResult();
  if (!in.packet_valid(i)) return Status::BAD_BATCH;
  if (in.headroom(i) < growth) return Status::NO_HEADROOM;
  recirc_ = nullptr;
  depth_ = 0;
  bool stop = false;
  Batch work = in;
  Status st = run(work, prog.data() + 4, le16(prog.data() + 2), i, 0, in, true, res, nullptr, &stop);
  if (st != Status::OK) return st;
  if (res->outputs > 0) res->drop = 0;
  else if (res->drop == 0) res->drop = uint16_t(DropReason::NO_OUTPUT_ACTION);
  return Status::OK;
}

Status ActionExecutor::execute_tnl_output(const Batch& in, const TunnelEncapBatch& enc, uint32_t i,
                                          const TnlOutputProgram& prog, uint32_t growth, ExecResult* res) {
  // run() of [TNL_PUSH, OUTPUT] in place, step by step.
  *res = ExecResult();
  if (!enc.valid(i)) return Status::BAD_BATCH;
  if (enc.headroom(i) < growth) return Status::NO_HEADROOM;
  recirc_ = nullptr;
  depth_ = 0;
  uint16_t reason = tunnels_.push_loaded(in, enc, i, prog.push);
  if (reason != 0) {
    res->drop = reason;
    return Status::OK;
  }
  in.u32(COL_NEXT)[i] = prog.out_port;
  in.u16(COL_DROP)[i] = 0;
  res->outputs = 1;
  return Status::OK;
}

Status ActionExecutor::run_segments(const uint8_t* acts, uint32_t count, uint32_t depth, const Batch& out,
                                    ExecResult* res, std::vector<uint32_t>* userspace) {
  Batch& segs = segs_[seg_level_].batch();
  seg_level_++;
  uint16_t last_drop = 0;
  Status st = Status::OK;
  for (uint32_t s = 0; s < segs.count() && st == Status::OK; s++) {
    bool seg_stop = false;
    res->drop = 0;
    st = run(segs, acts, count, s, depth, out, false, res, userspace, &seg_stop);
    if (res->drop != 0) last_drop = res->drop;
  }
  seg_level_--;
  res->drop = last_drop;  // reported only when no segment was output
  return st;
}

Status ActionExecutor::run(Batch& work, const uint8_t* p, uint32_t count, uint32_t w, uint32_t depth,
                           const Batch& out, bool direct, ExecResult* res, std::vector<uint32_t>* userspace,
                           bool* stop) {
  size_t off = 0;
  for (uint32_t a = 0; a < count && !*stop; a++) {
    ActionOp op = ActionOp(p[off]);
    uint32_t len = le16(p + off + 2);
    const uint8_t* arg = p + off + 4;
    off += 4 + len;
    switch (op) {
      case ActionOp::OUTPUT: {
        uint32_t j = w;
        if (!direct) {
          Status st = copy_packet(work, w, out, &j);
          if (st != Status::OK) return st;
        }
        out.u32(COL_NEXT)[j] = le32(arg);
        out.u16(COL_DROP)[j] = 0;
        res->outputs++;
        break;
      }
      case ActionOp::PUSH_VLAN: {
        Status st = push_vlan(work, w, le16(arg), le16(arg + 2));
        if (st != Status::OK) {
          res->drop = uint16_t(DropReason::HEAD_SPACE_RESERVE_FAIL);
          *stop = true;
        }
        break;
      }
      case ActionOp::POP_VLAN: pop_vlan(work, w); break;
      case ActionOp::SET_ETH_SRC: set_eth(work, w, arg, 6); break;
      case ActionOp::SET_ETH_DST: set_eth(work, w, arg, 0); break;
      case ActionOp::SET_IPV4_SRC: set_ipv4_addr(work, w, arg, 12); break;
      case ActionOp::SET_IPV4_DST: set_ipv4_addr(work, w, arg, 16); break;
      case ActionOp::SET_IPV6_SRC: set_ipv6_addr(work, w, arg, 8); break;
      case ActionOp::SET_IPV6_DST: set_ipv6_addr(work, w, arg, 24); break;
      case ActionOp::SET_TP_SRC: set_port(work, w, arg[0], le16(arg + 2), 0); break;
      case ActionOp::SET_TP_DST: set_port(work, w, arg[0], le16(arg + 2), 2); break;
      case ActionOp::SET_TTL: set_ttl(work, w, arg[0]); break;
      case ActionOp::SET_DSCP: set_dscp(work, w, arg[0]); break;
      case ActionOp::CLONE: {
        // A drop inside clone() ends the clone only. Its reason stands for the
        // packet unless one was named before (OVS counts the cloned packet's
        // drop, a failed tunnel push say); any output clears it.
        if (direct) {
          // The last action of a single_output() program: it runs on the packet
          // itself (OVS's odp_execute_clone when it may steal the packet).
          bool inner_stop = false;
          uint16_t saved_drop = res->drop;
          Status st = run(work, arg + 4, le16(arg + 2), w, depth + 1, out, true, res, userspace, &inner_stop);
          if (saved_drop != 0) res->drop = saved_drop;
          if (st != Status::OK) return st;
          break;
        }
        BatchHeader& sh = scratch_.header();
        uint32_t saved_count = sh.count, saved_used = sh.data_used;
        uint32_t c;
        if (copy_packet(work, w, scratch_, &c) != Status::OK) return Status::BAD_BATCH;
        bool inner_stop = false;
        uint16_t saved_drop = res->drop;
        Status st = run(scratch_, arg + 4, le16(arg + 2), c, depth + 1, out, false, res, userspace, &inner_stop);
        if (saved_drop != 0) res->drop = saved_drop;
        sh.count = saved_count;
        sh.data_used = saved_used;
        if (st != Status::OK) return st;
        break;
      }
      case ActionOp::DROP:
        res->drop = le16(arg);
        *stop = true;
        break;
      case ActionOp::USERSPACE:
        res->userspace++;
        res->last_cookie = le32(arg);
        if (userspace) userspace->push_back(le32(arg));
        break;
      case ActionOp::TNL_PUSH: {
        uint16_t reason = tunnels_.push(work, w, ByteView(arg, len));
        if (reason != 0) {
          res->drop = reason;
          *stop = true;
        }
        break;
      }
      case ActionOp::TNL_POP: {
        TunnelReceiver rx;
        DropReason reason = DropReason::BAD_ACTION_PROGRAM;
        if (tunnel_receiver_load(ByteView(arg + 4, len - 4), &rx) == Status::OK)
          reason = tunnel_decap_packet(work, w, rx, nullptr);
        if (reason != DropReason::NONE) {
          res->drop = uint16_t(reason);
          *stop = true;
        }
        break;
      }
      case ActionOp::RECIRC: {
        *stop = true;
        if (!recirc_ || depth_ >= kMaxRecircDepth) {
          res->drop = uint16_t(DropReason::RECIRCULATION_TOO_DEEP);
          break;
        }
        uint32_t j;
        Status st = copy_packet(work, w, *recirc_, &j);
        if (st != Status::OK) return st;
        recirc_->key(j)->recirc_id = le32(arg);
        recirc_->u16(COL_DROP)[j] = 0;
        res->recirc++;
        break;
      }
      case ActionOp::CHECK_MTU:
      case ActionOp::GSO: {
        // Only on the scratch path (single_output() excludes them); validation bounds seg_level_.
        if (seg_level_ >= kMaxSegmentDepth) return Status::BAD_ARGUMENT;
        OffloadStep step;
        Status st = op == ActionOp::GSO ? gso_action(work, w, ByteView(arg, len), segs_[seg_level_], &step)
                                        : check_mtu_action(work, w, ByteView(arg, len), segs_[seg_level_], out, &step);
        if (st != Status::OK) return st;
        res->errors += step.errors;
        if (step.drop != 0) {
          res->drop = step.drop;
          *stop = true;
        } else if (step.split) {
          *stop = true;  // the rest of the program runs on the pieces
          st = run_segments(p + off, count - a - 1, depth, out, res, userspace);
          if (st != Status::OK) return st;
        }
        break;
      }
      case ActionOp::CSUM_COMPLETE: {
        uint16_t reason = csum_complete_action(work, w, ByteView(arg, len));
        if (reason != 0) {
          res->drop = reason;
          *stop = true;
        }
        break;
      }
    }
  }
  return Status::OK;
}

}  // namespace vs
