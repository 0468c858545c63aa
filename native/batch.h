// The packet batch: one buffer shared by JavaScript (an ArrayBuffer, moved
// between threads as a transferable) and the C++ core.
//
//   0            +-----------------------------------------------+
//                | BatchHeader (128 bytes, little-endian)         |
//   header_size  +-----------------------------------------------+
//                | column 0   capacity x element   (8-aligned)    |
//                | ...        one column per Column below         |
//   key_offset   | flow keys  capacity x sizeof(FlowKey)          |
//   data_offset  +-----------------------------------------------+
//                | data area: a slot per packet, bump-allocated:  |
//                |   [headroom][packet bytes][tailroom]           |
//   total_size   +-----------------------------------------------+
//
// Per packet, OFFSET/LENGTH locate the bytes inside the data area (offsets are
// relative to data_offset); SLOT_START/SLOT_END bound what the packet may grow
// into, so an encap moves OFFSET back into the headroom instead of copying.
// Layer offsets are relative to the packet start, kAbsent when missing.
// Stages mark DROP/NEXT instead of removing packets.
//
// JavaScript writes this buffer too, so nothing in it is trusted: Batch::open
// validates the header, and packet() re-checks each packet's slot.
#pragma once
#include <cstddef>
#include <cstdint>

#include "bytes.h"
#include "flow_key.h"
#include "status.h"

namespace vs {

constexpr uint32_t kBatchMagic = 0x31425356;  // "VSB1" little-endian
constexpr uint16_t kBatchVersion = 1;
constexpr uint16_t kAbsent = 0xFFFF;  // layer offset sentinel

// X(name, element bytes). The order is the layout; append only.
#define VS_BATCH_COLUMNS(X)                                              \
  X(OFFSET, 4)       /* packet start within the data area */            \
  X(LENGTH, 4)       /* bytes present (captured length) */              \
  X(WIRE_LENGTH, 4)  /* original length on the wire */                  \
  X(SLOT_START, 4)   /* first byte the packet may use (headroom) */     \
  X(SLOT_END, 4)     /* one past the last byte it may use */            \
  X(TS_SEC, 4)       /* timestamp, seconds */                           \
  X(TS_NSEC, 4)      /* timestamp, nanoseconds */                       \
  X(FLAGS, 4)        /* PacketFlag bits */                              \
  X(HASH, 4)         /* RSS / flow hash */                              \
  X(IN_PORT, 4)      /* datapath port the packet arrived on */          \
  X(TUN_ID, 4)       /* VNI, GRE key or label after decap */            \
  X(NEXT, 4)         /* next stage, output port or action index */      \
  X(DROP, 2)         /* DropReason, NONE when alive */                  \
  X(L2, 2)           /* Ethernet header */                              \
  X(L2_5, 2)         /* first MPLS label stack entry */                 \
  X(L3, 2)           /* IPv4/IPv6/ARP header */                         \
  X(L4, 2)           /* TCP/UDP/ICMP/GRE header */                      \
  X(TNL, 2)          /* tunnel header: VXLAN, Geneve, GRE, MPLS in UDP */ \
  X(INNER_L2, 2)     /* inner Ethernet after a tunnel header */         \
  X(INNER_L3, 2)     /* inner IP */                                     \
  X(INNER_L4, 2)     /* inner TCP/UDP/ICMP */                           \
  X(GSO_TYPE, 2)     /* virtio_net_hdr gso_type */                      \
  X(GSO_SIZE, 2)     /* virtio_net_hdr gso_size */                      \
  X(CSUM_START, 2)   /* virtio_net_hdr csum_start (NEEDS_CSUM) */       \
  X(CSUM_OFFSET, 2)  /* virtio_net_hdr csum_offset */

enum Column : uint32_t {
#define X(name, bytes) COL_##name,
  VS_BATCH_COLUMNS(X)
#undef X
  kColumnCount
};

uint32_t column_element_size(Column c);
const char* column_name(Column c);

enum PacketFlag : uint32_t {
  FLAG_PARSED = 1u << 0,            // layer offsets and flow key are valid
  FLAG_TRUNCATED = 1u << 1,         // captured length < wire length
  FLAG_MALFORMED = 1u << 2,         // parser stopped early; DROP names why
  FLAG_VLAN = 1u << 3,              // at least one VLAN tag
  FLAG_QINQ = 1u << 4,              // two VLAN tags
  FLAG_MPLS = 1u << 5,              // MPLS label stack
  FLAG_TUNNEL = 1u << 6,            // a known tunnel header was found (TNL set)
  FLAG_IP_FRAGMENT = 1u << 7,       // outer IP is a fragment
  FLAG_IP_LENGTH_FROM_FRAME = 1u << 8,  // IPv4 total length 0 (TSO/BIG TCP)
  FLAG_L4_CSUM_PARTIAL = 1u << 9,   // outer L4 checksum holds the pseudo-header sum
  FLAG_NEEDS_CSUM = 1u << 10,       // virtio NEEDS_CSUM: complete at CSUM_START/OFFSET
  FLAG_DATA_VALID = 1u << 11,       // virtio DATA_VALID: checksums already verified
  FLAG_FAULT = 1u << 12,            // a modelled fault changed this packet
  FLAG_CSUM_VERIFIED = 1u << 13,    // the parser verified the outer checksums (ParseOptions.verify_checksums)
  FLAG_IP_CSUM_BAD = 1u << 14,      // verified: the outer IPv4 header checksum is wrong
  FLAG_L4_CSUM_BAD = 1u << 15,      // verified: the outer TCP/UDP checksum is wrong (a partial one is not "bad")
};

struct BatchHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t header_size;
  uint32_t capacity;     // packets the columns hold
  uint32_t count;        // packets in use, [0, capacity]
  uint32_t data_offset;  // start of the data area in the buffer
  uint32_t data_size;    // bytes in the data area
  uint32_t data_used;    // bump allocator position in the data area
  uint32_t headroom;     // bytes reserved before each appended packet
  uint32_t tailroom;     // bytes reserved after each appended packet
  uint32_t total_size;   // bytes in the whole buffer
  uint32_t key_offset;   // start of the flow key array
  uint32_t key_size;     // sizeof(FlowKey)
  uint32_t column_count;
  uint32_t reserved[3];
  uint32_t column_offset[32];  // byte offset of each column, kColumnCount used
};
static_assert(sizeof(BatchHeader) == 192, "BatchHeader is part of the JS contract");
static_assert(kColumnCount <= 32, "column_offset has 32 entries");

