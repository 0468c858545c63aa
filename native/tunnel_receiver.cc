#include "tunnel_receiver.h"

namespace vs {
namespace {

uint32_t le32(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }
uint16_t le16(const uint8_t* p) { return uint16_t(p[0] | p[1] << 8); }

// Index of the first element >= key in a sorted array of n records.
uint32_t lower_bound(const uint8_t* base, uint32_t n, uint32_t stride, uint32_t key) {
  uint32_t lo = 0, hi = n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (le32(base + size_t(mid) * stride) < key) lo = mid + 1; else hi = mid;
  }
  return lo;
}

}  // namespace

bool TunnelReceiver::vni_known(uint32_t vni) const {
  if (flags & kRxAnyVni) return true;
  uint32_t k = lower_bound(vnis, n_vnis, 4, vni);
  return k < n_vnis && le32(vnis + size_t(k) * 4) == vni;
}

bool TunnelReceiver::label(uint32_t value, MplsLabelEntry* out) const {
  uint32_t k = lower_bound(labels, n_labels, kLabelEntrySize, value);
  if (k >= n_labels) return false;
  const uint8_t* e = labels + size_t(k) * kLabelEntrySize;
  if (le32(e) != value) return false;
  out->label = value;
  out->payload = MplsPayload(e[4]);
  out->control_word = e[5] != 0;
  out->macs = e + 8;
  return true;
}

Status tunnel_receiver_load(ByteView bytes, TunnelReceiver* out) {
  if (bytes.size() < kReceiverHeaderSize) return Status::BAD_ARGUMENT;
  const uint8_t* b = bytes.data();
  if (le32(b) != kTunnelReceiverMagic) return Status::BAD_ARGUMENT;
  TunnelReceiver r;
  r.flags = le32(b + 4);
  r.vxlan_port = le16(b + 8);
  r.mplsoudp_port = le16(b + 10);
  r.gre_accept = le16(b + 12);
  r.n_vnis = le32(b + 16);
  r.n_labels = le32(b + 20);
  if ((r.flags & ~kRxFlagsMask) || (r.gre_accept & 0x0007)) return Status::BAD_ARGUMENT;
  uint64_t need = kReceiverHeaderSize + uint64_t(r.n_vnis) * 4 + uint64_t(r.n_labels) * kLabelEntrySize;
  if (need != bytes.size()) return Status::BAD_ARGUMENT;
  r.vnis = b + kReceiverHeaderSize;
  r.labels = r.vnis + size_t(r.n_vnis) * 4;
  for (uint32_t k = 0; k < r.n_vnis; k++) {
    uint32_t v = le32(r.vnis + size_t(k) * 4);
    if (v >= (1u << 24) || (k > 0 && v <= le32(r.vnis + size_t(k - 1) * 4))) return Status::BAD_ARGUMENT;
  }
  for (uint32_t k = 0; k < r.n_labels; k++) {
    const uint8_t* e = r.labels + size_t(k) * kLabelEntrySize;
    uint32_t v = le32(e);
    if (v >= (1u << 20) || (k > 0 && v <= le32(e - kLabelEntrySize))) return Status::BAD_ARGUMENT;
    if (e[4] != uint8_t(MplsPayload::IP) && e[4] != uint8_t(MplsPayload::ETHERNET)) return Status::BAD_ARGUMENT;
    if (e[5] > 1 || (e[5] && e[4] != uint8_t(MplsPayload::ETHERNET))) return Status::BAD_ARGUMENT;
  }
  *out = r;
  return Status::OK;
}

}  // namespace vs
