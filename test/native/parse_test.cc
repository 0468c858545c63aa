// Parser tests on frames whose bytes come from scapy (the one-liner is next to
// each frame; checksums in them are scapy's) or are built by hand here, with
// checksums from the small RFC 1071 reference below (independent of csum.cc).
#include "parse.h"

#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "drop_reason.h"

using namespace vs;

namespace {

std::vector<uint8_t> hex(const char* s) {
  std::vector<uint8_t> out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (size_t i = 0; s[i] && s[i + 1]; i += 2) out.push_back(uint8_t(nib(s[i]) << 4 | nib(s[i + 1])));
  return out;
}

// RFC 1071 reference: one's-complement sum of 16-bit words, not complemented.
uint32_t ref_sum(const uint8_t* p, size_t n, uint32_t s = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i] << 8 | p[i + 1]);
  if (n & 1) s += uint32_t(p[n - 1]) << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return s;
}

struct Fixture {
  std::vector<uint64_t> buf;
  Batch b;
  explicit Fixture(uint32_t capacity = 8, uint32_t data = 1 << 16) {
    BatchLayout layout;
    batch_layout(capacity, data, &layout);
    buf.assign((layout.total_size + 7) / 8, 0);
    batch_init(bytes(), buf.size() * 8, capacity, data, 64, 0);
    Batch::open(bytes(), buf.size() * 8, &b);
  }
  uint8_t* bytes() { return reinterpret_cast<uint8_t*>(buf.data()); }
  uint32_t add(const std::vector<uint8_t>& f, size_t cap = SIZE_MAX, size_t wire = SIZE_MAX, uint32_t in_port = 0) {
    size_t c = cap == SIZE_MAX ? f.size() : cap;
    size_t w = wire == SIZE_MAX ? c : wire;
    uint32_t i = b.count();
    b.append(f.data(), uint32_t(c), uint32_t(w), 0, 0, in_port);
    return i;
  }
  uint16_t col(Column c, uint32_t i) const { return b.u16(c)[i]; }
  uint32_t flags(uint32_t i) const { return b.u32(COL_FLAGS)[i]; }
  uint16_t drop(uint32_t i) const { return b.u16(COL_DROP)[i]; }
  const FlowKey& key(uint32_t i) const { return *b.key(i); }
};

// describe() of one frame.
LayerList describe(const std::vector<uint8_t>& f, uint32_t link = LINK_ETHERNET, const ParseOptions& opt = {}) {
  Fixture fx;
  fx.add(f);
  LayerList l;
  parse_packet(fx.b, 0, link, opt, &l);
  return l;
}

// "eth/ip/tcp" style summary: proto names with depth when > 0, e.g. "eth/ip/udp/vxlan/eth@1/ip@1/icmp@1".
std::string stack(const LayerList& l) {
  static const char* names[] = {"none", "eth", "vlan", "arp", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6",
                                "gre", "mpls", "vxlan", "geneve", "sll", "ppp"};
  std::string s;
  for (uint32_t k = 0; k < l.count; k++) {
    if (k) s += "/";
    s += names[uint8_t(l.rec[k].proto)];
    if (l.rec[k].depth) s += "@" + std::to_string(l.rec[k].depth);
    if (l.rec[k].quoted) s += "(q)";
  }
  return s;
}
std::string csums(const LayerList& l) {
  std::string s;
  for (uint32_t k = 0; k < l.count; k++) {
    if (l.rec[k].csum == CsumStatus::NONE) continue;
    if (!s.empty()) s += ",";
    s += csum_status_name(l.rec[k].csum);
  }
  return s;
}

