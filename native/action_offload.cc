#include "action_offload.h"

#include <cstring>

#include "csum_complete.h"
#include "drop_reason.h"
#include "gso_segment.h"
#include "icmp_error.h"
#include "ipv4_frag.h"
#include "mtu_check.h"

namespace vs {
namespace {

uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

constexpr uint32_t kMaxFrameLimit = 65535 + 64;

// Runs `op(out)` into segs, growing segs while it reports OUTPUT_FULL.
template <typename Op>
Status with_growth(SegmentBatch& segs, Op op) {
  for (;;) {
    Status st = segs.reset();
    if (st != Status::OK) return st;
    st = op(segs.batch());
    if (st != Status::OUTPUT_FULL) return st;
    if (segs.grow() != Status::OK) return Status::OUTPUT_FULL;
  }
}

}  // namespace

Status check_mtu_validate(ByteView arg) {
  if (arg.size() != kCheckMtuArgSize) return Status::BAD_ARGUMENT;
  const uint8_t* a = arg.data();
  uint32_t mtu = le32(a), frame = le32(a + 4);
  if (mtu < 68 || mtu > 65535) return Status::BAD_ARGUMENT;
  if (frame != 0 && (frame < 60 || frame > kMaxFrameLimit)) return Status::BAD_ARGUMENT;
  if (a[8] > uint8_t(MtuProfile::VROUTER) || a[9] != 0) return Status::BAD_ARGUMENT;
  return Status::OK;
}

Status gso_action_validate(ByteView arg) {
  if (arg.size() != kGsoArgSize) return Status::BAD_ARGUMENT;
  if (arg.data()[0] > uint8_t(GsoProfile::OVS) || arg.data()[1] != 0) return Status::BAD_ARGUMENT;
  return Status::OK;
}

Status csum_complete_validate(ByteView arg) {
  if (arg.size() != kCsumCompleteArgSize) return Status::BAD_ARGUMENT;
  if (arg.data()[0] > uint8_t(CsumEngine::FAULT_TAG_SHIFT) || arg.data()[1] != 0) return Status::BAD_ARGUMENT;
  return Status::OK;
}

Status SegmentBatch::alloc(uint32_t capacity, uint32_t data) {
  BatchLayout layout;
  if (batch_layout(capacity, data, &layout) != Status::OK) return Status::OUTPUT_FULL;
  std::vector<uint64_t> mem((layout.total_size + 7) / 8);
  auto* bytes = reinterpret_cast<uint8_t*>(mem.data());
  if (batch_init(bytes, layout.total_size, capacity, data, kHeadroom, 64) != Status::OK) return Status::OUTPUT_FULL;
  Batch b;
  if (Batch::open(bytes, layout.total_size, &b) != Status::OK) return Status::OUTPUT_FULL;
  mem_ = std::move(mem);
  batch_ = b;
  return Status::OK;
}

Status SegmentBatch::reset() {
  if (mem_.empty()) return alloc(64, 256 * 1024);
  batch_.header().count = 0;
  batch_.header().data_used = 0;
  return Status::OK;
}

Status SegmentBatch::grow() {
  if (mem_.empty()) return alloc(64, 256 * 1024);
  uint64_t data = uint64_t(batch_.header().data_size) * 2;
  if (data > kMaxBytes) return Status::OUTPUT_FULL;
  return alloc(batch_.header().capacity * 2, uint32_t(data));
}

Status check_mtu_action(Batch& work, uint32_t w, ByteView arg, SegmentBatch& segs, const Batch& out,
                        OffloadStep* step) {
  *step = OffloadStep();
  const uint8_t* a = arg.data();
  uint32_t mtu = le32(a), frame_limit = le32(a + 4);
  auto profile = MtuProfile(a[8]);
  uint32_t ip_len = 0;
  MtuVerdict v = mtu_check(work, w, mtu, frame_limit, &ip_len);
  if (v == MtuVerdict::FITS) return Status::OK;
  // The IP MTU the packet was judged against (a frame limit counts the L2 header).
  uint16_t l3 = work.u16(COL_L3)[w];
  uint32_t eff = mtu;
  if (frame_limit && l3 != kAbsent && frame_limit > l3 && frame_limit - l3 < eff) eff = frame_limit - l3;
  uint16_t gso_size = work.u16(COL_GSO_SIZE)[w];
  if (profile == MtuProfile::VROUTER && work.u16(COL_GSO_TYPE)[w] != 0 && gso_size != 0 && v != MtuVerdict::NOT_IP) {
    // vRouter: shrink gso_size so each segment fits (segmentation follows).
    uint32_t excess = ip_len > eff ? ip_len - eff : 0;
    if (excess >= gso_size) {
      step->drop = uint16_t(DropReason::GSO_SIZE_TOO_SMALL);
      return Status::OK;
    }
    work.u16(COL_GSO_SIZE)[w] = uint16_t(gso_size - excess);
    return Status::OK;
  }
  if (v == MtuVerdict::FRAGMENT && profile != MtuProfile::OVS) {
    FragResult fr;
    Status st = with_growth(segs, [&](Batch& b) { return ipv4_fragment(work, w, eff, b, &fr); });
    if (st != Status::OK) return st;
    if (fr.drop != DropReason::NONE) step->drop = uint16_t(fr.drop);
    else step->split = true;
    return Status::OK;
  }
  DropReason reason = v == MtuVerdict::TOO_BIG_V6   ? DropReason::MTU_EXCEEDED_IPV6
                      : v == MtuVerdict::TOO_BIG_DF ? DropReason::MTU_EXCEEDED_DF
                                                    : DropReason::MTU_EXCEEDED_NO_FRAG;
  step->drop = uint16_t(reason);
  if (profile == MtuProfile::OVS || reason == DropReason::MTU_EXCEEDED_NO_FRAG || !icmp_error_allowed(work, w))
    return Status::OK;
  IcmpErrorOptions opt;
  std::memcpy(opt.src_mac, a + 10, 6);
  Batch o = out;  // a view: errors are appended to the caller's output batch
  uint32_t before = out.count();
  Status st;
  if (reason == DropReason::MTU_EXCEEDED_IPV6) {
    std::memcpy(opt.src_ip, a + 20, 16);
    st = icmpv6_packet_too_big(work, w, eff, opt, o);
  } else {
    std::memcpy(opt.src_ip, a + 16, 4);
    st = icmp_frag_needed(work, w, uint16_t(eff), opt, o);
  }
  if (st == Status::OUTPUT_FULL) return st;
  step->errors = out.count() - before;  // BAD_ARGUMENT (no IP header to quote): no error sent
  return Status::OK;
}

Status gso_action(Batch& work, uint32_t w, ByteView arg, SegmentBatch& segs, OffloadStep* step) {
  *step = OffloadStep();
  GsoOptions opt;
  opt.profile = GsoProfile(arg.data()[0]);
  GsoResult gr;
  Status st = with_growth(segs, [&](Batch& b) { return gso_packet(work, w, b, opt, &gr); });
  if (st != Status::OK) return st;
  if (gr.drop != DropReason::NONE) step->drop = uint16_t(gr.drop);
  else step->split = true;
  return Status::OK;
}

uint16_t csum_complete_action(Batch& work, uint32_t w, ByteView arg) {
  return uint16_t(csum_complete_packet(work, w, ZeroFold::MANGLE, CsumEngine(arg.data()[0])));
}

}  // namespace vs
