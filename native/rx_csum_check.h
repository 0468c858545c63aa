// The receiving host's L4 checksum check: what a Linux host (or a VM behind
// a tap without offload) does with a TCP/UDP packet arriving from the wire
// before handing it to its stack. It is how a modelled NIC fault
// (`bad-hw-csum`, `nested-mplsogre-csum`) becomes a visible drop.
//
// Per live packet with IPv4/IPv6 at COL_L3 and TCP/UDP at COL_L4 (parsed):
//   - checksum wrong, or still partial (the pseudo-header sum: nobody
//     completed it) -> BAD_L4_CHECKSUM;
//   - UDP checksum 0 over IPv4: accepted ("none"); over IPv6: BAD_L4_CHECKSUM
//     (RFC 8200 8.1: a host discards it; tunnel endpoints that allow it per
//     RFC 6935 are the tunnel receiver's business, not this check);
//   - FLAG_DATA_VALID (virtio DATA_VALID: the device vouched) skips the check.
// Packets without TCP/UDP, IP fragments and packets whose bytes were not all
// captured pass unchecked.
//
// Does not: decapsulate (run the tunnel receiver first and re-parse), check
// IP header checksums, or look past COL_L4 into tunnels.
#pragma once
#include <cstdint>

#include "batch.h"
#include "drop_reason.h"

namespace vs {

// The verdict for packet i: NONE (good or not checked) or BAD_L4_CHECKSUM.
DropReason rx_l4_csum_check(const Batch& b, uint32_t i);

// Checks every live packet; marks drops. Returns the number dropped.
uint32_t rx_l4_csum_check_batch(const Batch& b);

}  // namespace vs
