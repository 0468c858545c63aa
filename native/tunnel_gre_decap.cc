// GRE receive: the header checks shared by MPLSoGRE and Ethernet over GRE
// (RFC 2784, RFC 2890 key and sequence), and the Ethernet-over-GRE step
// (protocol 0x6558, OVS's gre port / Linux gretap): the key becomes tun_id.
#include "csum.h"
#include "tunnel_decap_steps.h"

namespace vs {

DropReason gre_header_check(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx, TunnelMeta* meta,
                            uint16_t proto, size_t* len) {
  uint16_t word, type;
  if (!pkt.be16(off, word) || !pkt.be16(off + 2, type)) return missing(wire_short, DropReason::TRUNCATED_GRE);
  if ((word & 0x0007) != 0) return DropReason::BAD_GRE_VERSION;
  uint16_t flag_bits = word & 0xFFF8;
  if ((flag_bits & ~rx.gre_accept) != 0) return DropReason::GRE_FLAGS_NOT_ACCEPTED;
  if (type != proto) return DropReason::GRE_UNSUPPORTED_PROTOCOL;
  bool c = word & 0x8000, r = word & 0x4000, k = word & 0x2000, s = word & 0x1000;
  *len = 4 + ((c || r) ? 4 : 0) + (k ? 4 : 0) + (s ? 4 : 0);
  if (!pkt.has(off, *len)) return missing(wire_short, DropReason::TRUNCATED_GRE);
  if (c) {
    if (wire_short) return DropReason::TRUNCATED_CAPTURE;
    if (csum_fold(csum_add_bytes(0, pkt.from(off))) != 0xFFFF) return DropReason::BAD_GRE_CHECKSUM;
    meta->flags |= kTunFlagCsum;
  }
  if (k) {
    pkt.be32(off + 4 + ((c || r) ? 4 : 0), meta->gre_key);
    meta->flags |= kTunFlagKey;
  }
  return DropReason::NONE;
}

DropReason gre_eth_decap_step(ByteView pkt, size_t off, bool wire_short, const TunnelReceiver& rx, TunnelMeta* meta,
                              DecapResult* res) {
  size_t len = 0;
  DropReason r = gre_header_check(pkt, off, wire_short, rx, meta, 0x6558, &len);
  if (r != DropReason::NONE) return r;
  meta->type = uint8_t(TunnelType::GRE);
  meta->flags |= kTunFlagGre;
  res->inner_off = off + len;
  return inner_ethernet_check(pkt, res->inner_off, wire_short, rx);
}

}  // namespace vs
