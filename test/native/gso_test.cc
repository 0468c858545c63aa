// Unit tests of GSO, fragmentation, reassembly and ICMP errors on hand-built
// packets. Expected values are derived from the rules in the headers (RFC 791
// arithmetic, Linux seq/ID/flag rules), and every checksum is checked with
// the independent verifier in csum.h rather than against our own output.
#include <cstring>
#include <vector>

#include "../../native/batch.h"
#include "../../native/csum.h"
#include "../../native/gso_segment.h"
#include "../../native/icmp_error.h"
#include "../../native/ipv4_frag.h"
#include "../../native/mtu_check.h"
#include "../../native/reassembly.h"
#include "../../native/virtio_net_hdr.h"
#include "check.h"
#include "owned_batch.h"

using namespace vs;
using vstest::OwnedBatch;

namespace {

// Eth + IPv4 (ID 0x1234, DF) + TCP (seq 1000, flags) + payload bytes k & 0xff,
// or UDP; the L4 checksum left partial as a tap would send it.
std::vector<uint8_t> frame_v4(uint8_t proto, uint32_t payload, uint8_t tcp_flags, bool df = true) {
  uint32_t l4h = proto == 6 ? 20 : 8;
  std::vector<uint8_t> f(14 + 20 + l4h + payload, 0);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  store_be16(ip + 2, uint16_t(20 + l4h + payload));
  store_be16(ip + 4, 0x1234);
  store_be16(ip + 6, df ? 0x4000 : 0);
  ip[8] = 64;
  ip[9] = proto;
  const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
  std::memcpy(ip + 12, src, 4);
  std::memcpy(ip + 16, dst, 4);
  store_be16(ip + 10, ipv4_header_checksum(ip, 20));
  uint8_t* l4 = ip + 20;
  store_be16(l4, 40000);
  store_be16(l4 + 2, 5001);
  if (proto == 6) {
    store_be32(l4 + 4, 1000);
    l4[12] = 0x50;
    l4[13] = tcp_flags;
    store_be16(l4 + 14, 502);
  } else {
    store_be16(l4 + 4, uint16_t(8 + payload));
  }
  for (uint32_t k = 0; k < payload; k++) l4[l4h + k] = uint8_t(k);
  return f;
}

uint32_t add(OwnedBatch& ob, const std::vector<uint8_t>& f, uint8_t gso_type, uint16_t gso_size) {
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  uint32_t i = ob.b.count() - 1;
  ob.b.u16(COL_L2)[i] = 0;
  ob.b.u16(COL_L3)[i] = 14;
  ob.b.u16(COL_L4)[i] = 34;
  VirtioNetHdr h;
  h.flags = kVirtioNeedsCsum;
  h.gso_type = gso_type;
  h.gso_size = gso_size;
  h.csum_start = 34;
  h.csum_offset = f[23] == 6 ? 16 : 6;
  virtio_net_hdr_apply(ob.b, i, h);
  return i;
}

CsumStatus l4_status(const Batch& b, uint32_t j) {
  MutByteView p = b.packet(j);
  const uint8_t* ip = p.data() + 14;
  uint32_t l4_len = load_be16(ip + 2) - 20u;
  L4CsumInput in;
  in.l4 = ByteView(ip + 20, l4_len);
  in.field_off = ip[9] == 6 ? 16 : 6;
  in.pseudo = pseudo_sum_v4(ip + 12, ip + 16, ip[9], l4_len);
  in.pseudo_no_len = pseudo_sum_v4(ip + 12, ip + 16, ip[9], 0);
  in.udp_over_ipv4 = ip[9] == 17;
  in.udp_over_ipv6 = false;
  in.allow_partial = false;
  return verify_l4_checksum(in);
}

bool ip_ok(const Batch& b, uint32_t j) {
  const uint8_t* ip = b.packet(j).data() + 14;
  return csum_fold(csum_add_bytes(0, ip, 20)) == 0xFFFF;
}

}  // namespace

