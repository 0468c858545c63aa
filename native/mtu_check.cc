#include "mtu_check.h"

#include "gso_slice.h"
#include "virtio_net_hdr.h"

namespace vs {

MtuVerdict mtu_check(const Batch& b, uint32_t i, uint32_t ip_mtu, uint32_t frame_limit, uint32_t* ip_len) {
  *ip_len = 0;
  MutByteView pkt = b.packet(i);
  uint32_t wire = b.u32(COL_WIRE_LENGTH)[i];
  uint16_t l3 = b.u16(COL_L3)[i];
  uint8_t vihl = 0;
  if (l3 == kAbsent || !pkt.view().u8(l3, vihl) || ((vihl >> 4) != 4 && (vihl >> 4) != 6))
    return frame_limit && wire > frame_limit ? MtuVerdict::NOT_IP : MtuVerdict::FITS;
  bool v6 = (vihl >> 4) == 6;
  uint32_t len = wire > l3 ? wire - l3 : 0;
  uint16_t f = 0;
  if (!v6 && pkt.has(l3, 20)) {
    uint16_t tot = load_be16(pkt.data() + l3 + 2);
    if (tot) len = tot;
    f = load_be16(pkt.data() + l3 + 6);
  } else if (v6 && pkt.has(l3, 40)) {
    uint16_t pl = load_be16(pkt.data() + l3 + 4);
    if (pl) len = 40u + pl;
  }
  uint32_t frame_extra = l3;  // L2 bytes in front of the IP packet
  uint8_t type = uint8_t(b.u16(COL_GSO_TYPE)[i] & ~kGsoEcn);
  uint16_t gso = b.u16(COL_GSO_SIZE)[i];
  if (type != GSO_NONE && gso) {
    GsoChain c;
    if (gso_chain_find(b, i, 0, type != GSO_UDP, &c) == DropReason::NONE && c.payload > gso) {
      if (type == GSO_UDP) {
        len = (c.l4 - l3) + (gso & ~7u);
      } else {
        len = (c.hdr_len - l3) + gso;
      }
    }
  }
  *ip_len = len;
  bool fits = len <= ip_mtu && (!frame_limit || len + frame_extra <= frame_limit);
  if (fits) return MtuVerdict::FITS;
  if (v6) return MtuVerdict::TOO_BIG_V6;
  return (f & 0x4000) ? MtuVerdict::TOO_BIG_DF : MtuVerdict::FRAGMENT;
}

}  // namespace vs
