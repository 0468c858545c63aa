// ovs_hash_5tuple: see tunnel_ovs_hash.h.
#include "tunnel_ovs_hash.h"

namespace vs {
namespace {

inline uint32_t le32_at(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// The port word of miniflow_extract for `proto` at `l4` (0 when the header is short).
uint32_t ports_word(ByteView f, size_t l4, uint8_t proto) {
  size_t need = proto == 6 ? 20 : proto == 132 ? 12 : 8;
  if (!f.has(l4, need)) return 0;
  const uint8_t* p = f.data() + l4;
  if (proto == 1 || proto == 58) return uint32_t(p[0]) << 8 | uint32_t(p[1]) << 24;  // type, code as be16 ports
  return le32_at(p);
}

bool hashes_ports(uint8_t proto) { return proto == 6 || proto == 17 || proto == 132 || proto == 1 || proto == 58; }

}  // namespace

uint32_t ovs_hash_5tuple(ByteView f, size_t wire) {
  if (wire < f.size()) wire = f.size();
  uint16_t type;
  if (!f.be16(12, type)) return mhash_finish(0, 42);
  size_t off = 14;
  for (int tags = 0; tags < 2 && (type == 0x8100 || type == 0x88A8); tags++) {
    if (!f.be16(off + 2, type)) return mhash_finish(0, 42);
    off += 4;
  }
  uint32_t h = 0;
  uint8_t proto = 0;
  int hashed_proto = -1;  // IPv6: the protocol hashed when it is not `proto`
  uint32_t ports = 0;
  if (type == 0x0800) {
    uint32_t src = 0, dst = 0;
    // miniflow_extract keeps nothing past L2 for a header failing ipv4_sanity_check (cut short,
    // IHL below 5 or beyond the frame, total length beyond the frame or below the IHL; the
    // version is not checked), and reads no L4 header beyond the total length
    size_t size = f.size() > off ? f.size() - off : 0;
    size_t wire_size = wire > off ? wire - off : 0;
    const uint8_t* ip = f.data() + off;
    size_t ihl = size >= 20 ? size_t(ip[0] & 15) * 4 : 0;
    size_t total = size >= 20 ? load_be16(ip + 2) : 0;
    if (size >= 20 && ihl >= 20 && ihl <= size && total <= wire_size && ihl <= total) {
      src = le32_at(ip + 12);
      dst = le32_at(ip + 16);
      proto = ip[9];
      bool later = (load_be16(ip + 6) & 0x1FFF) != 0;
      if (!later) ports = ports_word(ByteView(f.data(), off + (total < size ? total : size)), off + ihl, proto);
    }
    h = mhash_add(mhash_add(h, src), dst);
  } else if (type == 0x0806) {
    uint32_t spa = 0, tpa = 0;
    // Ethernet/IPv4 ARP only (hrd 1, pro 0x0800, hln 6, pln 4); the opcode is nw_proto when it fits 8 bits
    const uint8_t* a = f.data() + off;
    if (f.has(off, 28) && load_be16(a) == 1 && load_be16(a + 2) == 0x0800 && a[4] == 6 && a[5] == 4) {
      uint16_t op = load_be16(a + 6);
      spa = le32_at(a + 14);
      tpa = le32_at(a + 24);
      if (op <= 0xFF) proto = uint8_t(op);
    }
    h = mhash_add(mhash_add(h, spa), tpa);
  } else if (type == 0x86DD) {
    // ipv6_sanity_check: the fixed header, and its payload length within the frame (the version is not checked)
    if (f.has(off, 40) && off + 40 + size_t(load_be16(f.data() + off + 4)) <= wire) {
      const uint8_t* ip = f.data() + off;
      for (int k = 0; k < 8; k++) h = mhash_add(h, le32_at(ip + 8 + 4 * k));  // hash_add64 = two adds, low word first
      // observed on OVS 3.1: the hashed protocol is the fixed header's Next Header, the
      // ports (and whether they count) those of the L4 header after the extension headers
      hashed_proto = ip[6];
      proto = ip[6];
      size_t l4 = off + 40;
      bool later = false;
      for (int n = 0; n < 8 && (proto == 0 || proto == 43 || proto == 60 || proto == 44); n++) {
        if (!f.has(l4, 8)) { proto = 0; break; }
        const uint8_t* x = f.data() + l4;
        if (proto == 44) later = (load_be16(x + 2) & 0xFFF8) != 0;
        size_t len = proto == 44 ? 8 : (size_t(x[1]) + 1) * 8;
        proto = x[0];
        l4 += len;
      }
      if (!later) ports = ports_word(f, l4, proto);
    } else {
      for (int k = 0; k < 8; k++) h = mhash_add(h, 0);
    }
  } else {
    return mhash_finish(0, 42);
  }
  h = mhash_add(h, hashed_proto >= 0 ? uint32_t(hashed_proto) : proto);
  if (hashes_ports(proto)) h = mhash_add(h, ports);
  return mhash_finish(h, 42);
}

}  // namespace vs
