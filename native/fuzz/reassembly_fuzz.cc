// libFuzzer target for IPv4 and IPv6 reassembly with arbitrary fragments (the GSO
// target only reassembles what our own fragmenter made). Input: a sequence
// of frames, each a 2-byte little-endian length then that many bytes of an
// Ethernet frame; byte 0 of the input picks the limits. Every frame is
// parsed and fed to one Reassembler at time = its index.
// Invariants: no out-of-bounds access (ASan), held bytes and datagrams never
// exceed the limits, every emitted packet is valid with an IPv4 total length
// (IPv6: 40 + payload length) equal to its bytes after L3, and expiring
// everything leaves the table empty. Byte 0 bit 5 turns frames whose first
// nibble after the Ethernet header is 6 into IPv6 fragments of one datagram
// (Next Header 44 and a fragment header with a shared identification
// written over the first 8 payload bytes), so the IPv6 path is reached
// without the fuzzer having to find that structure.
#include <cstdint>
#include <vector>

#include "batch.h"
#include "bytes.h"
#include "fuzz_support.h"
#include "parse.h"
#include "reassembly.h"

using namespace vs;
using vsfuzz::require;
using Owned = vsfuzz::OwnedBatch;

namespace {
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 100000) return 0;
  ReasmLimits lim;
  lim.max_datagrams = 1u + (data[0] & 3);
  lim.max_bytes = (data[0] & 4) ? 3000 : 70000;
  lim.timeout_ns = (data[0] & 8) ? 3 : 1000;
  lim.timeout6_ns = (data[0] & 8) ? 5 : 2000;
  Owned in(64, 100000 + 64 * 128), out(64, 1u << 20);
  size_t off = 1;
  while (off + 2 <= size && in.b.count() < 64) {
    uint32_t len = uint32_t(data[off] | data[off + 1] << 8);
    off += 2;
    if (len > size - off) len = uint32_t(size - off);
    if (in.b.append(data + off, len, len, 0, 0, 1) != Status::OK) break;
    off += len;
    MutByteView f = in.b.packet(in.b.count() - 1);
    if ((data[0] & 32) && f.size() >= 14 + 48 && (f.data()[14] >> 4) == 6) {
      f.data()[12] = 0x86;  // EtherType IPv6
      f.data()[13] = 0xDD;
      f.data()[14 + 6] = 44;
      store_be32(f.data() + 14 + 44, 0x5EED);
    }
  }
  parse_batch(in.b, LINK_ETHERNET, ParseOptions());
  Reassembler ra(lim);
  ReasmResult rr;
  for (uint32_t i = 0; i < in.b.count(); i++) {
    uint32_t before = out.b.count();
    if (ra.feed(in.b, i, i, out.b, &rr) != Status::OK) break;
    require(ra.datagrams() <= lim.max_datagrams);
    require(ra.bytes() <= lim.max_bytes);
    require(out.b.count() == before + (rr.emitted ? 1u : 0u));
    // A datagram put together from fragments: its IP length covers exactly its bytes after L3.
    uint16_t fo = 0, il3 = in.b.u16(COL_L3)[i];
    uint8_t iv = 0;
    ByteView ip = in.b.packet(i).view();
    bool v4frag = il3 != kAbsent && ip.u8(il3, iv) && (iv >> 4) == 4 && ip.be16(il3 + 6u, fo) && (fo & 0x3FFF);
    bool v6frag = il3 != kAbsent && ip.u8(il3, iv) && (iv >> 4) == 6 && ip.has(il3, 48) && ip.data()[il3 + 6] == 44;
    if (rr.emitted && (v4frag || v6frag)) {
      uint32_t j = out.b.count() - 1;
      require(out.b.packet_valid(j));
      uint16_t l3 = out.b.u16(COL_L3)[j], tot = 0;
      ByteView p = out.b.packet(j).view();
      require(l3 != kAbsent && p.be16(l3 + (v4frag ? 2u : 4u), tot) && uint32_t(l3) + (v4frag ? 0u : 40u) + tot == p.size());
    }
    if ((data[0] & 16) && (i & 3) == 3) ra.expire(i, nullptr);
  }
  for (uint32_t j = 0; j < out.b.count(); j++) require(out.b.packet_valid(j));
  ra.expire(uint64_t(1) << 40, nullptr);
  require(ra.datagrams() == 0 && ra.bytes() == 0);
  return 0;
}
