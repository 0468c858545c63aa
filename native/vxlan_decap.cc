// VXLAN receive checks (RFC 7348 section 5): I flag set, VNI known; other
// reserved bits ignored.
#include "tunnel_decap_steps.h"

namespace vs {

DropReason vxlan_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx,
                            TunnelMeta* meta, DecapResult* res) {
  uint32_t w0, w1;
  if (!pkt.be32(off, w0) || !pkt.be32(off + 4, w1)) return missing(wire_short, DropReason::TRUNCATED_VXLAN);
  if ((w0 & 0x08000000u) == 0) return DropReason::VXLAN_I_FLAG_CLEAR;
  uint32_t vni = w1 >> 8;
  if (!rx.vni_known(vni)) return DropReason::INVALID_VNID;
  meta->type = uint8_t(TunnelType::VXLAN);
  meta->vni = vni;
  meta->flags |= kTunFlagVxlan;
  res->inner_off = off + 8;
  return inner_ethernet_check(pkt, res->inner_off, wire_short, rx);
}

DropReason inner_ethernet_check(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx) {
  uint16_t type;
  if (!pkt.be16(off + 12, type)) return missing(wire_short, DropReason::TRUNCATED_ETHERNET);
  if ((rx.flags & kRxDiscardInnerVlan) && (type == 0x8100 || type == 0x88A8 || type == 0x9100))
    return DropReason::INNER_VLAN_DISCARDED;
  return DropReason::NONE;
}

}  // namespace vs
