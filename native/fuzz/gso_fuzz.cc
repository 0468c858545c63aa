// libFuzzer target for the offload operations: GSO (TCP, USO, UFO, tunnel),
// checksum completion (and the NIC fault engines), the receiving host's
// checksum check, MTU check, IPv4 fragmentation, ICMP errors and
// reassembly. Input: byte 0 = gso_type (low 3 bits: 0 none, 1 tcpv4, 3 udp,
// 4 tcpv6, 5 udp_l4) | bit 3 NEEDS_CSUM | bit 4 partial_csum | bit 5 ovs
// profile, bits 6-7 checksum engine (CsumEngine: correct or a NIC fault);
// bytes 1-2 gso_size, 3-4 MTU, 5-6 csum_start, 7 csum_offset; the
// rest is one Ethernet frame. The frame is parsed first (as the datapath
// does). Invariants: every output packet is valid and no operation writes
// outside a packet (ASan), output never exceeds the stated capacity.
#include <cstdint>
#include <vector>

#include "batch.h"
#include "csum_complete.h"
#include "gso_segment.h"
#include "icmp_error.h"
#include "ipv4_frag.h"
#include "mtu_check.h"
#include "fuzz_support.h"
#include "parse.h"
#include "reassembly.h"
#include "rx_csum_check.h"
#include "virtio_net_hdr.h"

using namespace vs;
using vsfuzz::require;
using Owned = vsfuzz::OwnedBatch;

namespace {
void check_all(const Batch& b) {
  for (uint32_t i = 0; i < b.count(); i++) require(b.packet_valid(i));
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8 || size > 70000) return 0;
  Owned in(2, 70000 + 256), out(64, 1 << 18), frags(64, 1 << 18), whole(8, 1 << 18);
  if (in.b.append(data + 8, uint32_t(size - 8), uint32_t(size - 8), 0, 0, 1) != Status::OK) return 0;
  parse_batch(in.b, LINK_ETHERNET, ParseOptions());
  in.b.u16(COL_DROP)[0] = 0;
  VirtioNetHdr h;
  h.gso_type = data[0] & 7;
  h.flags = (data[0] & 8) ? kVirtioNeedsCsum : 0;
  h.gso_size = uint16_t(data[1] | data[2] << 8);
  h.csum_start = uint16_t(data[5] | data[6] << 8);
  h.csum_offset = data[7];
  virtio_net_hdr_apply(in.b, 0, h);
  uint32_t mtu = uint32_t(data[3] | data[4] << 8);

  GsoOptions o;
  o.partial_csum = data[0] & 0x10;
  o.profile = (data[0] & 0x20) ? GsoProfile::OVS : GsoProfile::LINUX;
  GsoResult gr;
  Status st = gso_packet(in.b, 0, out.b, o, &gr);
  require(st == Status::OK || st == Status::OUTPUT_FULL);
  require(out.b.count() <= out.b.capacity());
  check_all(out.b);
  csum_complete_batch(out.b, ZeroFold::MANGLE, CsumEngine(data[0] >> 6));
  rx_l4_csum_check_batch(out.b);
  uint32_t len;
  mtu_check(in.b, 0, mtu, 1518, &len);

  FragResult fr;
  Reassembler ra;
  for (uint32_t k = 0; k < out.b.count() && k < 4; k++) {
    mtu_check(out.b, k, mtu, 0, &len);
    if (ipv4_fragment(out.b, k, mtu, frags.b, &fr) != Status::OK) break;
  }
  ipv4_fragment(in.b, 0, mtu, frags.b, &fr);
  check_all(frags.b);
  ReasmResult rr;
  for (uint32_t k = frags.b.count(); k-- > 0;) {
    if (ra.feed(frags.b, k, k, whole.b, &rr) != Status::OK) break;
  }
  check_all(whole.b);
  ra.expire(uint64_t(1) << 40, nullptr);
  require(ra.datagrams() == 0 && ra.bytes() == 0);

  IcmpErrorOptions io;
  icmp_error_allowed(in.b, 0);
  icmp_frag_needed(in.b, 0, uint16_t(mtu), io, whole.b);
  icmpv6_packet_too_big(in.b, 0, mtu, io, whole.b);
  check_all(whole.b);
  return 0;
}
