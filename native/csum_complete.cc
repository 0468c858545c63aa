#include "csum_complete.h"

#include "csum.h"

namespace vs {

bool csum_complete_bytes(MutByteView pkt, uint32_t start, uint32_t offset, ZeroFold zero, CsumEngine engine) {
  uint64_t field = uint64_t(start) + offset;
  if (start > pkt.size() || !pkt.has(size_t(field), 2)) return false;
  uint8_t* f = pkt.data() + field;
  if (engine == CsumEngine::FAULT_NO_PSEUDO) store_be16(f, 0);
  uint32_t sum = csum_add_bytes(0, pkt.data() + start, pkt.size() - start);
  uint16_t c = csum_finish(sum);
  if (c == 0 && zero == ZeroFold::MANGLE) c = 0xFFFF;
  store_be16(f, c);
  return true;
}

DropReason csum_complete_packet(const Batch& b, uint32_t i, ZeroFold zero, CsumEngine engine) {
  uint32_t& flags = b.u32(COL_FLAGS)[i];
  if (!(flags & FLAG_NEEDS_CSUM)) return DropReason::NONE;
  if (!b.packet_valid(i)) return DropReason::BAD_PACKET_SLOT;
  if (b.u32(COL_LENGTH)[i] < b.u32(COL_WIRE_LENGTH)[i]) return DropReason::TRUNCATED_CAPTURE;
  if (!csum_complete_bytes(b.packet(i), b.u16(COL_CSUM_START)[i], b.u16(COL_CSUM_OFFSET)[i], zero, engine))
    return DropReason::CSUM_OFFSET_OUT_OF_PACKET;
  flags &= ~uint32_t(FLAG_NEEDS_CSUM | FLAG_L4_CSUM_PARTIAL);
  if (engine != CsumEngine::CORRECT) flags |= FLAG_FAULT;
  return DropReason::NONE;
}

uint32_t csum_complete_batch(const Batch& b, ZeroFold zero, CsumEngine engine) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < b.count(); i++) {
    if (b.dropped(i) || !(b.u32(COL_FLAGS)[i] & FLAG_NEEDS_CSUM)) continue;
    DropReason r = csum_complete_packet(b, i, zero, engine);
    if (r != DropReason::NONE) {
      b.mark_drop(i, uint16_t(r));
    } else {
      n++;
    }
  }
  return n;
}

}  // namespace vs