#define CHECK_STR(a, b)                                                                          \
  do {                                                                                           \
    std::string va_ = (a), vb_ = (b);                                                            \
    if (va_ != vb_) {                                                                            \
      std::printf("  %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a, va_.c_str(), \
                  vb_.c_str());                                                                  \
      vstest::failures()++;                                                                      \
    }                                                                                            \
  } while (0)

// scapy: Ether(src='02:00:00:00:00:01',dst='02:00:00:00:00:02')/IP(src='10.0.0.1',dst='10.0.0.2',ttl=63,
//   tos=0x2e)/TCP(sport=1234,dport=80,flags='SA',seq=1,ack=1)/b'hello'
const char* kTcp4 =
    "0200000000020200000000010800452e002d000100003f06679a0a0000010a00000204d2005000000001000000015012200032d5000068656c"
    "6c6f";
// scapy: Ether(..)/Dot1AD(vlan=100,prio=3)/Dot1Q(vlan=200)/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=1000,dport=2000)/b'x'
const char* kQinq =
    "02000000000202000000000188a86064810000c808004500001d00010000401166cd0a0000010a00000203e807d00009682178";
// scapy: Ether(..)/IP(src='192.168.0.1',dst='192.168.0.2')/UDP(sport=49152,dport=4789,chksum=0)/VXLAN(vni=100)/
//   Ether(..)/IP(src='10.1.0.1',dst='10.1.0.2')/ICMP(type=8,id=1,seq=1)/b'ping'
const char* kVxlan =
    "020000000002020000000001080045000052000100004011f946c0a80001c0a80002c00012b5003e00000c0000030000640002000000010202"
    "000000010108004500002000010000400166d80a0100010a0100020800192d0001000170696e67";
// scapy: Ether()/IPv6(src='2001:db8::1',dst='2001:db8::2')/IPv6ExtHdrHopByHop()/IPv6ExtHdrSegmentRouting(
//   addresses=['2001:db8::99','2001:db8::2'],segleft=1)/UDP(sport=1,dport=2)/b'abcd'
// scapy's UDP checksum 0xdf00 is over the final destination 2001:db8::99 (Segment List[0]); over the
// IPv6 destination it would be 0xdf97 (both computed by hand in Python).
const char* kSrh =
    "ffffffffffff02fc0000000186dd60000000003c004020010db800000000000000000000000120010db800000000000000000000000"
    "22b00010400000000110404010100000020010db800000000000000000000009920010db800000000000000000000000200010002000cdf"
    "0061626364";
// scapy: Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/GRE(chksum_present=1,key_present=1,key=0x1234,seqnum_present=1,
//   sequence_number=7)/IP(src='10.9.0.1',dst='10.9.0.2')/UDP(sport=5,dport=6)/b'gre!'
const char* kGre =
    "02fc0000000502fc0000000108004500004400010000402f66880a0000010a000002b000080049f6000000001234000000074500002000010"
    "000401166b80a0900010a09000200050006000c1f2367726521";
// scapy: Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/GRE(proto=0x8847)/MPLS(label=100,s=1,ttl=64)/
//   IP(src='10.9.0.1',dst='10.9.0.2')/ICMP()/b'abcd'
const char* kMplsoGre =
    "02fc0000000502fc0000000108004500003c00010000402f66900a0000010a00000200008847000641404500002000010000400166c80a09"
    "00010a090002080033390000000061626364";
// scapy: Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=40000,dport=6081)/GENEVE(vni=5,proto=0x6558,optionlen=2,
//   options=b'\x01\x02\x03\x01\xaa\xbb\xcc\xdd')/Ether()/IP(src='10.8.0.1',dst='10.8.0.2')/TCP(sport=22,dport=33333,flags='A')
const char* kGeneve =
    "02fc0000000502fc0000000108004500006200010000401166880a0000010a0000029c4017c1004e5588020065580000050001020301aabbcc"
    "dd02fc0000000502fc0000000108004500002800010000400666bd0a0800010a08000200168235000000000000000050102000f9760000";
// scapy: Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=50000,dport=6635)/MPLS(label=21,s=0,ttl=64)/
//   MPLS(label=46,s=1,ttl=64)/IP(src='10.7.0.1',dst='10.7.0.2')/ICMP()/b'abcd'
const char* kMplsoUdp =
    "02fc0000000502fc0000000108004500004400010000401166a60a0000010a000002c35019eb0030dccb000150400002e140450000200001"
    "0000400166cc0a0700010a070002080033390000000061626364";
// scapy: Ether()/IPv6(src='fe80::1',dst='fe80::2')/ICMPv6EchoRequest(id=7,seq=9,data=b'hi')
const char* kIcmp6 =
    "ffffffffffff02fc0000000186dd60000000000a3a40fe800000000000000000000000000001fe80000000000000000000000000000280001a"
    "3d000700096869";
// scapy: Ether(src='02:00:00:00:00:01',dst='ff:ff:ff:ff:ff:ff')/ARP(op=1,hwsrc='02:00:00:00:00:01',psrc='10.0.0.1',
//   pdst='10.0.0.9')
const char* kArp = "ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000009";
// scapy: Ether()/MPLS(label=16,s=0,ttl=10)/MPLS(label=17,s=1,ttl=11)/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=7,dport=8)
const char* kMplsEth =
    "ffffffffffff02fc0000000188470001000a0001110b4500001c00010000401166ce0a0000010a000002000700080008ebcc";

}  // namespace

TEST(ethernet_ipv4_tcp_columns_key_and_checksums) {
  Fixture fx;
  uint32_t i = fx.add(hex(kTcp4), SIZE_MAX, SIZE_MAX, 7);
  CHECK(parse_batch(fx.b, LINK_ETHERNET, ParseOptions{}) == Status::OK);
  CHECK_EQ(fx.col(COL_L2, i), 0);
  CHECK_EQ(fx.col(COL_L3, i), 14);
  CHECK_EQ(fx.col(COL_L4, i), 34);
  CHECK_EQ(fx.col(COL_TNL, i), kAbsent);
  CHECK_EQ(fx.col(COL_INNER_L3, i), kAbsent);
  CHECK_EQ(fx.flags(i), uint32_t(FLAG_PARSED));
  CHECK_EQ(fx.drop(i), 0);
  const FlowKey& k = fx.key(i);
  CHECK_EQ(k.in_port, 7u);
  CHECK_EQ(k.dl_type, 0x0800);
  CHECK_EQ(k.dl_src[5], 1);
  CHECK_EQ(k.dl_dst[5], 2);
  CHECK_EQ(k.nw_src[10], 0xff);  // ::ffff:10.0.0.1
  CHECK_EQ(k.nw_src[15], 1);
  CHECK_EQ(k.nw_dst[15], 2);
  CHECK_EQ(k.nw_proto, 6);
  CHECK_EQ(k.nw_tos, 0x2e);
  CHECK_EQ(k.nw_ttl, 63);
  CHECK_EQ(k.tp_src, 1234);
  CHECK_EQ(k.tp_dst, 80);
  CHECK_EQ(k.tcp_flags, 0x12);  // SYN|ACK
  CHECK_EQ(k.vlan_tci, 0);
  LayerList l = describe(hex(kTcp4));
  CHECK_STR(stack(l), "eth/ip/tcp");
  CHECK_STR(csums(l), "good,good");
  // One payload byte changed: the TCP checksum no longer matches, the IP one still does.
  auto bad = hex(kTcp4);
  bad.back() ^= 0x01;
  CHECK_STR(csums(describe(bad)), "good,bad");
  bad = hex(kTcp4);
  bad[24] ^= 0x01;  // IPv4 header checksum byte
  CHECK_STR(csums(describe(bad)), "bad,good");
}

// verify_checksums: the outer verdicts land in flags, the same from the fast
// and the general path; with IPv4 options (general path only) too.
TEST(verify_checksums_flags_on_both_paths) {
  auto good = hex(kTcp4);
  auto bad_l4 = good;
  bad_l4.back() ^= 0x01;
  auto bad_ip = good;
  bad_ip[24] ^= 0x01;
  for (bool fast : {true, false}) {
    Fixture fx;
    fx.add(good);
    fx.add(bad_l4);
    fx.add(bad_ip);
    ParseOptions opt;
    opt.fast_path = fast;
    opt.verify_checksums = true;
    CHECK(parse_batch(fx.b, LINK_ETHERNET, opt) == Status::OK);
    CHECK_EQ(fx.flags(0), uint32_t(FLAG_PARSED | FLAG_CSUM_VERIFIED));
    CHECK_EQ(fx.flags(1), uint32_t(FLAG_PARSED | FLAG_CSUM_VERIFIED | FLAG_L4_CSUM_BAD));
    CHECK_EQ(fx.flags(2), uint32_t(FLAG_PARSED | FLAG_CSUM_VERIFIED | FLAG_IP_CSUM_BAD));
    // Without the option, the same packets carry no verdict bits.
    opt.verify_checksums = false;
    CHECK(parse_batch(fx.b, LINK_ETHERNET, opt) == Status::OK);
    CHECK_EQ(fx.flags(1), uint32_t(FLAG_PARSED));
  }
}

TEST(qinq_and_9100_tags) {
  Fixture fx;
  fx.add(hex(kQinq));
  auto f9100 = hex(kQinq);
  f9100[12] = 0x91;  // outer TPID 0x88a8 -> 0x9100
  f9100[13] = 0x00;
  fx.add(f9100);
  CHECK(parse_batch(fx.b, LINK_ETHERNET, ParseOptions{}) == Status::OK);
  for (uint32_t i = 0; i < 2; i++) {
    CHECK_EQ(fx.flags(i), uint32_t(FLAG_PARSED | FLAG_VLAN | FLAG_QINQ));
    CHECK_EQ(fx.col(COL_L3, i), 22);
    CHECK_EQ(fx.col(COL_L4, i), 42);
    CHECK_EQ(fx.key(i).vlan_tci, 0x6064 | 0x1000);  // prio 3 (0x6000) | VID 100 | present
    CHECK_EQ(fx.key(i).vlan_tci2, 0x00c8 | 0x1000);  // VID 200
    CHECK_EQ(fx.key(i).dl_type, 0x0800);
    CHECK_EQ(fx.key(i).tp_dst, 2000);
  }
  CHECK_STR(stack(describe(hex(kQinq))), "eth/vlan/vlan/ip/udp");
  CHECK_STR(csums(describe(hex(kQinq))), "good,good");
}

TEST(arp_fields_in_key) {
  Fixture fx;
  fx.add(hex(kArp));
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  const FlowKey& k = fx.key(0);
  CHECK_EQ(fx.col(COL_L3, 0), 14);
  CHECK_EQ(k.dl_type, 0x0806);
  CHECK_EQ(k.nw_proto, 1);  // request
  CHECK_EQ(k.nw_src[15], 1);
  CHECK_EQ(k.nw_dst[15], 9);
  CHECK_EQ(k.arp_sha[5], 1);
  CHECK_EQ(k.arp_tha[5], 0);
  CHECK_STR(stack(describe(hex(kArp))), "eth/arp");
  auto cut = hex(kArp);
  cut.resize(14 + 27);  // one byte short of the 28-byte ARP body, as a whole frame
  Fixture fy;
  fy.add(cut);
  parse_batch(fy.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fy.drop(0), uint16_t(DropReason::TRUNCATED_ARP));
}

TEST(ipv6_hop_by_hop_and_srh_final_destination) {
  LayerList l = describe(hex(kSrh));
  CHECK_STR(stack(l), "eth/ipv6/udp");
  CHECK_STR(csums(l), "good");  // verified against Segment List[0]
  Fixture fx;
  fx.add(hex(kSrh));
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.col(COL_L4, 0), 14 + 40 + 8 + 40);
  CHECK_EQ(fx.key(0).nw_proto, 17);
  CHECK_EQ(fx.key(0).nw_dst[15], 2);  // the key keeps the IPv6 header's destination
  // Segments Left 0: the IPv6 destination is final, so the same checksum is now bad.
  auto f = hex(kSrh);
  f[14 + 40 + 8 + 3] = 0;
  CHECK_STR(csums(describe(f)), "bad");
}

TEST(ipv6_fragments) {
  // Hand-built: IPv6 (plen 16, nh 44) + fragment header (nh 17, offset 0, M=1, id 1) + UDP header
  // (ports 1->2, length 100, checksum 0x1234): a first fragment of a longer datagram.
  auto first = hex(
      "ffffffffffff02fc0000000186dd6000000000102c4020010db800000000000000000000000120010db80000000000000000000000"
      "021100000100000001000100020064123400000000");
  LayerList l = describe(first);
  CHECK_STR(stack(l), "eth/ipv6/udp");
  CHECK_STR(csums(l), "unverified");  // as tshark without reassembly
  Fixture fx;
  fx.add(first);
  // Same with offset 8 (bytes 0x00 0x40 with M clear): a later fragment, no L4.
  auto later = first;
  later[14 + 40 + 2] = 0x00;
  later[14 + 40 + 3] = 0x40;
  fx.add(later);
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.key(0).nw_frag, kNwFragAny);
  CHECK_EQ(fx.key(0).tp_dst, 2);
  CHECK_EQ(fx.col(COL_L4, 0), 14 + 48);
  CHECK_EQ(fx.key(1).nw_frag, kNwFragAny | kNwFragLater);
  CHECK_EQ(fx.col(COL_L4, 1), kAbsent);
  CHECK(fx.flags(1) & FLAG_IP_FRAGMENT);
  CHECK_EQ(fx.drop(1), 0);
}