TEST(tcp_segments_follow_linux_rules) {
  OwnedBatch in(4, 1 << 16), out(64, 1 << 17);
  // 3500 bytes at MSS 1000: 1000, 1000, 1000, 500; flags CWR|PSH|ACK|FIN.
  add(in, frame_v4(6, 3500, 0x99), GSO_TCPV4, 1000);
  GsoResult r;
  CHECK(gso_packet(in.b, 0, out.b, GsoOptions(), &r) == Status::OK);
  CHECK_EQ(r.segments, 4u);
  CHECK(r.drop == DropReason::NONE);
  for (uint32_t k = 0; k < 4; k++) {
    const uint8_t* p = out.b.packet(k).data();
    CHECK_EQ(load_be16(p + 14 + 4), uint16_t(0x1234 + k));             // ID + k
    CHECK_EQ(load_be16(p + 14 + 2), uint16_t(k < 3 ? 1040 : 540));     // 20 + 20 + payload
    CHECK_EQ(load_be32(p + 34 + 4), 1000u + 1000u * k);                // seq0 + k*mss
    uint8_t want = k == 0 ? 0x90 : (k < 3 ? 0x10 : 0x19);               // CWR first; FIN|PSH last
    CHECK_EQ(p[34 + 13], want);
    CHECK(l4_status(out.b, k) == CsumStatus::GOOD);
    CHECK(ip_ok(out.b, k));
    CHECK_EQ(p[34 + 20], uint8_t((1000 * k) & 0xff));                  // payload continues
  }
}

TEST(ovs_profile_keeps_cwr_and_partial_mode_leaves_pseudo_sum) {
  OwnedBatch in(4, 1 << 16), out(64, 1 << 17);
  add(in, frame_v4(6, 2500, 0x90), GSO_TCPV4, 1000);
  GsoOptions o;
  o.profile = GsoProfile::OVS;
  o.partial_csum = true;
  GsoResult r;
  CHECK(gso_packet(in.b, 0, out.b, o, &r) == Status::OK);
  CHECK_EQ(r.segments, 3u);
  for (uint32_t k = 0; k < 3; k++) {
    CHECK_EQ(out.b.packet(k).data()[34 + 13] & 0x80, 0x80);
    CHECK(out.b.u32(COL_FLAGS)[k] & FLAG_NEEDS_CSUM);
    const uint8_t* ip = out.b.packet(k).data() + 14;
    uint16_t l4_len = uint16_t(load_be16(ip + 2) - 20);
    CHECK_EQ(load_be16(ip + 20 + 16), csum_fold(pseudo_sum_v4(ip + 12, ip + 16, 6, l4_len)));
  }
}

TEST(payload_at_or_below_mss_is_copied_and_output_full_restores) {
  OwnedBatch in(4, 1 << 16), out(2, 1 << 16);
  add(in, frame_v4(6, 1000, 0x18), GSO_TCPV4, 1000);  // == MSS: not segmented
  add(in, frame_v4(6, 5000, 0x18), GSO_TCPV4, 1000);  // 5 segments: do not fit 1 free slot
  GsoResult r;
  CHECK(gso_packet(in.b, 0, out.b, GsoOptions(), &r) == Status::OK);
  CHECK_EQ(r.segments, 1u);
  CHECK(gso_packet(in.b, 1, out.b, GsoOptions(), &r) == Status::OUTPUT_FULL);
  CHECK_EQ(out.b.count(), 1u);
}

TEST(uso_limit_and_one_byte_gso_size) {
  OwnedBatch in(4, 1 << 16), out(256, 1 << 20);
  add(in, frame_v4(17, 128, 0), GSO_UDP_L4, 1);  // 128 segments: allowed
  add(in, frame_v4(17, 129, 0), GSO_UDP_L4, 1);  // 129: refused
  GsoResult r;
  CHECK(gso_packet(in.b, 0, out.b, GsoOptions(), &r) == Status::OK);
  CHECK_EQ(r.segments, 128u);
  CHECK_EQ(load_be16(out.b.packet(5).data() + 34 + 4), 9);  // UDP length 8 + 1
  CHECK(l4_status(out.b, 127) == CsumStatus::GOOD);
  CHECK(gso_packet(in.b, 1, out.b, GsoOptions(), &r) == Status::OK);
  CHECK(r.drop == DropReason::GSO_TOO_MANY_SEGMENTS);
}

