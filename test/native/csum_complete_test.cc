// Unit tests of checksum completion and the modelled NIC faults
// (native/csum_complete.h). The expected checksums are derived by hand:
//
//   IPv4 192.0.2.1 -> 192.0.2.2, UDP 1234 -> 5678, length 10, payload "hi".
//   pseudo-header sum: c000 + 0201 + c000 + 0202 + 0011 + 000a = 1841e,
//     folded 841f (what a partial checksum field holds);
//   completion: 841f + 04d2 + 162e + 000a + 6869 = 10792, folded 0793,
//     complemented F86C;
//   without the pseudo-header (bad-hw-csum): 04d2 + 162e + 000a + 6869 = 8373,
//     complemented 7C8C;
//   payload 60d6 instead of "hi": 841f + 04d2 + 162e + 000a + 60d6 = ffff,
//     complemented 0000 (sent as FFFF unless ZeroFold::KEEP).
#include <cstring>
#include <vector>

#include "../../native/batch.h"
#include "../../native/bytes.h"
#include "../../native/csum_complete.h"
#include "check.h"
#include "owned_batch.h"

using namespace vs;
using vstest::OwnedBatch;

namespace {

// Eth + IPv4 + UDP as in the file comment; UDP checksum field = 0x841f (partial).
std::vector<uint8_t> udp_frame(uint16_t payload) {
  std::vector<uint8_t> f(14 + 20 + 10, 0);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  store_be16(ip + 2, 30);
  ip[8] = 64;
  ip[9] = 17;
  const uint8_t a[8] = {192, 0, 2, 1, 192, 0, 2, 2};
  std::memcpy(ip + 12, a, 8);
  uint8_t* u = ip + 20;
  store_be16(u, 1234);
  store_be16(u + 2, 5678);
  store_be16(u + 4, 10);
  store_be16(u + 6, 0x841f);
  store_be16(u + 8, payload);
  return f;
}

uint16_t udp_csum(const Batch& b, uint32_t i) { return load_be16(b.packet(i).data() + 14 + 20 + 6); }

uint32_t add_partial(OwnedBatch& ob, const std::vector<uint8_t>& f) {
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  uint32_t i = ob.b.count() - 1;
  ob.b.u16(COL_L2)[i] = 0;
  ob.b.u16(COL_L3)[i] = 14;
  ob.b.u16(COL_L4)[i] = 34;
  ob.b.u16(COL_CSUM_START)[i] = 34;
  ob.b.u16(COL_CSUM_OFFSET)[i] = 6;
  ob.b.u32(COL_FLAGS)[i] |= FLAG_NEEDS_CSUM | FLAG_L4_CSUM_PARTIAL;
  return i;
}

}  // namespace

TEST(completion_matches_the_hand_sum) {
  std::vector<uint8_t> f = udp_frame(0x6869);
  CHECK(csum_complete_bytes(MutByteView(f.data(), f.size()), 34, 6, ZeroFold::MANGLE));
  CHECK_EQ(load_be16(f.data() + 40), 0xF86Cu);
}

TEST(zero_result_is_mangled_or_kept) {
  std::vector<uint8_t> f = udp_frame(0x60d6), g = f;
  CHECK(csum_complete_bytes(MutByteView(f.data(), f.size()), 34, 6, ZeroFold::MANGLE));
  CHECK_EQ(load_be16(f.data() + 40), 0xFFFFu);
  CHECK(csum_complete_bytes(MutByteView(g.data(), g.size()), 34, 6, ZeroFold::KEEP));
  CHECK_EQ(load_be16(g.data() + 40), 0x0000u);
}

TEST(field_outside_the_packet_is_refused_unchanged) {
  std::vector<uint8_t> f = udp_frame(0x6869), before = f;
  MutByteView v(f.data(), f.size());
  CHECK(!csum_complete_bytes(v, 34, 9, ZeroFold::MANGLE));   // field at 43..45 > 44 bytes
  CHECK(!csum_complete_bytes(v, 45, 0, ZeroFold::MANGLE));   // start past the end
  CHECK(f == before);
}