TEST(ipv4_total_length_zero_and_partial_checksum) {
  // Hand-built TSO frame: IPv4 total length 0, TCP with 10 payload bytes whose checksum field holds
  // fold(pseudo-header sum with length 0), as Linux writes it for CHECKSUM_PARTIAL GSO packets.
  std::vector<uint8_t> f = hex(
      "02000000000202000000000108004500000000014000400600000a0000010a000002"
      "04d200500000000100000001501020000000000030313233343536373839");
  uint8_t* ip = f.data() + 14;
  uint16_t ipc = uint16_t(~ref_sum(ip, 20));
  ip[10] = uint8_t(ipc >> 8);
  ip[11] = uint8_t(ipc);
  uint8_t ph[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 0};  // pseudo-header with length 0
  uint16_t part = uint16_t(ref_sum(ph, 12));
  f[14 + 20 + 16] = uint8_t(part >> 8);
  f[14 + 20 + 17] = uint8_t(part);
  Fixture fx;
  fx.add(f);
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.flags(0), uint32_t(FLAG_PARSED | FLAG_IP_LENGTH_FROM_FRAME | FLAG_L4_CSUM_PARTIAL));
  CHECK_EQ(fx.col(COL_L4, 0), 34);
  CHECK_STR(csums(describe(f)), "good,partial");
  // The real checksum instead: good, and no partial flag.
  f[14 + 20 + 16] = f[14 + 20 + 17] = 0;
  uint8_t ph2[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0, 30};
  uint16_t full = uint16_t(~ref_sum(f.data() + 34, 30, ref_sum(ph2, 12)));
  f[14 + 20 + 16] = uint8_t(full >> 8);
  f[14 + 20 + 17] = uint8_t(full);
  Fixture fy;
  fy.add(f);
  parse_batch(fy.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fy.flags(0), uint32_t(FLAG_PARSED | FLAG_IP_LENGTH_FROM_FRAME));
  CHECK_STR(csums(describe(f)), "good,good");
}

