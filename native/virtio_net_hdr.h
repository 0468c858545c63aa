// virtio_net_hdr (legacy 10-byte layout, little-endian; the header a tap with
// IFF_VNET_HDR carries in front of each frame) and its mapping onto the batch
// columns GSO_TYPE, GSO_SIZE, CSUM_START, CSUM_OFFSET and the NEEDS_CSUM /
// DATA_VALID packet flags.
//
//   0      1          2         4          6            8             10
//   +------+----------+---------+----------+------------+-------------+
//   |flags | gso_type | hdr_len | gso_size | csum_start | csum_offset |
//   +------+----------+---------+----------+------------+-------------+
#pragma once
#include <cstddef>
#include <cstdint>

#include "batch.h"

namespace vs {

constexpr uint8_t kVirtioNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kVirtioDataValid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID

// gso_type values (VIRTIO_NET_HDR_GSO_*); kGsoEcn is a flag bit on top.
enum GsoType : uint8_t {
  GSO_NONE = 0,
  GSO_TCPV4 = 1,
  GSO_UDP = 3,  // legacy UFO: IPv4 fragments of one datagram
  GSO_TCPV6 = 4,
  GSO_UDP_L4 = 5,  // USO: one datagram per segment
};
constexpr uint8_t kGsoEcn = 0x80;

struct VirtioNetHdr {
  uint8_t flags = 0;
  uint8_t gso_type = 0;
  uint16_t hdr_len = 0;
  uint16_t gso_size = 0;
  uint16_t csum_start = 0;
  uint16_t csum_offset = 0;
};
constexpr size_t kVirtioNetHdrSize = 10;

// Decodes the 10 wire bytes (little-endian fields).
inline VirtioNetHdr virtio_net_hdr_decode(const uint8_t* b) {
  VirtioNetHdr h;
  h.flags = b[0];
  h.gso_type = b[1];
  h.hdr_len = uint16_t(b[2] | b[3] << 8);
  h.gso_size = uint16_t(b[4] | b[5] << 8);
  h.csum_start = uint16_t(b[6] | b[7] << 8);
  h.csum_offset = uint16_t(b[8] | b[9] << 8);
  return h;
}

// Stores the header into packet i's columns and flags (hdr_len is not kept:
// the segmenter derives it from the parsed headers, as Linux does).
inline void virtio_net_hdr_apply(const Batch& b, uint32_t i, const VirtioNetHdr& h) {
  uint32_t& f = b.u32(COL_FLAGS)[i];
  f &= ~uint32_t(FLAG_NEEDS_CSUM | FLAG_DATA_VALID);
  if (h.flags & kVirtioNeedsCsum) f |= FLAG_NEEDS_CSUM;
  if (h.flags & kVirtioDataValid) f |= FLAG_DATA_VALID;
  b.u16(COL_GSO_TYPE)[i] = h.gso_type;
  b.u16(COL_GSO_SIZE)[i] = h.gso_size;
  b.u16(COL_CSUM_START)[i] = h.csum_start;
  b.u16(COL_CSUM_OFFSET)[i] = h.csum_offset;
}

}  // namespace vs
