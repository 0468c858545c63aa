// Unit tests of IPv6 reassembly (native/reassembly.h, RFC 8200 section 4.5,
// RFC 5722, RFC 6946, RFC 7112). Fragments are cut by hand from a datagram
// built here, following RFC 8200's picture (unfragmentable part copied into
// every fragment, its last Next Header set to 44, an 8-byte fragment header,
// 8-byte aligned offsets); a completed datagram must equal the datagram the
// fragments were cut from, byte for byte.
#include <cstring>
#include <vector>

#include "../../native/batch.h"
#include "../../native/bytes.h"
#include "../../native/reassembly.h"
#include "check.h"
#include "owned_batch.h"

using namespace vs;
using vstest::OwnedBatch;

namespace {

using Bytes = std::vector<uint8_t>;

// Eth + IPv6 (2001:db8::1 -> 2001:db8::2) [+ 8-byte hop-by-hop with PadN]
// + UDP 40000 -> 5001 + payload bytes k & 0xff. Returns the frame; *unfrag
// gets the length of the IPv6 header plus unfragmentable extensions.
Bytes datagram(uint32_t payload, bool hbh, uint32_t* unfrag) {
  uint32_t ext = hbh ? 8 : 0;
  Bytes f(14 + 40 + ext + 8 + payload, 0);
  f[12] = 0x86;
  f[13] = 0xdd;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x60;
  ip[1] = 0x01;  // a traffic class / flow label that must survive
  ip[3] = 0x23;
  store_be16(ip + 4, uint16_t(ext + 8 + payload));
  ip[6] = hbh ? 0 : 17;
  ip[7] = 64;
  ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 1;
  ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 2;
  uint8_t* u = ip + 40;
  if (hbh) {
    u[0] = 17;  // next header UDP, length 0 (8 bytes), PadN of 4
    u[2] = 1;
    u[3] = 4;
    u += 8;
  }
  store_be16(u, 40000);
  store_be16(u + 2, 5001);
  store_be16(u + 4, uint16_t(8 + payload));
  store_be16(u + 6, 0x1234);  // not verified by reassembly
  for (uint32_t k = 0; k < payload; k++) u[8 + k] = uint8_t(k * 7 + 3);
  *unfrag = 40 + ext;
  return f;
}

// A fragment of frame holding fragmentable bytes [start, start+len), with M
// and identification id; upper is the Next Header written into the fragment
// header (the datagram's upper-layer protocol, 17).
Bytes fragment(const Bytes& frame, uint32_t unfrag, uint32_t start, uint32_t len, bool m, uint32_t id,
               uint8_t upper = 17) {
  Bytes f(frame.begin(), frame.begin() + 14 + unfrag);
  uint8_t* ip = f.data() + 14;
  // The Next Header that pointed at the upper layer now names the fragment header.
  if (unfrag == 40) ip[6] = 44;
  else ip[40] = 44;
  uint8_t fh[8] = {upper, 0, 0, 0, 0, 0, 0, 0};
  store_be16(fh + 2, uint16_t(start | (m ? 1 : 0)));
  store_be32(fh + 4, id);
  f.insert(f.end(), fh, fh + 8);
  auto from = frame.begin() + 14 + unfrag + start;
  f.insert(f.end(), from, from + len);
  store_be16(f.data() + 14 + 4, uint16_t(f.size() - 14 - 40));
  return f;
}

uint32_t add(OwnedBatch& ob, const Bytes& f) {
  ob.b.append(f.data(), uint32_t(f.size()), uint32_t(f.size()), 0, 0, 1);
  uint32_t i = ob.b.count() - 1;
  ob.b.u16(COL_L2)[i] = 0;
  ob.b.u16(COL_L3)[i] = 14;
  return i;
}

Bytes packet(const Batch& b, uint32_t j) {
  MutByteView p = b.packet(j);
  return Bytes(p.data(), p.data() + p.size());
}

}  // namespace

