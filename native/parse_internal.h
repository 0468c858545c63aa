// Internal to the parser (parse*.cc): the per-packet parse state and the
// protocol handlers. Each handler parses one header at `off`, within the
// enclosing datagram that ends at `end` (wire coordinates: may lie past the
// captured bytes), records it, then calls the handler of what it carries.
// Recursion depth is bounded by kMaxLayers.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "drop_reason.h"
#include "parse.h"

namespace vs::parse_detail {

// Layer column slots, in COL_L2.. order.
enum Slot : uint8_t { S_L2, S_L2_5, S_L3, S_L4, S_TNL, S_INNER_L2, S_INNER_L3, S_INNER_L4, kSlots };

// What an IP header tells its payload.
struct IpInfo {
  bool v6 = false;
  const uint8_t* src = nullptr;  // 4 or 16 wire-order bytes (inside the packet)
  const uint8_t* dst = nullptr;  // IPv6: the routing header's final destination when present
  bool fragment = false;         // any fragment: L4 checksum cannot be verified
  bool len_from_frame = false;   // IPv4 total length 0 / IPv6 payload length 0
  bool quoted = false;           // inside an ICMP error message
};

// Where an MPLS label stack sits.
enum class MplsCarrier : uint8_t { L2, GRE, UDP };

class Parser {
 public:
  Parser(ByteView pkt, size_t wire, const ParseOptions& opt, FlowKey& key, LayerList* list)
      : pkt_(pkt), wire_(wire < pkt.size() ? pkt.size() : wire), opt_(opt), key_(key), list_(list) {
    for (auto& c : col_) c = kAbsent;
    if (wire_ > pkt.size()) flags_ |= FLAG_TRUNCATED;
  }

  // Entry points by link type.
  void link(uint32_t link_type);

  uint16_t col(Slot s) const { return col_[s]; }
  uint32_t flags() const { return flags_; }
  uint16_t drop() const { return drop_; }

  // Handlers (parse.cc: L2, ARP, MPLS; parse_ip.cc: IP and L4; parse_tunnel.cc: UDP tunnels, GRE).
  void eth(size_t off, size_t end);
  void ppp(size_t off, size_t end);
  void ethertype(uint16_t type, size_t off, size_t end, bool after_gre);
  void vlan(uint16_t tpid, size_t off, size_t end);
  void arp(size_t off, size_t end);
  void mpls(size_t off, size_t end, MplsCarrier carrier);
  void mpls_payload(size_t off, size_t end);
  void ipv4(size_t off, size_t end);
  void ipv6(size_t off, size_t end);
  void ip_payload(uint8_t proto, size_t off, size_t end, const IpInfo& ip);
  void tcp(size_t off, size_t end, const IpInfo& ip);
  void udp(size_t off, size_t end, const IpInfo& ip);
  void icmp(size_t off, size_t end, const IpInfo& ip, bool v6);
  void icmp_quote(size_t off, size_t end, bool v6);
  void gre(size_t off, size_t end, const IpInfo& ip);
  void wccp(size_t off, size_t end);
  void vxlan(size_t off, size_t end);
  void geneve(size_t off, size_t end);

 private:
  bool describing() const { return list_ != nullptr; }
  // Open vSwitch's userspace extraction (MalformedPolicy::OVS_USERSPACE).
  bool ovs() const { return opt_.malformed == MalformedPolicy::OVS_USERSPACE; }
  // Verifying the outer checksums into flags (ParseOptions.verify_checksums).
  bool verifying() const { return opt_.verify_checksums && outer_key(); }
  bool stopped() const { return stop_; }

  // Stops with a drop reason (the packet is malformed). OVS's extraction
  // never looks past a tunnel header: there, a bad inner header only stops.
  void fail(DropReason r) {
    if (stop_) return;
    if (ovs() && depth_ > 0) {
      stop_ = true;
      return;
    }
    drop_ = uint16_t(r);
    flags_ |= FLAG_MALFORMED;
    stop_ = true;
  }
  // True when [off, off + n) lies inside the datagram and was captured.
  // Otherwise stops: malformed with `r` when the datagram (frame) is too
  // short, merely truncated when only the capture is.
  bool need(size_t off, size_t n, size_t end, DropReason r) {
    if (off + n <= end && off + n <= pkt_.size()) return true;
    if (off + n > end) {
      fail(r);
    } else {
      stop_ = true;  // FLAG_TRUNCATED was set because wire > captured
    }
    return false;
  }
  // Counts a header against the nesting cap and records it. Returns the
  // record index (or -1 when not describing), -2 when parsing must stop.
  int enter(LayerProto p, size_t off, bool quoted = false);
  void set_csum(int rec, CsumStatus s) {
    if (rec >= 0) list_->rec[rec].csum = s;
  }
  // Counts an IPv6 extension header against the cap (not recorded).
  bool count_extension();
  // Sets an outer (depth 0) or inner (depth >= 1, first one wins) column.
  void mark(Slot outer, Slot inner, size_t off) {
    if (depth_ == 0) {
      if (col_[outer] == kAbsent) col_[outer] = uint16_t(off);
    } else if (col_[inner] == kAbsent) {
      col_[inner] = uint16_t(off);
    }
  }
  // The first tunnel header of the packet: TNL and FLAG_TUNNEL.
  void mark_tunnel(size_t off) {
    if (depth_ == 0 && col_[S_TNL] == kAbsent) {
      col_[S_TNL] = uint16_t(off);
      flags_ |= FLAG_TUNNEL;
    }
  }
  bool outer_key() const { return depth_ == 0 && key_l3_; }

  // L4 checksum verdict (TCP, UDP, ICMPv6 with pseudo-header; ICMP without).
  CsumStatus l4_csum(size_t off, size_t len, size_t field, uint8_t proto, const IpInfo& ip, bool pseudo, bool udp);

  ByteView pkt_;
  size_t wire_;
  const ParseOptions& opt_;
  FlowKey& key_;
  LayerList* list_;
  uint16_t col_[kSlots];
  uint32_t flags_ = 0;
  uint16_t drop_ = 0;
  bool stop_ = false;
  bool key_l3_ = true;  // the outer key still takes L3/L4 fields (false past a third VLAN tag)
  uint8_t depth_ = 0;
  uint8_t vlan_tags_ = 0;
  uint32_t layers_ = 0;
};

// True when the TCP/UDP checksum field at l4 + field holds the folded
// pseudo-header sum (with the real length or 0) and is not simply a correct
// checksum (parse_ip.cc).
bool holds_partial(ByteView pkt, size_t off, size_t len, size_t field, uint8_t proto, const IpInfo& ip);

// The common case without the general machinery (parse_fast.cc): Ethernet,
// at most one 802.1Q tag, IPv4 without options' surprises or IPv6 without
// extension headers, then TCP or UDP to a port that is no tunnel, whole
// frame captured, no fragment. Returns false, having written nothing, for
// anything else: the caller then runs the general parser, whose results it
// must equal (the fuzzer checks they do).
struct FastResult {
  uint16_t col[kSlots];
  uint32_t flags;
};
// With `layers`, also records the layers and checksum verdicts as describe does.
bool parse_fast(ByteView pkt, size_t wire, const ParseOptions& opt, FlowKey& key, FastResult* out, LayerList* layers);

// IPv4 address into the key as ::ffff:a.b.c.d.
inline void map_v4(uint8_t out[16], const uint8_t* a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::memcpy(out, kPrefix, 12);
  std::memcpy(out + 12, a, 4);
}

}  // namespace vs::parse_detail