TEST(vxlan_columns_depths_and_absent_udp_checksum) {
  Fixture fx;
  fx.add(hex(kVxlan));
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.flags(0), uint32_t(FLAG_PARSED | FLAG_TUNNEL));
  CHECK_EQ(fx.col(COL_L4, 0), 34);
  CHECK_EQ(fx.col(COL_TNL, 0), 42);
  CHECK_EQ(fx.col(COL_INNER_L2, 0), 50);
  CHECK_EQ(fx.col(COL_INNER_L3, 0), 64);
  CHECK_EQ(fx.col(COL_INNER_L4, 0), 84);
  CHECK_EQ(fx.key(0).tp_dst, 4789);
  CHECK_EQ(fx.key(0).nw_src[12], 192);  // outer addresses only
  LayerList l = describe(hex(kVxlan));
  CHECK_STR(stack(l), "eth/ip/udp/vxlan/eth@1/ip@1/icmp@1");
  CHECK_STR(csums(l), "good,absent,good,good");
  // Not a VXLAN port: stops at UDP. A configured port: VXLAN again.
  auto other = hex(kVxlan);
  other[36] = 0x12;
  other[37] = 0x34;  // dst port 4660
  CHECK_STR(stack(describe(other)), "eth/ip/udp");
  ParseOptions opt;
  opt.vxlan_ports[1] = 4660;
  opt.vxlan_count = 2;
  CHECK_STR(stack(describe(other, LINK_ETHERNET, opt)), "eth/ip/udp/vxlan/eth@1/ip@1/icmp@1");
}

