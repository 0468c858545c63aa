// The flow key: the fields of the outermost packet (plus tunnel metadata left
// by a tunnel pop) that the datapath matches on, laid out as OVS's struct flow
// is (metadata, L2, L2.5, L3, L4). The parser fills it; the RSS hash and the
// flow cache read it; a megaflow mask is a FlowKey of the same layout whose
// bits say which key bits a flow consulted. Multi-byte numeric fields are in
// host order; addresses and MACs are in network (wire) order.
#pragma once
#include <cstdint>

namespace vs {

// vlan_tci as OVS: the 802.1Q TCI with bit 0x1000 (CFI/DEI position) set to
// mean "a tag is present". 0 means untagged.
constexpr uint16_t kVlanTciPresent = 0x1000;

// nw_frag bits, as OVS's FLOW_NW_FRAG_*.
constexpr uint8_t kNwFragAny = 0x01;    // any fragment (first or later)
constexpr uint8_t kNwFragLater = 0x02;  // not the first fragment

struct FlowKey {
  // metadata
  uint32_t in_port;    // datapath port number the packet arrived on
  uint32_t recirc_id;  // 0 on first pass; set by recirculate after tunnel pop
  uint64_t tun_id;     // VNI, GRE key or MPLS label after a tunnel pop; 0 otherwise
  uint8_t tun_src[16]; // outer source (IPv4 as ::ffff:a.b.c.d mapped), after pop
  uint8_t tun_dst[16];
  uint32_t tun_flags;  // tunnel kind and key-present bits, after pop
  uint32_t pad0;
  // L2
  uint8_t dl_dst[6];
  uint8_t dl_src[6];
  uint16_t dl_type;    // EtherType after VLAN tags (0x05ff for 802.2 frames, as OVS)
  uint16_t vlan_tci;   // outer tag (802.1Q or 802.1ad), kVlanTciPresent set when present
  uint16_t vlan_tci2;  // inner tag of QinQ
  uint16_t pad1;
  // L2.5
  uint32_t mpls_lse;   // top label stack entry as on the wire (label<<12|tc<<9|s<<8|ttl)
  // L3 (ARP: nw_src = spa, nw_dst = tpa, nw_proto = opcode low byte)
  uint8_t nw_src[16];  // IPv4 as ::ffff:a.b.c.d mapped; IPv6 as is
  uint8_t nw_dst[16];
  uint32_t ipv6_label; // flow label, 20 bits
  uint8_t nw_proto;
  uint8_t nw_tos;      // DSCP and ECN byte
  uint8_t nw_ttl;
  uint8_t nw_frag;     // kNwFrag* bits
  uint8_t arp_sha[6];
  uint8_t arp_tha[6];
  // L4 (ICMP: tp_src = type, tp_dst = code)
  uint16_t tp_src;
  uint16_t tp_dst;
  uint16_t tcp_flags;  // 12 bits: NS..FIN
  uint16_t pad2;
};

static_assert(sizeof(FlowKey) == 144, "FlowKey layout is part of the batch layout contract");
static_assert(sizeof(FlowKey) % 8 == 0, "FlowKey is hashed and masked in 64-bit words");

}  // namespace vs