TEST(fragment_then_reassemble_round_trip_and_mtu_verdicts) {
  OwnedBatch in(4, 1 << 16), frags(16, 1 << 16), whole(4, 1 << 16);
  auto f = frame_v4(17, 1472, 0, false);  // IP 1500, DF clear
  add(in, f, GSO_NONE, 0);
  in.b.u32(COL_FLAGS)[0] &= ~uint32_t(FLAG_NEEDS_CSUM);
  uint32_t len;
  CHECK(mtu_check(in.b, 0, 1400, 0, &len) == MtuVerdict::FRAGMENT);
  CHECK(mtu_check(in.b, 0, 1500, 1514, &len) == MtuVerdict::FITS);
  CHECK(mtu_check(in.b, 0, 1500, 1513, &len) == MtuVerdict::FRAGMENT);  // frame limit
  FragResult fr;
  CHECK(ipv4_fragment(in.b, 0, 1400, frags.b, &fr) == Status::OK);
  CHECK_EQ(fr.fragments, 2u);  // (1400-20)&~7 = 1376 data, then 104
  CHECK_EQ(load_be16(frags.b.packet(0).data() + 14 + 2), 1396);
  CHECK_EQ(load_be16(frags.b.packet(0).data() + 14 + 6), 0x2000);
  CHECK_EQ(load_be16(frags.b.packet(1).data() + 14 + 6), 1376 / 8);
  Reassembler ra;
  ReasmResult rr;
  // Last fragment first: held, then completed by the first.
  CHECK(ra.feed(frags.b, 1, 0, whole.b, &rr) == Status::OK && rr.held);
  CHECK(ra.feed(frags.b, 0, 1, whole.b, &rr) == Status::OK && rr.emitted);
  CHECK_EQ(whole.b.count(), 1u);
  MutByteView w = whole.b.packet(0);
  CHECK_EQ(w.size(), f.size());
  CHECK(std::memcmp(w.data() + 14 + 20, f.data() + 14 + 20, f.size() - 34) == 0);
  CHECK(ip_ok(whole.b, 0));
  CHECK_EQ(ra.datagrams(), 0u);
}

TEST(reassembly_overlap_duplicate_timeout_limits) {
  OwnedBatch in(4, 1 << 16), frags(16, 1 << 16), out(8, 1 << 16);
  add(in, frame_v4(17, 1472, 0, false), GSO_NONE, 0);
  in.b.u32(COL_FLAGS)[0] &= ~uint32_t(FLAG_NEEDS_CSUM);
  FragResult fr;
  ipv4_fragment(in.b, 0, 1000, frags.b, &fr);  // 976 + 504
  ipv4_fragment(in.b, 0, 600, frags.b, &fr);   // 576 + 576 + 328: overlaps the first split
  ReasmLimits lim;
  lim.timeout_ns = 30;
  Reassembler ra(lim);
  ReasmResult rr;
  ra.feed(frags.b, 0, 0, out.b, &rr);
  CHECK(rr.held);
  ra.feed(frags.b, 0, 0, out.b, &rr);
  CHECK(rr.drop == DropReason::REASM_DUPLICATE);
  ra.feed(frags.b, 3, 0, out.b, &rr);  // 576..1152 overlaps 0..976
  CHECK(rr.drop == DropReason::REASM_OVERLAP);
  CHECK_EQ(rr.dropped_fragments, 2u);
  CHECK_EQ(ra.datagrams(), 0u);
  ra.feed(frags.b, 0, 5, out.b, &rr);
  std::vector<ReasmExpired> ex;
  CHECK_EQ(ra.expire(34, &ex), 0u);
  CHECK_EQ(ra.expire(35, &ex), 1u);
  CHECK_EQ(ex[0].fragments, 1u);
  ReasmLimits small;
  small.max_datagrams = 0;
  Reassembler rb(small);
  rb.feed(frags.b, 0, 0, out.b, &rr);
  CHECK(rr.drop == DropReason::REASM_TOO_MANY_DATAGRAMS);
  CHECK_EQ(out.b.count(), 0u);
}

TEST(icmp_frag_needed_quotes_576_and_is_valid) {
  OwnedBatch in(4, 1 << 16), out(4, 1 << 16);
  add(in, frame_v4(17, 1472, 0), GSO_NONE, 0);
  IcmpErrorOptions o;
  o.src_ip[0] = 192, o.src_ip[1] = 0, o.src_ip[2] = 2, o.src_ip[3] = 254;
  CHECK(icmp_error_allowed(in.b, 0));
  CHECK(icmp_frag_needed(in.b, 0, 1400, o, out.b) == Status::OK);
  const uint8_t* ip = out.b.packet(0).data() + 14;
  CHECK_EQ(load_be16(ip + 2), 576);                      // 20 + 8 + 548 quoted
  CHECK(ip_ok(out.b, 0));
  CHECK_EQ(csum_fold(csum_add_bytes(0, ip + 20, 556)), 0xFFFF);  // ICMP checksum verifies
  CHECK_EQ(load_be16(ip + 20 + 6), 1400);
  CHECK_EQ(ip[20], 3);
  CHECK_EQ(ip[21], 4);
  CHECK(std::memcmp(ip + 16, in.b.packet(0).data() + 14 + 12, 4) == 0);  // to the offender's source
}

TEST_MAIN("gso")
