// Fuzzes action programs: any bytes go through the validator; programs that
// pass run on a few fixed packets (IPv4/UDP, VLAN-tagged IPv6/TCP, a runt,
// and the IPv4/UDP one again as a USO super-packet with a partial checksum,
// for check_mtu / gso / csum_complete) into a small output batch (so
// OUTPUT_FULL paths run too). Nothing may read or write out of bounds.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "action.h"
#include "parse.h"

using namespace vs;

namespace {
struct Fixture {
  std::vector<uint64_t> in_mem, out_mem;
  Batch in, out;
  Fixture() {
    BatchLayout l;
    batch_layout(5, 8192, &l);
    in_mem.assign((l.total_size + 7) / 8, 0);
    batch_init(reinterpret_cast<uint8_t*>(in_mem.data()), l.total_size, 5, 8192, 128, 0);
    Batch::open(reinterpret_cast<uint8_t*>(in_mem.data()), l.total_size, &in);
    const uint8_t udp4[] = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0,
                            10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2, 0, 12, 0x12, 0x34, 1, 2, 3, 4};
    const uint8_t tcp6[] = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x81, 0, 0, 5, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 20, 6, 64,
                            0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
                            0, 80, 0, 81, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 2, 0xff, 0xff, 0, 0, 0, 0};
    const uint8_t runt[] = {1, 2, 3};
    in.append(udp4, sizeof udp4, sizeof udp4, 0, 0, 1);
    in.append(tcp6, sizeof tcp6, sizeof tcp6, 0, 0, 2);
    in.append(runt, sizeof runt, sizeof runt, 0, 0, 3);
    in.append(udp4, sizeof udp4, sizeof udp4, 0, 0, 4);
    parse_batch(in, LINK_ETHERNET, ParseOptions());
    in.u16(COL_GSO_TYPE)[3] = 5;  // VIRTIO_NET_HDR_GSO_UDP_L4, 1-byte segments
    in.u16(COL_GSO_SIZE)[3] = 1;
    in.u32(COL_FLAGS)[3] |= FLAG_NEEDS_CSUM;
    in.u16(COL_CSUM_START)[3] = 34;
    in.u16(COL_CSUM_OFFSET)[3] = 6;
    batch_layout(8, 4096, &l);
    out_mem.assign((l.total_size + 7) / 8, 0);
    batch_init(reinterpret_cast<uint8_t*>(out_mem.data()), l.total_size, 8, 4096, 64, 0);
    Batch::open(reinterpret_cast<uint8_t*>(out_mem.data()), l.total_size, &out);
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fx;
  static ActionExecutor exec;
  ByteView prog(data, size);
  if (action_program_validate(prog) != Status::OK) return 0;
  for (uint32_t i = 0; i < fx.in.count(); i++) {
    fx.out.header().count = 0;
    fx.out.header().data_used = 0;
    ExecResult res;
    std::vector<uint32_t> cookies;
    exec.execute(fx.in, i, prog, fx.out, &res, &cookies);
  }
  return 0;
}
