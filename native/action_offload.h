// The offload actions of action programs (action.h): CHECK_MTU, GSO and
// CSUM_COMPLETE. They call the offload operations (mtu_check.h, ipv4_frag.h,
// icmp_error.h, gso_segment.h, csum_complete.h) on the executor's working
// packet; none reimplements them.
//
// Arguments (little-endian, addresses in wire order):
//   CHECK_MTU      u32 ip_mtu | u32 frame_limit (0 = none) | u8 MtuProfile | u8 0 |
//                  6 ICMP source MAC | 4 ICMP source IPv4 | 16 ICMP source IPv6   (36 bytes)
//   GSO            u8 GsoProfile (0 linux, 1 ovs) | u8 0                           (2 bytes)
//   CSUM_COMPLETE  u8 CsumEngine (0 correct, 1 bad-hw-csum, 2 nested-mplsogre-csum,
//                  3 vxlan-vlan-gso) | u8 0                                       (2 bytes)
//
// CHECK_MTU (mtu_check): a packet that fits goes on. Too big:
//   * a GSO packet with the vrouter profile: gso_size shrinks by the excess
//     (segment + encap fits; below 1: GSO_SIZE_TOO_SMALL);
//   * IPv4 without DF, linux / vrouter: ipv4_fragment at ip_mtu; the rest of
//     the program runs on every fragment;
//   * otherwise dropped: MTU_EXCEEDED_DF, MTU_EXCEEDED_IPV6, or
//     MTU_EXCEEDED_NO_FRAG (ovs without DF, not IP); with linux / vrouter a
//     DF / IPv6 drop also sends ICMP frag-needed / Packet Too Big (the MTU:
//     ip_mtu, or frame_limit minus the L2 header when smaller) from the given
//     source to the packet's in-port (icmp_error_allowed permitting).
// GSO (gso_packet): the packet becomes its segments (one when it needs no
//   segmentation); the rest of the program runs on every segment. Checksums
//   are completed (never left partial). A refused packet drops with the
//   segmenter's reason.
// CSUM_COMPLETE (csum_complete_packet, zero written as 0xFFFF as
//   skb_checksum_help): completes a partial checksum; a fault engine marks
//   FLAG_FAULT on the packets it touched.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "batch.h"
#include "bytes.h"
#include "status.h"

namespace vs {

constexpr size_t kCheckMtuArgSize = 36;
constexpr size_t kGsoArgSize = 2;
constexpr size_t kCsumCompleteArgSize = 2;

enum class MtuProfile : uint8_t { LINUX = 0, OVS = 1, VROUTER = 2 };

// BAD_ARGUMENT unless the argument has the right size, reserved bytes 0 and
// values in range (ip_mtu 68..65535, frame_limit 0 or 60..65535+).
Status check_mtu_validate(ByteView arg);
Status gso_action_validate(ByteView arg);
Status csum_complete_validate(ByteView arg);

// A growable batch for the segments / fragments of one packet. Starts small,
// doubles on demand up to kMaxBytes of data (then OUTPUT_FULL).
class SegmentBatch {
 public:
  static constexpr uint32_t kHeadroom = 256;  // room for a tunnel header and tags pushed after GSO
  static constexpr uint64_t kMaxBytes = uint64_t(64) << 20;  // 65535 one-byte TCP segments need ~26 MiB

  // Empties the batch (allocating it the first time).
  Status reset();
  // Doubles capacity and data area; the contents are dropped.
  Status grow();
  Batch& batch() { return batch_; }

 private:
  Status alloc(uint32_t capacity, uint32_t data);
  std::vector<uint64_t> mem_;
  Batch batch_;
};

// What an offload action decided for the working packet.
struct OffloadStep {
  uint16_t drop = 0;       // DropReason: the packet stops here
  bool split = false;      // the packet was replaced by the packets of `segs`
  uint32_t errors = 0;     // ICMP errors appended to `out`
};

// CHECK_MTU on packet w of work (validated arg). May change COL_GSO_SIZE,
// fill segs with fragments, or drop and append an ICMP error to out.
// OUTPUT_FULL when out has no room for the error (or segs cannot grow).
Status check_mtu_action(Batch& work, uint32_t w, ByteView arg, SegmentBatch& segs, const Batch& out,
                        OffloadStep* step);
// GSO on packet w of work into segs (always split unless dropped).
Status gso_action(Batch& work, uint32_t w, ByteView arg, SegmentBatch& segs, OffloadStep* step);
// CSUM_COMPLETE on packet w: returns the DropReason value or 0.
uint16_t csum_complete_action(Batch& work, uint32_t w, ByteView arg);

}  // namespace vs
