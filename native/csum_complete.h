// Checksum completion: turns a partial L4 checksum (virtio NEEDS_CSUM, Linux
// CHECKSUM_PARTIAL: the field holds the folded, uncomplemented pseudo-header
// sum) into the final one, as Linux skb_checksum_help does in software or a
// NIC with NETIF_F_HW_CSUM does in hardware.
//
// The sum runs from CSUM_START to the end of the packet (the field itself,
// holding the pseudo-header sum, is inside the range), is folded and
// complemented, and is written at CSUM_START + CSUM_OFFSET.
//
// Zero folding: when the result is 0, skb_checksum_help writes 0xFFFF for
// every protocol (TCP too; CSUM_MANGLED_0). Linux's TCP GSO path writes 0x0000.
// ZeroFold selects which.
//
// Does not: look at L3/L4 headers (the offsets say where), verify anything,
// complete a packet whose captured bytes are shorter than its wire length.
#pragma once
#include <cstdint>

#include "batch.h"
#include "bytes.h"
#include "drop_reason.h"

namespace vs {

enum class ZeroFold : uint8_t {
  MANGLE = 0,  // computed 0 written as 0xFFFF (skb_checksum_help, UDP everywhere)
  KEEP = 1,    // computed 0 written as 0x0000 (Linux TCP GSO segments)
};

// How the completing party behaves: software / a correct NIC, or one of the
// modelled NIC faults. Every fault writes a wrong checksum (the exact wrong
// value a real NIC writes is not known; any wrong value is dropped alike by
// the receiver) and sets FLAG_FAULT:
//   FAULT_NO_PSEUDO (`bad-hw-csum`, the Broadcom BCM5719 case): advertises HW
//     checksum but leaves the pseudo-header out of the sum;
//   FAULT_FROM_TUNNEL (`nested-mplsogre-csum`): on MPLSoGRE packets (GRE at
//     COL_TNL carrying MPLS) the NIC sums from the GRE header instead of
//     csum_start; other packets are completed correctly;
//   FAULT_TAG_SHIFT (`vxlan-vlan-gso`): on VXLAN over an 802.1Q-tagged
//     underlay the driver's header lengths miss the tag, so its sum starts 4
//     bytes before csum_start; other packets are completed correctly.
enum class CsumEngine : uint8_t { CORRECT = 0, FAULT_NO_PSEUDO = 1, FAULT_FROM_TUNNEL = 2, FAULT_TAG_SHIFT = 3 };

// Completes the checksum in pkt. Returns false (pkt unchanged) when the
// field [start + offset, +2) is not inside pkt or start > size. Of the
// faults only FAULT_NO_PSEUDO applies here (the others need the packet's
// columns: csum_complete_packet).
bool csum_complete_bytes(MutByteView pkt, uint32_t start, uint32_t offset, ZeroFold zero,
                         CsumEngine engine = CsumEngine::CORRECT);

// Completes packet i when it has FLAG_NEEDS_CSUM (otherwise nothing to do:
// NONE). Clears FLAG_NEEDS_CSUM and FLAG_L4_CSUM_PARTIAL; a faulty engine that
// applied to the packet sets FLAG_FAULT. Drops: TRUNCATED_CAPTURE (bytes not captured), CSUM_OFFSET_OUT_OF_PACKET.
DropReason csum_complete_packet(const Batch& b, uint32_t i, ZeroFold zero,
                                CsumEngine engine = CsumEngine::CORRECT);

// Completes every live NEEDS_CSUM packet; marks drops. Returns packets completed.
uint32_t csum_complete_batch(const Batch& b, ZeroFold zero, CsumEngine engine = CsumEngine::CORRECT);

}  // namespace vs
