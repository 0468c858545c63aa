// The receiver side of tunnels: which tunnels a host terminates and its
// tables (known VNIs, MPLS label table), as src/tunnel/receiver.ts
// serializes them. The core reads the tables in place (no copy, no
// allocation); the bytes must outlive the TunnelReceiver.
//
// Serialized layout (little-endian numbers):
//    0 u32 magic "VSR1"      4 u32 flags (kRx*)
//    8 u16 vxlan UDP port   10 u16 MPLSoUDP UDP port
//   12 u16 accepted GRE flag bits (of 0xFFF8 in the first GRE word)
//   14 u16 reserved        16 u32 VNI count   20 u32 label count
//   24 8 bytes reserved
//   32 VNIs, u32 each, strictly ascending, < 2^24
//   then label entries (kLabelEntrySize bytes each), strictly ascending label:
//      u32 label (< 2^20), u8 payload (1 IP, 2 Ethernet), u8 control word
//      (0/1, Ethernet only), u16 reserved, 6-byte destination MAC, 6-byte
//      source MAC (the Ethernet header given to an IP payload after decap,
//      as vRouter's inet nexthop rewrites it).
#pragma once
#include <cstdint>

#include "bytes.h"
#include "status.h"

namespace vs {

constexpr uint32_t kTunnelReceiverMagic = 0x31525356;  // "VSR1" little-endian
constexpr uint32_t kRxVxlan = 1u << 0;               // terminate VXLAN on vxlan_port
constexpr uint32_t kRxMplsoudp = 1u << 1;            // terminate MPLSoUDP on mplsoudp_port
constexpr uint32_t kRxMplsogre = 1u << 2;            // terminate MPLSoGRE (GRE protocol 0x8847)
constexpr uint32_t kRxAnyVni = 1u << 3;              // accept every VNI (no VNI table)
constexpr uint32_t kRxZeroCsumIpv6 = 1u << 4;        // accept zero UDP checksums over IPv6 (RFC 6935)
constexpr uint32_t kRxDiscardInnerVlan = 1u << 5;    // drop decapsulated frames with a VLAN tag
constexpr uint32_t kRxAcceptPartialCsum = 1u << 6;   // accept an outer UDP checksum left to offload
constexpr uint32_t kRxGre = 1u << 7;                 // terminate Ethernet over GRE (protocol 0x6558)
constexpr uint32_t kRxFlagsMask = (1u << 8) - 1;
constexpr uint32_t kReceiverHeaderSize = 32;
constexpr uint32_t kLabelEntrySize = 20;

enum class MplsPayload : uint8_t { IP = 1, ETHERNET = 2 };

struct MplsLabelEntry {
  uint32_t label;
  MplsPayload payload;
  bool control_word;
  const uint8_t* macs;  // 12 bytes: destination then source
};

struct TunnelReceiver {
  uint32_t flags = 0;
  uint16_t vxlan_port = 4789;
  uint16_t mplsoudp_port = 6635;
  uint16_t gre_accept = 0xA000;  // C and K, as vRouter
  const uint8_t* vnis = nullptr;
  uint32_t n_vnis = 0;
  const uint8_t* labels = nullptr;
  uint32_t n_labels = 0;

  bool vni_known(uint32_t vni) const;
  // Looks a label up; false when the table has no entry.
  bool label(uint32_t label, MplsLabelEntry* out) const;
};

// Validates the serialized receiver and points `out` into it. BAD_ARGUMENT
// on a wrong magic, size, unknown flag, unsorted or out-of-range table.
Status tunnel_receiver_load(ByteView bytes, TunnelReceiver* out);

}  // namespace vs