TEST(vxlan_truncated_at_every_byte) {
  auto f = hex(kVxlan);
  for (size_t k = 0; k < f.size(); k++) {
    // A frame that really is k bytes long: malformed with a reason.
    Fixture a(1, 4096);
    a.add(f, k, k);
    parse_batch(a.b, LINK_ETHERNET, ParseOptions{});
    if (a.drop(0) == 0 || !(a.flags(0) & FLAG_MALFORMED)) {
      std::printf("  frame cut to %zu bytes: no drop reason\n", k);
      vstest::failures()++;
    }
    // A capture cut at k bytes of a longer frame: truncated, never malformed.
    Fixture b(1, 4096);
    b.add(f, k, f.size());
    LayerList l;
    parse_packet(b.b, 0, LINK_ETHERNET, ParseOptions{}, &l);
    if (!(b.flags(0) & FLAG_TRUNCATED) || b.drop(0) != 0) {
      std::printf("  capture cut to %zu bytes: flags %x drop %u\n", k, b.flags(0), b.drop(0));
      vstest::failures()++;
    }
    // Checksums whose bytes were cut are unverified, never good or bad.
    if (k < f.size() && k >= 50 + 20 + 8 && l.count == 7 && l.rec[6].csum != CsumStatus::UNVERIFIED) {
      std::printf("  capture cut to %zu bytes: inner ICMP checksum %s\n", k, csum_status_name(l.rec[6].csum));
      vstest::failures()++;
    }
  }
}

TEST(gre_with_checksum_key_sequence) {
  LayerList l = describe(hex(kGre));
  CHECK_STR(stack(l), "eth/ip/gre/ip@1/udp@1");
  CHECK_STR(csums(l), "good,good,good,good");  // outer ip, gre, inner ip, inner udp
  Fixture fx;
  fx.add(hex(kGre));
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.col(COL_L4, 0), 34);
  CHECK_EQ(fx.col(COL_TNL, 0), 34);
  CHECK_EQ(fx.col(COL_INNER_L3, 0), 34 + 16);  // 4 + checksum + key + sequence
  CHECK_EQ(fx.col(COL_INNER_L4, 0), 34 + 16 + 20);
  CHECK_EQ(fx.col(COL_INNER_L2, 0), kAbsent);
  CHECK_EQ(fx.flags(0), uint32_t(FLAG_PARSED | FLAG_TUNNEL));
  CHECK_EQ(fx.key(0).nw_proto, 47);
  auto bad = hex(kGre);
  bad.back() ^= 0x40;  // payload byte: GRE checksum and inner UDP checksum break
  CHECK_STR(csums(describe(bad)), "good,bad,good,bad");
  auto v2 = hex(kGre);
  v2[35] |= 0x02;  // version 2
  Fixture fy;
  fy.add(v2);
  parse_batch(fy.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fy.drop(0), uint16_t(DropReason::BAD_GRE_VERSION));
}

TEST(mpls_over_gre_udp_and_ethernet) {
  LayerList g = describe(hex(kMplsoGre));
  CHECK_STR(stack(g), "eth/ip/gre/mpls@1/ip@1/icmp@1");
  Fixture fx;
  fx.add(hex(kMplsoGre));
  fx.add(hex(kMplsoUdp));
  fx.add(hex(kMplsEth));
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.col(COL_TNL, 0), 34);
  CHECK_EQ(fx.col(COL_INNER_L3, 0), 34 + 4 + 4);
  CHECK_EQ(fx.flags(0), uint32_t(FLAG_PARSED | FLAG_TUNNEL | FLAG_MPLS));
  LayerList u = describe(hex(kMplsoUdp));
  CHECK_STR(stack(u), "eth/ip/udp/mpls/ip@1/icmp@1");
  CHECK_EQ(fx.col(COL_TNL, 1), 42);
  CHECK_EQ(fx.col(COL_INNER_L3, 1), 50);
  CHECK_EQ(fx.col(COL_L2_5, 1), kAbsent);
  CHECK_EQ(fx.flags(1), uint32_t(FLAG_PARSED | FLAG_TUNNEL | FLAG_MPLS));
  LayerList e = describe(hex(kMplsEth));
  CHECK_STR(stack(e), "eth/mpls/ip@1/udp@1");
  CHECK_EQ(fx.col(COL_L2_5, 2), 14);
  CHECK_EQ(fx.col(COL_L3, 2), kAbsent);
  CHECK_EQ(fx.col(COL_INNER_L3, 2), 22);
  CHECK_EQ(fx.flags(2), uint32_t(FLAG_PARSED | FLAG_MPLS));
  CHECK_EQ(fx.key(2).dl_type, 0x8847);
  CHECK_EQ(fx.key(2).mpls_lse, 0x0001000au);  // label 16, S=0, TTL 10
  CHECK_EQ(fx.key(2).nw_proto, 0);          // OVS: nothing past the labels
  // Bottom of stack never reached inside the frame.
  auto nobos = hex(kMplsEth);
  nobos.resize(14 + 4);
  Fixture fy;
  fy.add(nobos);
  parse_batch(fy.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fy.drop(0), uint16_t(DropReason::TRUNCATED_MPLS));
}

