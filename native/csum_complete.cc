#include "csum_complete.h"

#include "csum.h"

namespace vs {

namespace {

// Sums from sum_start (which may differ from start under a fault) to the end
// and writes the result at start + offset.
bool complete_from(MutByteView pkt, uint32_t start, uint32_t offset, uint32_t sum_start, ZeroFold zero,
                   bool no_pseudo) {
  uint64_t field = uint64_t(start) + offset;
  if (start > pkt.size() || sum_start > pkt.size() || !pkt.has(size_t(field), 2)) return false;
  uint8_t* f = pkt.data() + field;
  if (no_pseudo) store_be16(f, 0);
  uint32_t sum = csum_add_bytes(0, pkt.data() + sum_start, pkt.size() - sum_start);
  uint16_t c = csum_finish(sum);
  if (c == 0 && zero == ZeroFold::MANGLE) c = 0xFFFF;
  store_be16(f, c);
  return true;
}

// Where a faulty engine starts its sum for packet i, or `start` when the
// fault does not apply to this packet (*applies = false).
uint32_t fault_start(const Batch& b, uint32_t i, uint32_t start, CsumEngine engine, bool* applies) {
  *applies = false;
  ByteView p = b.packet(i).view();
  uint16_t tnl = b.u16(COL_TNL)[i], l2 = b.u16(COL_L2)[i], l3 = b.u16(COL_L3)[i];
  if (engine == CsumEngine::FAULT_NO_PSEUDO) {
    *applies = true;
  } else if (engine == CsumEngine::FAULT_FROM_TUNNEL) {
    uint16_t gre_proto = 0;
    uint8_t oproto = 0, v = 0;
    if (tnl != kAbsent && l3 != kAbsent && p.u8(l3, v) && p.u8(l3 + ((v >> 4) == 6 ? 6u : 9u), oproto) &&
        oproto == 47 && p.be16(tnl + 2u, gre_proto) && gre_proto == 0x8847 && tnl < start) {
      *applies = true;
      return tnl;
    }
  } else if (engine == CsumEngine::FAULT_TAG_SHIFT) {
    uint8_t oproto = 0, v = 0;
    if (tnl != kAbsent && l2 != kAbsent && l3 != kAbsent && l3 >= l2 + 18u && (b.u32(COL_FLAGS)[i] & FLAG_VLAN) &&
        p.u8(l3, v) && p.u8(l3 + ((v >> 4) == 6 ? 6u : 9u), oproto) && oproto == 17 && start >= 4) {
      *applies = true;
      return start - 4;
    }
  }
  return start;
}

}  // namespace

bool csum_complete_bytes(MutByteView pkt, uint32_t start, uint32_t offset, ZeroFold zero, CsumEngine engine) {
  return complete_from(pkt, start, offset, start, zero, engine == CsumEngine::FAULT_NO_PSEUDO);
}

DropReason csum_complete_packet(const Batch& b, uint32_t i, ZeroFold zero, CsumEngine engine) {
  uint32_t& flags = b.u32(COL_FLAGS)[i];
  if (!(flags & FLAG_NEEDS_CSUM)) return DropReason::NONE;
  if (!b.packet_valid(i)) return DropReason::BAD_PACKET_SLOT;
  if (b.u32(COL_LENGTH)[i] < b.u32(COL_WIRE_LENGTH)[i]) return DropReason::TRUNCATED_CAPTURE;
  uint32_t start = b.u16(COL_CSUM_START)[i];
  bool faulty = false;
  uint32_t sum_start = engine == CsumEngine::CORRECT ? start : fault_start(b, i, start, engine, &faulty);
  if (!complete_from(b.packet(i), start, b.u16(COL_CSUM_OFFSET)[i], sum_start, zero,
                     faulty && engine == CsumEngine::FAULT_NO_PSEUDO))
    return DropReason::CSUM_OFFSET_OUT_OF_PACKET;
  flags &= ~uint32_t(FLAG_NEEDS_CSUM | FLAG_L4_CSUM_PARTIAL);
  if (faulty) flags |= FLAG_FAULT;
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
