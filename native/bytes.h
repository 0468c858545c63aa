// Bounds-checked views over packet bytes. Every read of packet data in the
// core goes through these: an out-of-range read returns false (or an empty
// view) instead of touching memory outside the packet.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace vs {

inline bool is_big_endian() {
  const uint16_t probe = 1;
  uint8_t first;
  std::memcpy(&first, &probe, 1);
  return first == 0;
}

inline uint16_t load_be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
inline uint32_t load_be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
inline void store_be16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}

// Read-only view of [data, data + size).
class ByteView {
 public:
  ByteView() = default;
  ByteView(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool has(size_t off, size_t len) const { return off <= size_ && len <= size_ - off; }

  bool u8(size_t off, uint8_t& v) const {
    if (!has(off, 1)) return false;
    v = data_[off];
    return true;
  }
  bool be16(size_t off, uint16_t& v) const {
    if (!has(off, 2)) return false;
    v = load_be16(data_ + off);
    return true;
  }
  bool be32(size_t off, uint32_t& v) const {
    if (!has(off, 4)) return false;
    v = load_be32(data_ + off);
    return true;
  }
  bool copy(size_t off, void* dst, size_t len) const {
    if (!has(off, len)) return false;
    std::memcpy(dst, data_ + off, len);
    return true;
  }
  // Sub-view from off to the end, or of len bytes; empty when out of range.
  ByteView from(size_t off) const { return off <= size_ ? ByteView(data_ + off, size_ - off) : ByteView(); }
  ByteView slice(size_t off, size_t len) const { return has(off, len) ? ByteView(data_ + off, len) : ByteView(); }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Writable view with the same checks.
class MutByteView {
 public:
  MutByteView() = default;
  MutByteView(uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool has(size_t off, size_t len) const { return off <= size_ && len <= size_ - off; }
  ByteView view() const { return ByteView(data_, size_); }

  bool put8(size_t off, uint8_t v) {
    if (!has(off, 1)) return false;
    data_[off] = v;
    return true;
  }
  bool put_be16(size_t off, uint16_t v) {
    if (!has(off, 2)) return false;
    store_be16(data_ + off, v);
    return true;
  }
  bool put_be32(size_t off, uint32_t v) {
    if (!has(off, 4)) return false;
    store_be32(data_ + off, v);
    return true;
  }
  bool write(size_t off, const void* src, size_t len) {
    if (!has(off, len)) return false;
    std::memcpy(data_ + off, src, len);
    return true;
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace vs