TEST(mpls_pseudowire_control_word) {
  // Hand-built: Ethernet / MPLS label 18 S=1 / control word 0x00000000 / inner Ethernet / IPv4 (kTcp4's).
  auto inner = hex(kTcp4);
  auto f = hex("00000000000100000000000288470001210000000000");
  f.insert(f.end(), inner.begin(), inner.end());
  CHECK_STR(stack(describe(f)), "eth/mpls/eth@1/ip@1/tcp@1");
  // First nibble 5: neither IP nor a control word: not followed.
  auto g = hex("00000000000100000000000288470001210055");
  g.resize(14 + 4 + 60, 0);
  CHECK_STR(stack(describe(g)), "eth/mpls");
}

TEST(geneve_with_options) {
  LayerList l = describe(hex(kGeneve));
  CHECK_STR(stack(l), "eth/ip/udp/geneve/eth@1/ip@1/tcp@1");
  CHECK_STR(csums(l), "good,good,good,good");
  Fixture fx;
  fx.add(hex(kGeneve));
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.col(COL_TNL, 0), 42);
  CHECK_EQ(fx.col(COL_INNER_L2, 0), 42 + 16);
  auto cut = hex(kGeneve);
  cut.resize(42 + 12);  // options cut short, whole frame; outer lengths fixed to match
  cut[14 + 2] = 0;
  cut[14 + 3] = 40;  // IPv4 total length 20 + 8 + 12
  cut[14 + 20 + 4] = 0;
  cut[14 + 20 + 5] = 20;  // UDP length
  Fixture fy;
  fy.add(cut);
  parse_batch(fy.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fy.drop(0), uint16_t(DropReason::TRUNCATED_GENEVE));
}

TEST(icmp_icmpv6_and_quoted_packets) {
  LayerList l = describe(hex(kIcmp6));
  CHECK_STR(stack(l), "eth/ipv6/icmpv6");
  CHECK_STR(csums(l), "good");
  Fixture fx;
  fx.add(hex(kIcmp6));
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.key(0).tp_src, 128);  // echo request
  CHECK_EQ(fx.key(0).tp_dst, 0);
  // Hand-built ICMP port unreachable (type 3 code 3) quoting an IPv4/UDP header (UDP checksum 0).
  std::vector<uint8_t> q = hex(
      "0200000000020200000000010800"
      "45000038000000004001" "0000" "0a0000020a000001"
      "0303" "0000" "00000000"
      "4500001c000100004011" "0000" "0a0000010a000002" "303930390008" "0000");
  uint16_t c = uint16_t(~ref_sum(q.data() + 14 + 28, 20));
  q[14 + 28 + 10] = uint8_t(c >> 8);
  q[14 + 28 + 11] = uint8_t(c);
  c = uint16_t(~ref_sum(q.data() + 14, 20));
  q[24] = uint8_t(c >> 8);
  q[25] = uint8_t(c);
  c = uint16_t(~ref_sum(q.data() + 34, 36));
  q[36] = uint8_t(c >> 8);
  q[37] = uint8_t(c);
  LayerList e = describe(q);
  CHECK_STR(stack(e), "eth/ip/icmp/ip(q)/udp(q)");
  CHECK_STR(csums(e), "good,good,good,absent");
}

