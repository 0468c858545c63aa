// MPLSoGRE receive (RFC 4023): the GRE header checks (tunnel_gre_decap.cc)
// with protocol 0x8847, then the label stack.
#include "tunnel_decap_steps.h"

namespace vs {

DropReason mplsogre_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx,
                               TunnelMeta* meta, DecapResult* res) {
  size_t len = 0;
  DropReason r = gre_header_check(pkt, off, wire_short, rx, meta, 0x8847, &len);
  if (r != DropReason::NONE) return r;
  meta->type = uint8_t(TunnelType::MPLSOGRE);
  meta->flags |= kTunFlagMplsogre;
  return mpls_decap_step(pkt, off + len, wire_short, rx, meta, res);
}

}  // namespace vs
