// The MPLS part of MPLSoUDP and MPLSoGRE decap: walk the label stack to the
// bottom of stack, look the bottom label up, check the payload it announces.
#include "tunnel_decap_steps.h"

namespace vs {

DropReason mpls_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx, TunnelMeta* meta,
                           DecapResult* res) {
  uint32_t lse = 0;
  uint32_t n = 0;
  for (;;) {
    if (!pkt.be32(off, lse)) return missing(wire_short, DropReason::TRUNCATED_MPLS);
    if (n < 2) meta->lse[n] = lse;
    n++;
    off += 4;
    if (lse & 0x100) break;
    if (n == kTunnelDecapMaxLabels)
      return pkt.has(off, 4) ? DropReason::MPLS_LABEL_STACK_TOO_DEEP : missing(wire_short, DropReason::TRUNCATED_MPLS);
  }
  meta->n_labels = uint8_t(n);
  meta->label = lse >> 12;
  MplsLabelEntry entry;
  if (!rx.label(lse >> 12, &entry)) return DropReason::INVALID_LABEL;
  if (entry.payload == MplsPayload::IP) {
    uint8_t v;
    if (!pkt.u8(off, v)) return missing(wire_short, DropReason::TUNNEL_PAYLOAD_NOT_IP);
    if ((v >> 4) != 4 && (v >> 4) != 6) return DropReason::TUNNEL_PAYLOAD_NOT_IP;
    res->inner_off = off;
    res->ip_payload = true;
    res->macs = entry.macs;
    meta->flags |= kTunFlagL3Payload;
    return DropReason::NONE;
  }
  if (entry.control_word) {
    uint8_t cw;
    if (!pkt.u8(off, cw) || !pkt.has(off, 4)) return missing(wire_short, DropReason::TRUNCATED_ETHERNET);
    if ((cw >> 4) != 0) return DropReason::BAD_CONTROL_WORD;
    off += 4;
  }
  res->inner_off = off;
  return inner_ethernet_check(pkt, off, wire_short, rx);
}

}  // namespace vs