TEST(link_types_raw_sll_sll2) {
  auto eth = hex(kTcp4);
  std::vector<uint8_t> ip(eth.begin() + 14, eth.end());
  for (uint32_t lt : {uint32_t(LINK_RAW), uint32_t(LINK_IPV4)}) {
    CHECK_STR(stack(describe(ip, lt)), "ip/tcp");
    Fixture fx;
    fx.add(ip);
    CHECK(parse_batch(fx.b, lt, ParseOptions{}) == Status::OK);
    CHECK_EQ(fx.col(COL_L2, 0), kAbsent);
    CHECK_EQ(fx.col(COL_L3, 0), 0);
    CHECK_EQ(fx.key(0).dl_type, 0x0800);
    CHECK_EQ(fx.key(0).tp_dst, 80);
  }
  auto v6 = hex(kIcmp6);
  std::vector<uint8_t> ip6(v6.begin() + 14, v6.end());
  CHECK_STR(stack(describe(ip6, LINK_IPV6)), "ipv6/icmpv6");
  CHECK_STR(stack(describe(ip6, LINK_RAW)), "ipv6/icmpv6");
  // SLL: outgoing (4), ARPHRD_ETHER, 6-byte address, protocol 0x0800.
  auto sll = hex("000400010006020000000001000008000");
  sll = hex("00040001000602000000000100000800");
  sll.insert(sll.end(), ip.begin(), ip.end());
  CHECK_STR(stack(describe(sll, LINK_LINUX_SLL)), "sll/ip/tcp");
  // SLL2: protocol 0x0800, reserved, ifindex 2, ARPHRD_ETHER, outgoing, 6-byte address.
  auto sll2 = hex("080000000000000200010406020000000001" "0000");
  sll2.insert(sll2.end(), ip.begin(), ip.end());
  CHECK_STR(stack(describe(sll2, LINK_LINUX_SLL2)), "sll/ip/tcp");
  Fixture fx;
  fx.add(sll2);
  parse_batch(fx.b, LINK_LINUX_SLL2, ParseOptions{});
  CHECK_EQ(fx.col(COL_L3, 0), 20);
  CHECK_EQ(fx.key(0).dl_src[5], 1);
  CHECK(parse_batch(fx.b, 147, ParseOptions{}) == Status::BAD_ARGUMENT);  // a user DLT
  // PPP in HDLC-like framing (ff 03), protocol 0x0021 = IPv4; and with a compressed 1-byte protocol.
  auto ppp = hex("ff030021");
  ppp.insert(ppp.end(), ip.begin(), ip.end());
  CHECK_STR(stack(describe(ppp, LINK_PPP)), "ppp/ip/tcp");
  auto ppp1 = hex("21");
  ppp1.insert(ppp1.end(), ip.begin(), ip.end());
  CHECK_STR(stack(describe(ppp1, LINK_PPP)), "ppp/ip/tcp");
  std::vector<uint8_t> junk = {0x50, 0, 0, 0};
  Fixture fz;
  fz.add(junk);
  parse_batch(fz.b, LINK_RAW, ParseOptions{});
  CHECK_EQ(fz.drop(0), uint16_t(DropReason::BAD_RAW_IP_VERSION));
}

TEST(malformed_headers_have_reasons) {
  struct Case {
    size_t at;
    uint8_t value;
    DropReason want;
  } cases[] = {
      {14, 0x55, DropReason::BAD_IPV4_VERSION},       // version 5
      {14, 0x44, DropReason::BAD_IPV4_IHL},           // IHL 4
      {17, 0xff, DropReason::BAD_IPV4_TOTAL_LENGTH},  // total length beyond the frame
      {17, 0x10, DropReason::BAD_IPV4_TOTAL_LENGTH},  // 16 < IHL
      {46, 0x40, DropReason::BAD_TCP_DATA_OFFSET},    // 4 words
      {46, 0xf0, DropReason::BAD_TCP_DATA_OFFSET},    // 60 bytes > segment
  };
  for (const Case& c : cases) {
    auto f = hex(kTcp4);
    f[c.at] = c.value;
    Fixture fx;
    fx.add(f);
    parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
    CHECK_EQ(fx.drop(0), uint16_t(c.want));
    CHECK(fx.flags(0) & FLAG_MALFORMED);
    CHECK(!(fx.flags(0) & FLAG_PARSED));
  }
  auto u = hex(kQinq);
  u[22 + 20 + 5] = 7;  // UDP length 7
  Fixture fx;
  fx.add(u);
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.drop(0), uint16_t(DropReason::BAD_UDP_LENGTH));
  std::vector<uint8_t> tiny(13, 0);
  Fixture fy;
  fy.add(tiny);
  parse_batch(fy.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fy.drop(0), uint16_t(DropReason::TRUNCATED_ETHERNET));
}

// OVS userspace (miniflow_extract): a header failing OVS's checks ends the
// flow there, nothing is dropped; checks OVS does not make are not made.
TEST(malformed_policy_ovs_userspace) {
  ParseOptions ovs;
  ovs.malformed = MalformedPolicy::OVS_USERSPACE;
  struct Case {
    size_t at;
    uint8_t value;
    bool l3;       // OVS keeps the IPv4 fields
    bool ports;    // and the TCP ports
    bool malformed;
  } cases[] = {
      {14, 0x55, true, true, false},    // version 5: not checked
      {14, 0x44, false, false, true},   // IHL 4
      {17, 0xff, false, false, true},   // total length beyond the frame
      {17, 0x10, false, false, true},   // 16 < IHL
      {46, 0x40, true, true, false},    // TCP data offset 4 words: ports and flags still read
      {46, 0xf0, true, true, false},    // 60 bytes > segment
  };
  for (const Case& c : cases) {
    auto f = hex(kTcp4);
    f[c.at] = c.value;
    Fixture fx;
    fx.add(f);
    parse_batch(fx.b, LINK_ETHERNET, ovs);
    const FlowKey& k = *fx.b.key(0);
    CHECK_EQ(fx.drop(0), 0);
    CHECK_EQ(k.dl_type, 0x0800);
    CHECK_EQ(k.dl_src[5], 0x01);
    CHECK_EQ(k.nw_proto, c.l3 ? 6 : 0);
    CHECK_EQ(k.tp_dst, c.ports ? 80 : 0);
    CHECK_EQ(bool(fx.flags(0) & FLAG_MALFORMED), c.malformed);
  }
  auto u = hex(kQinq);
  u[22 + 20 + 5] = 7;  // UDP length 7: OVS reads the ports anyway
  Fixture fu;
  fu.add(u);
  parse_batch(fu.b, LINK_ETHERNET, ovs);
  CHECK_EQ(fu.drop(0), 0);
  CHECK_EQ(fu.b.key(0)->tp_dst, 2000);
  std::vector<uint8_t> tiny(13, 0);  // shorter than an Ethernet header: dpif-netdev drops it too
  Fixture fy;
  fy.add(tiny);
  parse_batch(fy.b, LINK_ETHERNET, ovs);
  CHECK_EQ(fy.drop(0), uint16_t(DropReason::TRUNCATED_ETHERNET));
}

