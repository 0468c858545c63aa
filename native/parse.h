// The packet parser: one call parses every packet of a batch.
//
// Per packet it writes the layer offset columns (COL_L2 .. COL_INNER_L4,
// relative to the packet start, kAbsent when missing), COL_FLAGS parser bits,
// COL_DROP (a parser drop reason, or NONE) and the FlowKey of the outermost
// packet. It does not touch COL_HASH, COL_TUN_ID, COL_NEXT or the packet bytes.
//
// Protocols followed: Ethernet II (802.3 length frames stop at L2, dl_type
// 0x05ff as OVS), 802.1Q / 802.1ad / 0x9100 tags, ARP, IPv4 (options; total
// length 0 = "from the frame"), IPv6 with hop-by-hop, routing, fragment,
// destination options and AH skipped by length, TCP, UDP, ICMP, ICMPv6, GRE
// version 0 (C/K/S; version 1 PPTP into its PPP payload), PPP, MPLS label
// stacks, VXLAN, Geneve, MPLS over UDP, IPv4/IPv6 in IP (protocols 4, 41).
// Link types: Ethernet, PPP (9), raw IP (101, 228, 229), Linux cooked SLL and SLL2.
//
// Truncation: a header cut short by the end of the frame (the wire length) is
// malformed: FLAG_MALFORMED and a drop reason. A header cut short only by the
// capture (captured length < wire length) stops parsing with FLAG_TRUNCATED
// and no drop: the packet is what a short snaplen recorded.
//
// IPv4 total length 0, and IPv6 payload length 0 with a next header other
// than 59, mean "up to the end of the frame" (TSO / BIG TCP captures):
// FLAG_IP_LENGTH_FROM_FRAME; a UDP length 0 inside such a packet too.
//
// Encapsulation depth (describe records): 0 for the outer packet, +1 after a
// VXLAN or Geneve header, after a GRE header (PPTP: its PPP payload), after
// an IP-in-IP header (IP protocols 4 and 41), and
// after an MPLS label stack that is not itself a GRE payload. So MPLS over
// Ethernet is eth(0) mpls(0) ip(1), MPLSoUDP ip(0) udp(0) mpls(0) ip(1) and
// MPLSoGRE ip(0) gre(0) mpls(1) ip(1). The payload of an MPLS label stack is
// encapsulated data: COL_L2_5 points at the first label of an outer stack,
// COL_INNER_* at what follows it, and the flow key stops at the labels (as
// OVS: dl_type 0x8847, mpls_lse, no L3 fields).
//
// What follows an MPLS bottom of stack is guessed as tshark 4.0 does (the
// label table that really decides is the receiver's): first nibble 4 ->
// IPv4, 6 -> IPv6, 0 -> 4-byte pseudowire control word then Ethernet
// (RFC 4448), anything else is not followed.
//
// describe verdicts (CsumStatus): IPv4 header, TCP, UDP, ICMP, ICMPv6 and GRE
// (C bit) at every depth; UDP 0 is ABSENT (IPv4 and IPv6); any fragment's L4
// and checksums over bytes not captured are UNVERIFIED (as tshark without
// reassembly); PARTIAL as csum.h. An ICMP error's quoted IP and L4 headers are
// extra records (quoted = 1) that never affect columns, key or drops.
//
// Common frames (Ethernet [one 802.1Q tag] IPv4 without options or IPv6
// without extension headers, TCP or non-tunnel UDP, whole, unfragmented) go
// through a short path (parse_fast.cc) with identical results; the fuzzer
// and parse_test compare the two (ParseOptions::fast_path = false).
//
// Does not: reassemble fragments, parse the L4 header of a non-first fragment,
// verify checksums in parse() (only the outer L4 partial-checksum test that
// sets FLAG_L4_CSUM_PARTIAL), allocate, or call anything virtual.
#pragma once
#include <cstddef>
#include <cstdint>

#include "batch.h"
#include "bytes.h"
#include "csum.h"
#include "flow_key.h"
#include "status.h"

