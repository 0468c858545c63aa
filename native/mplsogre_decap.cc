// GRE receive checks for MPLSoGRE (RFC 2784, RFC 2890 key and sequence,
// RFC 4023 protocol 0x8847): version 0, flags within the accepted set
// (vRouter: C and K), checksum verified when present.
#include "csum.h"
#include "tunnel_decap_steps.h"

namespace vs {

DropReason mplsogre_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx,
                               TunnelMeta* meta, DecapResult* res) {
  uint16_t word, proto;
  if (!pkt.be16(off, word) || !pkt.be16(off + 2, proto)) return missing(wire_short, DropReason::TRUNCATED_GRE);
  if ((word & 0x0007) != 0) return DropReason::BAD_GRE_VERSION;
  uint16_t flag_bits = word & 0xFFF8;
  if ((flag_bits & ~rx.gre_accept) != 0) return DropReason::GRE_FLAGS_NOT_ACCEPTED;
  if (proto != 0x8847) return DropReason::GRE_UNSUPPORTED_PROTOCOL;
  bool c = word & 0x8000, r = word & 0x4000, k = word & 0x2000, s = word & 0x1000;
  size_t len = 4 + ((c || r) ? 4 : 0) + (k ? 4 : 0) + (s ? 4 : 0);
  if (!pkt.has(off, len)) return missing(wire_short, DropReason::TRUNCATED_GRE);
  if (c) {
    if (wire_short) return DropReason::TRUNCATED_CAPTURE;
    if (csum_fold(csum_add_bytes(0, pkt.from(off))) != 0xFFFF) return DropReason::BAD_GRE_CHECKSUM;
    meta->flags |= kTunFlagCsum;
  }
  if (k) {
    pkt.be32(off + 4 + ((c || r) ? 4 : 0), meta->gre_key);
    meta->flags |= kTunFlagKey;
  }
  meta->type = uint8_t(TunnelType::MPLSOGRE);
  meta->flags |= kTunFlagMplsogre;
  return mpls_decap_step(pkt, off + len, wire_short, rx, meta, res);
}

}  // namespace vs