TEST(too_many_headers) {
  // 17 802.1Q tags then IPv4: more layers than kMaxLayers (16).
  auto base = hex(kTcp4);
  std::vector<uint8_t> f(base.begin(), base.begin() + 12);
  for (int t = 0; t < 17; t++) {
    f.push_back(0x81);
    f.push_back(0x00);
    f.push_back(0x00);
    f.push_back(uint8_t(t + 1));
  }
  f.push_back(0x08);
  f.push_back(0x00);
  f.insert(f.end(), base.begin() + 14, base.end());
  Fixture fx;
  fx.add(f);
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.drop(0), uint16_t(DropReason::TOO_MANY_HEADERS));
  // Three tags: parsed, but the key ends at L2 as OVS does (dl_type = third TPID).
  std::vector<uint8_t> g(base.begin(), base.begin() + 12);
  for (int t = 0; t < 3; t++) {
    g.push_back(0x81);
    g.push_back(0x00);
    g.push_back(0x00);
    g.push_back(uint8_t(t + 1));
  }
  g.push_back(0x08);
  g.push_back(0x00);
  g.insert(g.end(), base.begin() + 14, base.end());
  Fixture fy;
  fy.add(g);
  parse_batch(fy.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fy.drop(0), 0);
  CHECK_EQ(fy.key(0).dl_type, 0x8100);
  CHECK_EQ(fy.key(0).nw_proto, 0);
  CHECK_EQ(fy.col(COL_L3, 0), 14 + 12);
}

TEST(invalid_packet_slot) {
  Fixture fx;
  fx.add(hex(kTcp4));
  fx.b.u32(COL_LENGTH)[0] = 1u << 30;
  parse_batch(fx.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(fx.drop(0), uint16_t(DropReason::BAD_PACKET_SLOT));
  CHECK_EQ(fx.col(COL_L2, 0), kAbsent);
}

TEST(fast_path_matches_general_parser) {
  // Frames the fast path takes (TCP/UDP over IPv4/IPv6, one 802.1Q tag, a bad checksum)
  // and ones it must leave to the general parser; both paths must write the same.
  auto tagged = hex(kTcp4);
  const uint8_t tag[4] = {0x81, 0x00, 0x20, 0x05};
  tagged.insert(tagged.begin() + 12, tag, tag + 4);
  auto partial = hex(kTcp4);
  partial[14 + 20 + 16] = 0x00;  // a wrong TCP checksum: bad in both paths
  std::vector<std::vector<uint8_t>> frames = {hex(kTcp4), hex(kQinq), hex(kVxlan), hex(kSrh), hex(kIcmp6),
                                              hex(kGeneve), tagged, partial, hex(kArp)};
  for (const auto& f : frames) {
    ParseOptions general;
    general.fast_path = false;
    Fixture a, b;
    a.add(f);
    b.add(f);
    LayerList la, lb;
    parse_packet(a.b, 0, LINK_ETHERNET, ParseOptions{}, &la);
    parse_packet(b.b, 0, LINK_ETHERNET, general, &lb);
    CHECK_STR(stack(la) + " " + csums(la), stack(lb) + " " + csums(lb));
    CHECK_EQ(a.flags(0), b.flags(0));
    CHECK(std::memcmp(&a.key(0), &b.key(0), sizeof(FlowKey)) == 0);
    parse_batch(a.b, LINK_ETHERNET, ParseOptions{});
    parse_batch(b.b, LINK_ETHERNET, general);
    CHECK_EQ(a.flags(0), b.flags(0));
    for (Column c : {COL_L2, COL_L3, COL_L4, COL_TNL, COL_INNER_L3}) CHECK_EQ(a.col(c, 0), b.col(c, 0));
    CHECK(std::memcmp(&a.key(0), &b.key(0), sizeof(FlowKey)) == 0);
  }
  Fixture v;
  v.add(tagged);
  parse_batch(v.b, LINK_ETHERNET, ParseOptions{});
  CHECK_EQ(v.key(0).vlan_tci, 0x2005 | 0x1000);
  CHECK_EQ(v.col(COL_L3, 0), 18);
}

TEST_MAIN("parse")
