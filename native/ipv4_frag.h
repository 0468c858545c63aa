// IPv4 fragmentation (RFC 791) of the outer IP packet of a batch packet, as
// Linux ip_do_fragment's slow path does it: every fragment but the last
// carries (mtu - ihl) & ~7 data bytes; offsets in 8-byte units added to the
// packet's own offset (fragmenting a fragment works); MF on every fragment but
// the last (which keeps the original MF); same ID, TTL and TOS; the first
// fragment keeps all options, later ones get options without the copied bit
// replaced by NOOPs (header length unchanged). A partial L4 checksum
// (FLAG_NEEDS_CSUM) is completed in software first, in the input packet.
//
// The caller decides *whether* to fragment (mtu_check.h): this function does
// not look at DF. Fragments copy the input's columns with L4 absent in
// non-first fragments and FLAG_IP_FRAGMENT set.
//
// Does not: fragment IPv6 (routers never do), fragment an inner packet of a
// tunnel (call it on the inner frame before encap), or decrement TTL.
#pragma once
#include <cstdint>

#include "batch.h"
#include "drop_reason.h"
#include "status.h"

namespace vs {

struct FragResult {
  DropReason drop = DropReason::NONE;
  uint32_t fragments = 0;
};

// Fragments packet i (IPv4 at COL_L3) so that each fragment's IP total length
// is at most mtu. A packet that already fits is copied as one. Drops:
// FRAG_MTU_TOO_SMALL (mtu < ihl + 8), GSO_BAD_HEADERS (not IPv4 / lengths).
// OUTPUT_FULL when out runs out (out left unchanged).
Status ipv4_fragment(const Batch& in, uint32_t i, uint32_t mtu, Batch& out, FragResult* res);

}  // namespace vs
