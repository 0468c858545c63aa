#include "batch.h"

#include <cstring>
#include <initializer_list>

namespace vs {
namespace {

constexpr uint32_t kElementSize[kColumnCount] = {
#define X(name, bytes) bytes,
    VS_BATCH_COLUMNS(X)
#undef X
};

constexpr const char* kColumnName[kColumnCount] = {
#define X(name, bytes) #name,
    VS_BATCH_COLUMNS(X)
#undef X
};

uint64_t align8(uint64_t v) { return (v + 7) & ~uint64_t(7); }

const FlowKey kZeroKey{};

}  // namespace

uint32_t column_element_size(Column c) { return c < kColumnCount ? kElementSize[c] : 0; }
const char* column_name(Column c) { return c < kColumnCount ? kColumnName[c] : nullptr; }

Status batch_layout(uint32_t capacity, uint32_t data_size, BatchLayout* out) {
  if (capacity == 0) return Status::BAD_ARGUMENT;
  uint64_t pos = sizeof(BatchHeader);
  out->header_size = sizeof(BatchHeader);
  for (uint32_t c = 0; c < kColumnCount; c++) {
    out->column_offset[c] = uint32_t(pos);
    pos = align8(pos + uint64_t(capacity) * kElementSize[c]);
    if (pos > UINT32_MAX) return Status::BAD_ARGUMENT;
  }
  out->key_offset = uint32_t(pos);
  pos = align8(pos + uint64_t(capacity) * sizeof(FlowKey));
  out->data_offset = uint32_t(pos);
  pos += data_size;
  if (pos > UINT32_MAX) return Status::BAD_ARGUMENT;
  out->total_size = uint32_t(pos);
  return Status::OK;
}

namespace {
Status init_header(uint8_t* buf, size_t len, uint32_t capacity, uint32_t data_size, uint32_t headroom,
                   uint32_t tailroom, bool zero);
}  // namespace

Status batch_init(uint8_t* buf, size_t len, uint32_t capacity, uint32_t data_size,
                  uint32_t headroom, uint32_t tailroom) {
  return init_header(buf, len, capacity, data_size, headroom, tailroom, true);
}

Status batch_init_zeroed(uint8_t* buf, size_t len, uint32_t capacity, uint32_t data_size,
                         uint32_t headroom, uint32_t tailroom) {
  return init_header(buf, len, capacity, data_size, headroom, tailroom, false);
}

namespace {
Status init_header(uint8_t* buf, size_t len, uint32_t capacity, uint32_t data_size, uint32_t headroom,
                   uint32_t tailroom, bool zero) {
  BatchLayout layout;
  Status st = batch_layout(capacity, data_size, &layout);
  if (st != Status::OK) return st;
  if (buf == nullptr || len < layout.total_size) return Status::BAD_ARGUMENT;
  if (zero) std::memset(buf, 0, layout.data_offset);
  auto* h = reinterpret_cast<BatchHeader*>(buf);
  h->magic = kBatchMagic;
  h->version = kBatchVersion;
  h->header_size = sizeof(BatchHeader);
  h->capacity = capacity;
  h->count = 0;
  h->data_offset = layout.data_offset;
  h->data_size = data_size;
  h->data_used = 0;
  h->headroom = headroom;
  h->tailroom = tailroom;
  h->total_size = layout.total_size;
  h->key_offset = layout.key_offset;
  h->key_size = sizeof(FlowKey);
  h->column_count = kColumnCount;
  for (uint32_t c = 0; c < kColumnCount; c++) h->column_offset[c] = layout.column_offset[c];
  return Status::OK;
}
}  // namespace

Status Batch::open(uint8_t* buf, size_t len, Batch* out) {
  if (buf == nullptr || len < sizeof(BatchHeader)) return Status::BAD_BATCH;
  if ((reinterpret_cast<uintptr_t>(buf) & 7) != 0) return Status::BAD_BATCH;
  auto* h = reinterpret_cast<BatchHeader*>(buf);
  if (h->magic != kBatchMagic || h->version != kBatchVersion ||
      h->header_size != sizeof(BatchHeader) || h->key_size != sizeof(FlowKey) ||
      h->column_count != kColumnCount)
    return Status::BAD_BATCH;
  BatchLayout layout;
  if (batch_layout(h->capacity, h->data_size, &layout) != Status::OK) return Status::BAD_BATCH;
  if (layout.total_size != h->total_size || layout.total_size > len ||
      layout.key_offset != h->key_offset || layout.data_offset != h->data_offset)
    return Status::BAD_BATCH;
  for (uint32_t c = 0; c < kColumnCount; c++)
    if (layout.column_offset[c] != h->column_offset[c]) return Status::BAD_BATCH;
  if (h->count > h->capacity || h->data_used > h->data_size) return Status::BAD_BATCH;
  out->buf_ = buf;
  out->len_ = len;
  out->hdr_ = h;
  return Status::OK;
}

bool Batch::packet_valid(uint32_t i) const {
  if (i >= hdr_->count) return false;
  uint64_t start = u32(COL_SLOT_START)[i], end = u32(COL_SLOT_END)[i];
  uint64_t off = u32(COL_OFFSET)[i], length = u32(COL_LENGTH)[i];
  return start <= off && off + length <= end && end <= hdr_->data_size;
}

MutByteView Batch::packet(uint32_t i) const {
  if (!packet_valid(i)) return MutByteView();
  return MutByteView(data_area() + u32(COL_OFFSET)[i], u32(COL_LENGTH)[i]);
}

uint32_t Batch::headroom(uint32_t i) const {
  return packet_valid(i) ? u32(COL_OFFSET)[i] - u32(COL_SLOT_START)[i] : 0;
}

uint32_t Batch::tailroom(uint32_t i) const {
  return packet_valid(i) ? u32(COL_SLOT_END)[i] - (u32(COL_OFFSET)[i] + u32(COL_LENGTH)[i]) : 0;
}

Status Batch::append(const uint8_t* bytes, uint32_t length, uint32_t wire_length, uint32_t ts_sec,
                     uint32_t ts_nsec, uint32_t in_port) {
  BatchHeader& h = *hdr_;
  if (h.count >= h.capacity) return Status::BATCH_FULL;
  uint64_t slot = uint64_t(h.headroom) + length + h.tailroom;
  uint64_t start = h.data_used;
  if (start + slot > h.data_size) return Status::BATCH_FULL;
  uint32_t i = h.count;
  uint32_t off = uint32_t(start + h.headroom);
  if (length) std::memcpy(data_area() + off, bytes, length);
  // One store per column and word (append is per packet: no loops over the
  // layout, no variable-size memset): the packet's values, kAbsent for
  // layer offsets, 0 for the rest and for the flow key.
  static_assert(kColumnCount == 25, "Batch::append writes every column: add the new one here");
  uint64_t end = align8(start + slot);
  if (end > h.data_size) end = start + slot;
  u32(COL_OFFSET)[i] = off;
  u32(COL_LENGTH)[i] = length;
  u32(COL_WIRE_LENGTH)[i] = wire_length;
  u32(COL_SLOT_START)[i] = uint32_t(start);
  u32(COL_SLOT_END)[i] = uint32_t(end);
  u32(COL_TS_SEC)[i] = ts_sec;
  u32(COL_TS_NSEC)[i] = ts_nsec;
  u32(COL_FLAGS)[i] = 0;
  u32(COL_HASH)[i] = 0;
  u32(COL_IN_PORT)[i] = in_port;
  u32(COL_TUN_ID)[i] = 0;
  u32(COL_NEXT)[i] = 0;
  u16(COL_DROP)[i] = 0;
  for (Column c : {COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4})
    u16(c)[i] = kAbsent;
  for (Column c : {COL_GSO_TYPE, COL_GSO_SIZE, COL_CSUM_START, COL_CSUM_OFFSET}) u16(c)[i] = 0;
  // A copy of a constant, which compilers inline as a few vector stores (a
  // memset of this size becomes `rep stos`, slower than the rest of append).
  std::memcpy(key(i), &kZeroKey, sizeof(FlowKey));
  h.data_used = uint32_t(end);
  h.count = i + 1;
  return Status::OK;
}

Status Batch::push_head(uint32_t i, uint32_t n) {
  if (!packet_valid(i)) return Status::BAD_BATCH;
  if (headroom(i) < n) return Status::NO_HEADROOM;
  u32(COL_OFFSET)[i] -= n;
  u32(COL_LENGTH)[i] += n;
  u32(COL_WIRE_LENGTH)[i] += n;
  return Status::OK;
}

Status Batch::pull_head(uint32_t i, uint32_t n) {
  if (!packet_valid(i)) return Status::BAD_BATCH;
  if (u32(COL_LENGTH)[i] < n) return Status::BAD_ARGUMENT;
  u32(COL_OFFSET)[i] += n;
  u32(COL_LENGTH)[i] -= n;
  uint32_t& wire = u32(COL_WIRE_LENGTH)[i];
  wire = wire >= n ? wire - n : 0;
  return Status::OK;
}

Status Batch::put_tail(uint32_t i, uint32_t n) {
  if (!packet_valid(i)) return Status::BAD_BATCH;
  if (tailroom(i) < n) return Status::NO_TAILROOM;
  u32(COL_LENGTH)[i] += n;
  u32(COL_WIRE_LENGTH)[i] += n;
  return Status::OK;
}

Status Batch::trim_tail(uint32_t i, uint32_t n) {
  if (!packet_valid(i)) return Status::BAD_BATCH;
  if (u32(COL_LENGTH)[i] < n) return Status::BAD_ARGUMENT;
  u32(COL_LENGTH)[i] -= n;
  uint32_t& wire = u32(COL_WIRE_LENGTH)[i];
  wire = wire >= n ? wire - n : 0;
  return Status::OK;
}

}  // namespace vs