TEST(bad_hw_csum_leaves_the_pseudo_header_out_and_flags_the_fault) {
  OwnedBatch ob(4, 4096);
  add_partial(ob, udp_frame(0x6869));
  add_partial(ob, udp_frame(0x6869));
  CHECK(csum_complete_packet(ob.b, 0, ZeroFold::MANGLE, CsumEngine::FAULT_NO_PSEUDO) == DropReason::NONE);
  CHECK_EQ(udp_csum(ob.b, 0), 0x7C8Cu);
  CHECK(ob.b.u32(COL_FLAGS)[0] & FLAG_FAULT);
  CHECK(!(ob.b.u32(COL_FLAGS)[0] & (FLAG_NEEDS_CSUM | FLAG_L4_CSUM_PARTIAL)));
  CHECK(csum_complete_packet(ob.b, 1, ZeroFold::MANGLE, CsumEngine::CORRECT) == DropReason::NONE);
  CHECK_EQ(udp_csum(ob.b, 1), 0xF86Cu);
  CHECK(!(ob.b.u32(COL_FLAGS)[1] & FLAG_FAULT));
  // Nothing left to complete: NONE and the bytes stay.
  CHECK(csum_complete_packet(ob.b, 1, ZeroFold::MANGLE, CsumEngine::FAULT_NO_PSEUDO) == DropReason::NONE);
  CHECK_EQ(udp_csum(ob.b, 1), 0xF86Cu);
}

TEST(tunnel_faults_leave_untunnelled_packets_alone) {
  OwnedBatch ob(4, 4096);
  for (CsumEngine e : {CsumEngine::FAULT_FROM_TUNNEL, CsumEngine::FAULT_TAG_SHIFT}) {
    uint32_t i = add_partial(ob, udp_frame(0x6869));
    CHECK(csum_complete_packet(ob.b, i, ZeroFold::MANGLE, e) == DropReason::NONE);
    CHECK_EQ(udp_csum(ob.b, i), 0xF86Cu);
    CHECK(!(ob.b.u32(COL_FLAGS)[i] & FLAG_FAULT));
  }
}

TEST(nested_mplsogre_sums_from_the_gre_header) {
  // Eth + IPv4 (proto 47) + GRE (0x8847) + one MPLS label + inner IPv4/UDP as above.
  std::vector<uint8_t> inner = udp_frame(0x6869);
  std::vector<uint8_t> f(14 + 20 + 4 + 4, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  store_be16(f.data() + 16, uint16_t(20 + 4 + 4 + 30));
  f[14 + 9] = 47;
  store_be16(f.data() + 34 + 2, 0x8847);
  store_be32(f.data() + 38, (100u << 12) | 0x100 | 64);  // label 100, S, TTL 64
  f.insert(f.end(), inner.begin() + 14, inner.end());
  OwnedBatch ob(2, 4096);
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  ob.b.u16(COL_L2)[0] = 0;
  ob.b.u16(COL_L3)[0] = 14;
  ob.b.u16(COL_TNL)[0] = 34;
  ob.b.u16(COL_CSUM_START)[0] = 42 + 20;
  ob.b.u16(COL_CSUM_OFFSET)[0] = 6;
  ob.b.u32(COL_FLAGS)[0] |= FLAG_NEEDS_CSUM | FLAG_TUNNEL;
  CHECK(csum_complete_packet(ob.b, 0, ZeroFold::MANGLE, CsumEngine::FAULT_FROM_TUNNEL) == DropReason::NONE);
  CHECK(ob.b.u32(COL_FLAGS)[0] & FLAG_FAULT);
  uint16_t got = load_be16(ob.b.packet(0).data() + 62 + 6);
  CHECK(got != 0xF86Cu);
  // The NIC sums from the GRE header to the end: GRE 0000 8847, label 0006 4140, the inner IPv4 header as
  // built (4500 001e 0000 0000 4011 0000 c000 0201 c000 0202), then the UDP part whose unfolded sum with
  // the partial field is 10792 (file comment); folded and complemented.
  uint32_t s = 0x10792 + 0x8847 + 0x0006 + 0x4140 + 0x4500 + 0x001e + 0x4011 + 0xc000 + 0x0201 + 0xc000 + 0x0202;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  CHECK_EQ(got, uint16_t(~s));
}

TEST(offset_outside_packet_is_a_named_drop) {
  OwnedBatch ob(2, 4096);
  uint32_t i = add_partial(ob, udp_frame(0x6869));
  ob.b.u16(COL_CSUM_OFFSET)[i] = 40;
  CHECK(csum_complete_packet(ob.b, i, ZeroFold::MANGLE) == DropReason::CSUM_OFFSET_OUT_OF_PACKET);
}

TEST_MAIN("csum_complete")
