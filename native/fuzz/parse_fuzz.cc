// libFuzzer target for the parser. Input: byte 0 selects the link type (low
// 3 bits) and options (bit 3: extra tunnel ports 8472/4790/6636; bit 4: the
// capture is cut short, byte 1 then says by how much; bit 5: OVS userspace's
// malformed policy); the rest is one frame.
// Parses the batch, describes the packet (which verifies every checksum) and
// checks the parser's invariants: every layer offset lies inside the frame,
// a drop reason comes with FLAG_MALFORMED and nothing else (with OVS's policy:
// only a frame shorter than an Ethernet header is dropped), and the batch
// parse (which takes the fast path when it can) writes exactly what the
// general parser behind describe writes: columns, flags, drop, flow key.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "batch.h"
#include "drop_reason.h"
#include "fuzz_support.h"
#include "parse.h"

using namespace vs;
using vsfuzz::require;

namespace {
constexpr uint32_t kLinks[8] = {LINK_ETHERNET, LINK_ETHERNET, LINK_PPP, LINK_RAW,
                                LINK_LINUX_SLL, LINK_IPV4, LINK_IPV6, LINK_LINUX_SLL2};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  uint8_t ctl = data[0];
  uint32_t extra_wire = (ctl & 0x10) ? data[1] : 0;
  const uint8_t* frame = data + 2;
  size_t len = size - 2;
  if (len > 65535 + 1024) return 0;
  static std::vector<uint64_t> buf;
  BatchLayout layout;
  batch_layout(1, uint32_t(len) + 64, &layout);
  buf.assign((layout.total_size + 7) / 8, 0);
  uint8_t* raw = reinterpret_cast<uint8_t*>(buf.data());
  require(batch_init(raw, buf.size() * 8, 1, uint32_t(len) + 64, 16, 0) == Status::OK);
  Batch b;
  require(Batch::open(raw, buf.size() * 8, &b) == Status::OK);
  // Copy into an exact-size slot so that ASan sees reads past the frame.
  require(b.append(frame, uint32_t(len), uint32_t(len + extra_wire), 0, 0, 1) == Status::OK);
  ParseOptions opt;
  if (ctl & 0x08) {
    opt.vxlan_ports[opt.vxlan_count++] = 8472;
    opt.geneve_ports[opt.geneve_count++] = 4790;
    opt.mpls_udp_ports[opt.mpls_udp_count++] = 6636;
  }
  if (ctl & 0x20) opt.malformed = MalformedPolicy::OVS_USERSPACE;
  uint32_t link = kLinks[ctl & 7];
  require(parse_batch(b, link, opt) == Status::OK);
  uint32_t flags = b.u32(COL_FLAGS)[0];
  uint16_t drop = b.u16(COL_DROP)[0];
  if (opt.malformed == MalformedPolicy::DROP) require((drop != 0) == ((flags & FLAG_MALFORMED) != 0));
  else require(drop == 0 || drop == uint16_t(DropReason::TRUNCATED_ETHERNET));  // OVS keeps the rest
  require(drop < kDropReasonCount);
  require(((flags & FLAG_TRUNCATED) != 0) == (extra_wire != 0));
  for (Column c : {COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4}) {
    uint16_t off = b.u16(c)[0];
    require(off == kAbsent || off < len);
  }
  // describe must agree with parse on everything parse writes.
  uint16_t cols[8];
  int k = 0;
  for (Column c : {COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4})
    cols[k++] = b.u16(c)[0];
  FlowKey key_fast;
  std::memcpy(&key_fast, b.key(0), sizeof(FlowKey));
  LayerList fast;
  parse_packet(b, 0, link, opt, &fast);  // describe, fast path allowed
  require(b.u32(COL_FLAGS)[0] == flags);
  require(b.u16(COL_DROP)[0] == drop);
  require(std::memcmp(&key_fast, b.key(0), sizeof(FlowKey)) == 0);
  ParseOptions general = opt;
  general.fast_path = false;
  LayerList list;
  parse_packet(b, 0, link, general, &list);
  require(std::memcmp(&key_fast, b.key(0), sizeof(FlowKey)) == 0);
  require(fast.count == list.count);
  for (uint32_t r = 0; r < list.count && r < fast.count; r++)
    require(std::memcmp(&fast.rec[r], &list.rec[r], sizeof(LayerRecord)) == 0);
  require(b.u32(COL_FLAGS)[0] == flags);
  require(b.u16(COL_DROP)[0] == drop);
  k = 0;
  for (Column c : {COL_L2, COL_L2_5, COL_L3, COL_L4, COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4})
    require(b.u16(c)[0] == cols[k++]);
  // verify_checksums: the fast and general paths, with and without describe,
  // give the same verdict flags; the other flags are those of a plain parse.
  ParseOptions verify = opt;
  verify.verify_checksums = true;
  uint32_t verified[3];
  parse_packet(b, 0, link, verify, nullptr);
  verified[0] = b.u32(COL_FLAGS)[0];
  parse_packet(b, 0, link, verify, &fast);
  verified[1] = b.u32(COL_FLAGS)[0];
  verify.fast_path = false;
  parse_packet(b, 0, link, verify, nullptr);
  verified[2] = b.u32(COL_FLAGS)[0];
  require(verified[0] == verified[1] && verified[1] == verified[2]);
  const uint32_t verdict_bits = FLAG_CSUM_VERIFIED | FLAG_IP_CSUM_BAD | FLAG_L4_CSUM_BAD;
  require((verified[0] & ~verdict_bits) == flags);
  require((verified[0] & FLAG_CSUM_VERIFIED) != 0);
  require(list.count <= kMaxLayerRecords);
  for (uint32_t r = 0; r < list.count; r++) {
    require(list.rec[r].offset < len);
    require(uint8_t(list.rec[r].csum) <= uint8_t(CsumStatus::UNVERIFIED));
  }
  return 0;
}