TEST(ipv6_in_order_out_of_order_and_duplicate_rebuild_the_datagram) {
  for (bool hbh : {false, true}) {
    uint32_t unfrag = 0;
    Bytes orig = datagram(3000, hbh, &unfrag);  // fragmentable part: 8 + 3000 = 3008 bytes
    OwnedBatch in(8, 1 << 16), out(4, 1 << 16);
    add(in, fragment(orig, unfrag, 1448, 1448, true, 0xf88eb466));  // middle
    add(in, fragment(orig, unfrag, 2896, 112, false, 0xf88eb466));  // last: 3008 - 2896
    add(in, fragment(orig, unfrag, 1448, 1448, true, 0xf88eb466));  // duplicate of the middle
    add(in, fragment(orig, unfrag, 0, 1448, true, 0xf88eb466));     // first, last to arrive
    Reassembler ra;
    ReasmResult rr;
    ra.feed(in.b, 0, 0, out.b, &rr);
    CHECK(rr.held && !rr.emitted);
    ra.feed(in.b, 1, 1, out.b, &rr);
    CHECK(rr.held);
    ra.feed(in.b, 2, 2, out.b, &rr);
    CHECK(rr.drop == DropReason::REASM_DUPLICATE);
    CHECK_EQ(rr.dropped_fragments, 1u);
    CHECK_EQ(ra.datagrams(), 1u);
    CHECK_EQ(ra.bytes(), uint64_t(1448 + 112));
    ra.feed(in.b, 3, 3, out.b, &rr);
    CHECK(rr.emitted && !rr.held && rr.drop == DropReason::NONE);
    CHECK_EQ(out.b.count(), 1u);
    CHECK(packet(out.b, 0) == orig);
    CHECK_EQ(uint32_t(out.b.u16(COL_L3)[0]), 14u);
    CHECK_EQ(uint32_t(out.b.u16(COL_L4)[0]), 14u + unfrag);
    CHECK_EQ(ra.datagrams(), 0u);
    CHECK_EQ(ra.bytes(), uint64_t(0));
  }
}

TEST(ipv6_next_header_comes_from_the_first_fragment) {
  uint32_t unfrag = 0;
  Bytes orig = datagram(100, false, &unfrag);  // 108 bytes fragmentable
  OwnedBatch in(4, 1 << 14), out(4, 1 << 14);
  add(in, fragment(orig, unfrag, 56, 52, false, 7, 6));  // a later fragment naming TCP: ignored (RFC 8200)
  add(in, fragment(orig, unfrag, 0, 56, true, 7, 17));
  Reassembler ra;
  ReasmResult rr;
  ra.feed(in.b, 0, 0, out.b, &rr);
  ra.feed(in.b, 1, 0, out.b, &rr);
  CHECK(rr.emitted);
  CHECK(packet(out.b, 0) == orig);
}

TEST(ipv6_overlap_drops_the_whole_datagram) {
  uint32_t unfrag = 0;
  Bytes orig = datagram(3000, false, &unfrag);
  OwnedBatch in(4, 1 << 16), out(4, 1 << 16);
  add(in, fragment(orig, unfrag, 0, 1448, true, 1));
  add(in, fragment(orig, unfrag, 1440, 1448, true, 1));  // starts 8 bytes inside the first
  add(in, fragment(orig, unfrag, 0, 1448, true, 1));     // after the drop: a new datagram
  Reassembler ra;
  ReasmResult rr;
  ra.feed(in.b, 0, 0, out.b, &rr);
  ra.feed(in.b, 1, 0, out.b, &rr);
  CHECK(rr.drop == DropReason::REASM_OVERLAP);
  CHECK_EQ(rr.dropped_fragments, 2u);  // the held one and this one
  CHECK_EQ(ra.datagrams(), 0u);
  CHECK_EQ(ra.bytes(), uint64_t(0));
  ra.feed(in.b, 2, 0, out.b, &rr);
  CHECK(rr.held);
  CHECK_EQ(out.b.count(), 0u);
}

TEST(ipv6_atomic_fragment_is_delivered_alone_without_its_header) {
  uint32_t unfrag = 0;
  Bytes orig = datagram(64, true, &unfrag);
  OwnedBatch in(4, 1 << 14), out(4, 1 << 14);
  add(in, fragment(orig, unfrag, 0, 40, true, 9));         // held, same ID
  add(in, fragment(orig, unfrag, 0, 8 + 64, false, 9));    // atomic: offset 0, M 0
  Reassembler ra;
  ReasmResult rr;
  ra.feed(in.b, 0, 0, out.b, &rr);
  CHECK(rr.held);
  ra.feed(in.b, 1, 0, out.b, &rr);
  CHECK(rr.emitted && rr.drop == DropReason::NONE);
  CHECK(packet(out.b, 0) == orig);  // fragment header gone, HBH Next Header back to UDP, length - 8
  CHECK_EQ(ra.datagrams(), 1u);     // the held datagram is untouched (RFC 6946)
}