namespace vs {

// pcap LINKTYPE_* values the parser accepts.
enum LinkType : uint32_t {
  LINK_ETHERNET = 1,
  LINK_PPP = 9,  // PPP, with or without HDLC-like framing (RFC 1661/1662)
  LINK_RAW = 101,  // raw IP, version from the first nibble
  LINK_LINUX_SLL = 113,
  LINK_IPV4 = 228,
  LINK_IPV6 = 229,
  LINK_LINUX_SLL2 = 276,
};
bool link_type_supported(uint32_t link_type);

// UDP destination ports that select a tunnel. Up to kMaxTunnelPorts each;
// a port listed twice belongs to the first kind that lists it (VXLAN, Geneve,
// MPLS over UDP).
constexpr size_t kMaxTunnelPorts = 8;
// What a header that fails the checks makes of the packet, as each system
// does.
enum class MalformedPolicy : uint8_t {
  // The packet is dropped with the check's reason (bad_ipv4_ihl, ...).
  DROP = 0,
  // As Open vSwitch's userspace datapath (lib/flow.c miniflow_extract, OVS
  // 3.1): the flow ends at a header that fails OVS's own checks (an IPv4
  // header shorter than 20 bytes or than its IHL, a total length beyond the
  // frame or below the IHL; an IPv6 header cut short or a payload length
  // beyond the frame): its fields and the later ones stay zero, the packet
  // goes on (FLAG_MALFORMED, no drop). Checks OVS does not make are not
  // made (IP version, TCP data offset, UDP length: the ports of any 20- or
  // 8-byte header are read). Only a frame shorter than an Ethernet header is
  // dropped, as dpif-netdev drops it.
  OVS_USERSPACE = 1,
};

struct ParseOptions {
  MalformedPolicy malformed = MalformedPolicy::DROP;
  uint16_t vxlan_ports[kMaxTunnelPorts] = {4789};
  uint8_t vxlan_count = 1;
  uint16_t geneve_ports[kMaxTunnelPorts] = {6081};
  uint8_t geneve_count = 1;
  uint16_t mpls_udp_ports[kMaxTunnelPorts] = {6635};
  uint8_t mpls_udp_count = 1;
  // Common frames (Ethernet [802.1Q] IPv4/IPv6 TCP/UDP, whole, unfragmented)
  // take a short path with the same results. Tests and the fuzzer turn it
  // off to compare the two.
  bool fast_path = true;
  // parse() also verifies the outer IPv4 header and TCP/UDP checksums and
  // sets FLAG_CSUM_VERIFIED, FLAG_IP_CSUM_BAD, FLAG_L4_CSUM_BAD (describe()
  // verifies every layer's checksum either way).
  bool verify_checksums = false;
};

// Layers the parser can report. Values are part of the JS contract
// (src/packet/parse.ts LAYER_NAMES); append only.
enum class LayerProto : uint8_t {
  NONE = 0,
  ETH = 1,
  VLAN = 2,
  ARP = 3,
  IPV4 = 4,
  IPV6 = 5,
  TCP = 6,
  UDP = 7,
  ICMP = 8,
  ICMPV6 = 9,
  GRE = 10,
  MPLS = 11,
  VXLAN = 12,
  GENEVE = 13,
  SLL = 14,
  PPP = 15,
};

// Nesting cap: layers (tags, label stacks, extension headers and headers) per packet.
constexpr uint32_t kMaxLayers = 16;

// One layer of describe(). csum is a CsumStatus (NONE when the layer has no
// checksum). quoted: the layer is inside an ICMP error message's quoted packet.
struct LayerRecord {
  LayerProto proto;
  uint8_t depth;
  CsumStatus csum;
  uint8_t quoted;
  uint32_t offset;
};
static_assert(sizeof(LayerRecord) == 8, "LayerRecord is copied to JS as two 32-bit words");

// Room for kMaxLayers layers plus an ICMP error's quoted IP + L4 (2 more) and
// the layer that exceeded the cap.
constexpr size_t kMaxLayerRecords = kMaxLayers + 4;

// Where describe() puts the layers of one packet, outermost first.
struct LayerList {
  LayerRecord rec[kMaxLayerRecords];
  uint32_t count = 0;
};

// Parses packet i (its columns and key; COL_IN_PORT goes to key.in_port).
// When `layers` is non-null, also records every layer and verifies every
// checksum (describe); the hot path passes nullptr.
void parse_packet(const Batch& batch, uint32_t i, uint32_t link_type, const ParseOptions& opt,
                  LayerList* layers);

// describe() of every packet: parses the batch and fills lists[i] for packet
// i (`lists` holds batch.count() entries). BAD_ARGUMENT for an unsupported
// link type.
Status describe_batch(const Batch& batch, uint32_t link_type, const ParseOptions& opt, LayerList* lists);

// Parses every packet of the batch. BAD_ARGUMENT for an unsupported link type
// (nothing is written then). Invalid packets (inconsistent columns) get
// FLAG_MALFORMED and drop reason TRUNCATED_CAPTURE.
Status parse_batch(const Batch& batch, uint32_t link_type, const ParseOptions& opt);

}  // namespace vs
