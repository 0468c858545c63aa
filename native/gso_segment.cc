// The GSO dispatcher: chooses the segmenter from COL_GSO_TYPE, copies packets
// that need no segmentation.
#include "gso_segment.h"

#include "gso_slice.h"
#include "virtio_net_hdr.h"

namespace vs {

namespace {

// Copies packet i unchanged (columns included).
Status copy_packet(const Batch& in, uint32_t i, Batch& out, GsoResult* res) {
  uint32_t len = in.u32(COL_LENGTH)[i], j;
  if (slice_emit(in, i, len, 0, 0, out, &j) != Status::OK) return Status::OUTPUT_FULL;
  out.u32(COL_WIRE_LENGTH)[j] = in.u32(COL_WIRE_LENGTH)[i];
  res->segments = 1;
  return Status::OK;
}

}  // namespace

Status gso_packet(const Batch& in, uint32_t i, Batch& out, const GsoOptions& opt, GsoResult* res) {
  *res = GsoResult();
  if (!in.packet_valid(i)) {
    res->drop = DropReason::BAD_PACKET_SLOT;
    return Status::OK;
  }
  uint8_t type = uint8_t(in.u16(COL_GSO_TYPE)[i] & ~kGsoEcn);
  uint32_t size = opt.gso_size ? opt.gso_size : in.u16(COL_GSO_SIZE)[i];
  if (type == GSO_NONE) return copy_packet(in, i, out, res);
  GsoChain c;
  res->drop = gso_chain_find(in, i, 0, type != GSO_UDP, &c);
  if (res->drop != DropReason::NONE) return Status::OK;
  // Linux segments only when the payload exceeds gso_size.
  if (size && c.payload <= size) {
    Status st = copy_packet(in, i, out, res);
    if (st == Status::OK) {
      out.u16(COL_GSO_TYPE)[out.count() - 1] = 0;
      out.u16(COL_GSO_SIZE)[out.count() - 1] = 0;
    }
    return st;
  }
  switch (type) {
    case GSO_TCPV4:
    case GSO_TCPV6:
      return gso_tcp(in, i, out, opt, res);
    case GSO_UDP_L4:
      return gso_udp(in, i, out, opt, res);
    case GSO_UDP:
      return ufo_fragment(in, i, out, opt, res);
    default:
      res->drop = DropReason::GSO_TYPE_MISMATCH;
      return Status::OK;
  }
}

Status gso_batch(const Batch& in, Batch& out, const GsoOptions& opt, uint32_t* consumed) {
  *consumed = 0;
  for (uint32_t i = 0; i < in.count(); i++) {
    if (!in.dropped(i)) {
      GsoResult r;
      Status st = gso_packet(in, i, out, opt, &r);
      if (st != Status::OK) return st;
      if (r.drop != DropReason::NONE) in.mark_drop(i, uint16_t(r.drop));
    }
    *consumed = i + 1;
  }
  return Status::OK;
}

}  // namespace vs