TEST(ipv6_timeout_is_60_s_by_default_and_per_family) {
  ReasmLimits def;
  CHECK_EQ(def.timeout_ns, 30000000000ull);
  CHECK_EQ(def.timeout6_ns, 60000000000ull);
  uint32_t unfrag = 0;
  Bytes orig = datagram(200, false, &unfrag);
  OwnedBatch in(4, 1 << 14), out(4, 1 << 14);
  add(in, fragment(orig, unfrag, 0, 104, true, 3));
  Reassembler ra;
  ReasmResult rr;
  ra.feed(in.b, 0, 1000, out.b, &rr);
  std::vector<ReasmExpired> ex;
  CHECK_EQ(ra.expire(1000 + 30000000000ull, &ex), 0u);  // the IPv4 timeout does not apply
  CHECK_EQ(ra.expire(1000 + 60000000000ull - 1, &ex), 0u);
  CHECK_EQ(ra.expire(1000 + 60000000000ull, &ex), 1u);
  CHECK_EQ(ex.size(), size_t(1));
  CHECK_EQ(ex[0].fragments, 1u);
  CHECK_EQ(ex[0].bytes, 104u);
  CHECK_EQ(ra.bytes(), uint64_t(0));
}

TEST(ipv6_first_fragment_without_the_upper_layer_header_is_dropped) {
  // A TCP datagram: the first fragment carries 8 of the 20 header bytes.
  uint32_t unfrag = 0;
  Bytes orig = datagram(100, false, &unfrag);
  orig[14 + 6] = 6;
  OwnedBatch in(4, 1 << 14), out(4, 1 << 14);
  add(in, fragment(orig, unfrag, 0, 8, true, 5, 6));
  add(in, fragment(orig, unfrag, 0, 24, true, 6, 6));  // 24 >= 20: fine
  // A destination-options header of 16 bytes, cut after 8: chain incomplete.
  Bytes f = fragment(orig, unfrag, 0, 8, true, 7, 60);
  f[14 + 48 + 1] = 1;  // its Hdr Ext Len: (1 + 1) * 8 = 16 bytes
  add(in, f);
  Reassembler ra;
  ReasmResult rr;
  ra.feed(in.b, 0, 0, out.b, &rr);
  CHECK(rr.drop == DropReason::REASM_INCOMPLETE_CHAIN);
  CHECK_EQ(rr.dropped_fragments, 1u);
  ra.feed(in.b, 1, 0, out.b, &rr);
  CHECK(rr.held);
  ra.feed(in.b, 2, 0, out.b, &rr);
  CHECK(rr.drop == DropReason::REASM_INCOMPLETE_CHAIN);
  CHECK_EQ(ra.datagrams(), 1u);
}

TEST(ipv6_bad_fragments_and_limits) {
  uint32_t unfrag = 0;
  Bytes orig = datagram(3000, false, &unfrag);
  OwnedBatch in(8, 1 << 16), out(4, 1 << 16);
  add(in, fragment(orig, unfrag, 0, 1444, true, 1));  // M 1, length not a multiple of 8
  Bytes far = fragment(orig, unfrag, 0, 16, true, 1);
  store_be16(far.data() + 14 + 42, uint16_t(65528 | 1));  // offset 65528 + 16 > 65535
  add(in, far);
  Bytes jumbo = fragment(orig, unfrag, 8, 16, true, 1);
  store_be16(jumbo.data() + 14 + 4, 0);  // payload length 0
  add(in, jumbo);
  add(in, fragment(orig, unfrag, 0, 1448, true, 100));
  add(in, fragment(orig, unfrag, 0, 1448, true, 101));
  Reassembler ra;
  ReasmResult rr;
  for (uint32_t i = 0; i < 3; i++) {
    ra.feed(in.b, i, 0, out.b, &rr);
    CHECK(rr.drop == DropReason::REASM_BAD_FRAGMENT);
  }
  ReasmLimits one;
  one.max_datagrams = 1;
  Reassembler rb(one);
  rb.feed(in.b, 3, 0, out.b, &rr);
  CHECK(rr.held);
  rb.feed(in.b, 4, 0, out.b, &rr);
  CHECK(rr.drop == DropReason::REASM_TOO_MANY_DATAGRAMS);
  ReasmLimits bytes;
  bytes.max_bytes = 2000;
  Reassembler rc(bytes);
  rc.feed(in.b, 3, 0, out.b, &rr);
  CHECK(rr.held);
  rc.feed(in.b, 4, 0, out.b, &rr);  // 1448 + 1448 > 2000
  CHECK(rr.drop == DropReason::REASM_TOO_MANY_BYTES);
  CHECK_EQ(rc.bytes(), uint64_t(1448));
  CHECK_EQ(out.b.count(), 0u);
}

TEST(ipv6_non_fragments_pass_through) {
  uint32_t unfrag = 0;
  Bytes orig = datagram(50, true, &unfrag);
  OwnedBatch in(2, 1 << 12), out(2, 1 << 12);
  add(in, orig);
  Reassembler ra;
  ReasmResult rr;
  ra.feed(in.b, 0, 0, out.b, &rr);
  CHECK(rr.emitted && !rr.held);
  CHECK(packet(out.b, 0) == orig);
}

TEST_MAIN("reassembly6")