struct BatchLayout {
  uint32_t header_size;
  uint32_t column_offset[kColumnCount];
  uint32_t key_offset;
  uint32_t data_offset;
  uint32_t total_size;
};

// Computes the layout for `capacity` packets and a data area of `data_size`
// bytes. Returns BAD_ARGUMENT when the total would not fit in 32 bits.
Status batch_layout(uint32_t capacity, uint32_t data_size, BatchLayout* out);

// Writes a fresh header (count 0) into buf, which must be at least
// layout.total_size bytes.
Status batch_init(uint8_t* buf, size_t len, uint32_t capacity, uint32_t data_size,
                  uint32_t headroom, uint32_t tailroom);
// batch_init for a buffer known to be all zeros (a fresh ArrayBuffer): writes
// only the header.
Status batch_init_zeroed(uint8_t* buf, size_t len, uint32_t capacity, uint32_t data_size,
                         uint32_t headroom, uint32_t tailroom);

// A validated, non-owning handle on a batch buffer.
class Batch {
 public:
  // Checks magic, version, sizes and that every offset matches batch_layout.
  static Status open(uint8_t* buf, size_t len, Batch* out);

  BatchHeader& header() const { return *hdr_; }
  uint32_t count() const { return hdr_->count; }
  uint32_t capacity() const { return hdr_->capacity; }

  uint32_t* u32(Column c) const { return reinterpret_cast<uint32_t*>(buf_ + hdr_->column_offset[c]); }
  uint16_t* u16(Column c) const { return reinterpret_cast<uint16_t*>(buf_ + hdr_->column_offset[c]); }
  FlowKey* key(uint32_t i) const { return reinterpret_cast<FlowKey*>(buf_ + hdr_->key_offset) + i; }
  uint8_t* data_area() const { return buf_ + hdr_->data_offset; }

  // The packet's bytes, or an empty view when its columns are inconsistent
  // (slot outside the data area, bytes outside the slot).
  MutByteView packet(uint32_t i) const;
  bool packet_valid(uint32_t i) const;
  uint32_t headroom(uint32_t i) const;  // 0 when the packet is invalid
  uint32_t tailroom(uint32_t i) const;

  // Appends a copy of bytes with the header's headroom/tailroom. Sets OFFSET,
  // LENGTH, WIRE_LENGTH, SLOT_*, TS_*, IN_PORT; clears the other columns.
  Status append(const uint8_t* bytes, uint32_t length, uint32_t wire_length, uint32_t ts_sec,
                uint32_t ts_nsec, uint32_t in_port);

  // Grows the packet at the front by n bytes (encap) or shrinks it (decap).
  Status push_head(uint32_t i, uint32_t n);
  Status pull_head(uint32_t i, uint32_t n);
  // Grows or shrinks the packet at the end.
  Status put_tail(uint32_t i, uint32_t n);
  Status trim_tail(uint32_t i, uint32_t n);

  void mark_drop(uint32_t i, uint16_t reason) const { u16(COL_DROP)[i] = reason; }
  bool dropped(uint32_t i) const { return u16(COL_DROP)[i] != 0; }

 private:
  uint8_t* buf_ = nullptr;
  size_t len_ = 0;
  BatchHeader* hdr_ = nullptr;
};

}  // namespace vs
