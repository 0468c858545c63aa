// Parser driver (batch loop, link types) and the L2 / L2.5 handlers:
// Ethernet, VLAN tags, ARP, MPLS label stacks and the guess of what follows
// a bottom of stack.
#include "parse.h"

#include <cstddef>
#include <cstring>

#include "parse_internal.h"

namespace vs {
namespace parse_detail {

namespace {
constexpr uint16_t kEthIpv4 = 0x0800, kEthArp = 0x0806, kEthIpv6 = 0x86dd, kEthVlan = 0x8100,
                   kEthQinq = 0x88a8, kEthQinqOld = 0x9100, kEthMpls = 0x8847, kEthMplsMc = 0x8848;
constexpr uint16_t kDlTypeNone = 0x05ff;  // OVS FLOW_DL_TYPE_NONE: 802.3 length frames
}  // namespace

int Parser::enter(LayerProto p, size_t off, bool quoted) {
  if (stop_) return -2;
  if (++layers_ > kMaxLayers) {
    fail(DropReason::TOO_MANY_HEADERS);
    return -2;
  }
  if (off >= kAbsent) {
    fail(DropReason::HEADER_BEYOND_64K);
    return -2;
  }
  if (!list_ || list_->count >= kMaxLayerRecords) return -1;
  LayerRecord& r = list_->rec[list_->count];
  r.proto = p;
  r.depth = depth_;
  r.csum = CsumStatus::NONE;
  r.quoted = quoted ? 1 : 0;
  r.offset = uint32_t(off);
  return int(list_->count++);
}

bool Parser::count_extension() {
  if (++layers_ > kMaxLayers) {
    fail(DropReason::TOO_MANY_HEADERS);
    return false;
  }
  return true;
}

void Parser::link(uint32_t link_type) {
  switch (link_type) {
    case LINK_ETHERNET:
      eth(0, wire_);
      return;
    case LINK_IPV4:
      if (outer_key()) key_.dl_type = kEthIpv4;
      ipv4(0, wire_);
      return;
    case LINK_IPV6:
      if (outer_key()) key_.dl_type = kEthIpv6;
      ipv6(0, wire_);
      return;
    case LINK_RAW: {
      if (!need(0, 1, wire_, DropReason::TRUNCATED_IPV4)) return;
      uint8_t v = pkt_.data()[0] >> 4;
      if (v == 4) {
        if (outer_key()) key_.dl_type = kEthIpv4;
        ipv4(0, wire_);
      } else if (v == 6) {
        if (outer_key()) key_.dl_type = kEthIpv6;
        ipv6(0, wire_);
      } else {
        fail(DropReason::BAD_RAW_IP_VERSION);
      }
      return;
    }
    case LINK_LINUX_SLL: {
      // packet type(2) ARPHRD(2) address length(2) address(8) protocol(2)
      if (!need(0, 16, wire_, DropReason::TRUNCATED_SLL)) return;
      if (enter(LayerProto::SLL, 0) == -2) return;
      const uint8_t* h = pkt_.data();
      if (load_be16(h + 4) == 6) std::memcpy(key_.dl_src, h + 6, 6);
      ethertype(load_be16(h + 14), 16, wire_, false);
      return;
    }
    case LINK_PPP:
      ppp(0, wire_);
      return;
    case LINK_LINUX_SLL2: {
      // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8)
      if (!need(0, 20, wire_, DropReason::TRUNCATED_SLL)) return;
      if (enter(LayerProto::SLL, 0) == -2) return;
      const uint8_t* h = pkt_.data();
      if (h[11] == 6) std::memcpy(key_.dl_src, h + 12, 6);
      ethertype(load_be16(h), 20, wire_, false);
      return;
    }
    default:
      return;
  }
}

// [0xff 0x03 (HDLC address, control)] protocol (1 byte when compressed: odd first byte)
void Parser::ppp(size_t off, size_t end) {
  if (!need(off, 2, end, DropReason::TRUNCATED_PPP)) return;
  const uint8_t* h = pkt_.data();
  size_t p = (h[off] == 0xff && h[off + 1] == 0x03) ? off + 2 : off;
  if (!need(p, 1, end, DropReason::TRUNCATED_PPP)) return;
  uint16_t proto = h[p];
  if (proto & 1) {
    p += 1;
  } else {
    if (!need(p, 2, end, DropReason::TRUNCATED_PPP)) return;
    proto = load_be16(h + p);
    p += 2;
  }
  if (enter(LayerProto::PPP, off) == -2) return;
  uint16_t type = proto == 0x21 ? kEthIpv4 : proto == 0x57 ? kEthIpv6 : (proto == 0x281 || proto == 0x283) ? kEthMpls : 0;
  if (type) ethertype(type, p, end, false);
}

void Parser::eth(size_t off, size_t end) {
  if (!need(off, 14, end, DropReason::TRUNCATED_ETHERNET)) return;
  if (enter(LayerProto::ETH, off) == -2) return;
  mark(S_L2, S_INNER_L2, off);
  const uint8_t* h = pkt_.data() + off;
  if (outer_key()) {
    std::memcpy(key_.dl_dst, h, 6);
    std::memcpy(key_.dl_src, h + 6, 6);
  }
  uint16_t type = load_be16(h + 12);
  if (type < 0x0600) {  // 802.3 length: LLC follows, not parsed
    if (outer_key()) key_.dl_type = kDlTypeNone;
    return;
  }
  ethertype(type, off + 14, end, false);
}

void Parser::ethertype(uint16_t type, size_t off, size_t end, bool after_gre) {
  if (stop_) return;
  bool tag = type == kEthVlan || type == kEthQinq || type == kEthQinqOld;
  if (outer_key() && !tag) key_.dl_type = type;
  switch (type) {
    case kEthVlan:
    case kEthQinq:
    case kEthQinqOld:
      vlan(type, off, end);
      return;
    case kEthIpv4:
      ipv4(off, end);
      return;
    case kEthIpv6:
      ipv6(off, end);
      return;
    case kEthArp:
      arp(off, end);
      return;
    case kEthMpls:
    case kEthMplsMc:
      mpls(off, end, after_gre ? MplsCarrier::GRE : MplsCarrier::L2);
      return;
    default:
      return;
  }
}

void Parser::vlan(uint16_t tpid, size_t off, size_t end) {
  if (!need(off, 4, end, DropReason::TRUNCATED_VLAN)) return;
  if (enter(LayerProto::VLAN, off) == -2) return;
  const uint8_t* h = pkt_.data() + off;
  uint16_t tci = load_be16(h);
  if (depth_ == 0) {
    vlan_tags_++;
    flags_ |= FLAG_VLAN;
    if (vlan_tags_ == 2) flags_ |= FLAG_QINQ;
    if (key_l3_) {
      if (vlan_tags_ == 1) {
        key_.vlan_tci = uint16_t(tci | kVlanTciPresent);
      } else if (vlan_tags_ == 2) {
        key_.vlan_tci2 = uint16_t(tci | kVlanTciPresent);
      } else {
        // As OVS (FLOW_MAX_VLAN_HEADERS 2): a third tag ends the key at L2,
        // dl_type being that tag's TPID.
        key_.dl_type = tpid;
        key_l3_ = false;
      }
    }
  }
  ethertype(load_be16(h + 2), off + 4, end, false);
}

void Parser::arp(size_t off, size_t end) {
  // htype(2) ptype(2) hlen(1) plen(1) op(2) sha spa tha tpa
  if (!need(off, 8, end, DropReason::TRUNCATED_ARP)) return;
  const uint8_t* h = pkt_.data() + off;
  size_t body = 2 * (size_t(h[4]) + h[5]);
  if (!need(off, 8 + body, end, DropReason::TRUNCATED_ARP)) return;
  if (enter(LayerProto::ARP, off) == -2) return;
  mark(S_L3, S_INNER_L3, off);
  if (!outer_key()) return;
  uint16_t op = load_be16(h + 6);
  if (load_be16(h) == 1 && load_be16(h + 2) == kEthIpv4 && h[4] == 6 && h[5] == 4) {
    key_.nw_proto = op <= 0xff ? uint8_t(op) : 0;
    std::memcpy(key_.arp_sha, h + 8, 6);
    map_v4(key_.nw_src, h + 14);
    std::memcpy(key_.arp_tha, h + 18, 6);
    map_v4(key_.nw_dst, h + 24);
  }
}

void Parser::mpls(size_t off, size_t end, MplsCarrier carrier) {
  size_t p = off;
  uint32_t labels = 0;
  uint32_t top = 0;
  for (;;) {
    if (!need(p, 4, end, DropReason::TRUNCATED_MPLS)) return;
    uint32_t lse = load_be32(pkt_.data() + p);
    if (labels == 0) top = lse;
    p += 4;
    if (++labels > kMaxLayers) {
      fail(DropReason::TOO_MANY_HEADERS);
      return;
    }
    if (lse & 0x100) break;  // bottom of stack
  }
  if (enter(LayerProto::MPLS, off) == -2) return;
  if (depth_ == 0 || (carrier == MplsCarrier::GRE && depth_ == 1)) flags_ |= FLAG_MPLS;
  if (depth_ == 0) {
    if (carrier == MplsCarrier::L2) {
      if (col_[S_L2_5] == kAbsent) col_[S_L2_5] = uint16_t(off);
      if (key_l3_) {
        key_.mpls_lse = top;
        key_l3_ = false;  // as OVS: no L3/L4 fields behind labels
      }
    } else {
      mark_tunnel(off);
    }
  }
  // A stack that is a GRE payload shares the GRE's depth increment.
  if (carrier != MplsCarrier::GRE) depth_++;
  mpls_payload(p, end);
}

void Parser::mpls_payload(size_t off, size_t end) {
  if (off >= end) return;
  if (off >= pkt_.size()) {
    stop_ = true;
    return;
  }
  uint8_t nibble = pkt_.data()[off] >> 4;
  if (nibble == 4) return ipv4(off, end);
  if (nibble == 6) return ipv6(off, end);
  if (nibble == 0) {
    // RFC 4448 control word (first nibble 0), then Ethernet.
    if (!need(off, 4, end, DropReason::TRUNCATED_MPLS)) return;
    return eth(off + 4, end);
  }
  // 1: associated channel (RFC 4385); anything else: opaque data.
}

}  // namespace parse_detail

bool link_type_supported(uint32_t link_type) {
  switch (link_type) {
    case LINK_ETHERNET:
    case LINK_RAW:
    case LINK_LINUX_SLL:
    case LINK_IPV4:
    case LINK_IPV6:
    case LINK_LINUX_SLL2:
    case LINK_PPP:
      return true;
    default:
      return false;
  }
}

namespace {
constexpr uint32_t kParserFlags = FLAG_PARSED | FLAG_TRUNCATED | FLAG_MALFORMED | FLAG_VLAN | FLAG_QINQ | FLAG_MPLS |
                                  FLAG_TUNNEL | FLAG_IP_FRAGMENT | FLAG_IP_LENGTH_FROM_FRAME |
                                  FLAG_L4_CSUM_PARTIAL | FLAG_CSUM_VERIFIED | FLAG_IP_CSUM_BAD |
                                  FLAG_L4_CSUM_BAD;
constexpr Column kSlotColumn[parse_detail::kSlots] = {COL_L2,  COL_L2_5,     COL_L3,       COL_L4,
                                                      COL_TNL, COL_INNER_L2, COL_INNER_L3, COL_INNER_L4};
}  // namespace

namespace {
// Column pointers, resolved once per batch.
struct Columns {
  explicit Columns(const Batch& b)
      : flags(b.u32(COL_FLAGS)), in_port(b.u32(COL_IN_PORT)), offset(b.u32(COL_OFFSET)), length(b.u32(COL_LENGTH)),
        wire(b.u32(COL_WIRE_LENGTH)), slot_start(b.u32(COL_SLOT_START)), slot_end(b.u32(COL_SLOT_END)),
        drop(b.u16(COL_DROP)), keys(b.key(0)), data(b.data_area()), data_size(b.header().data_size) {
    for (int s = 0; s < parse_detail::kSlots; s++) layer[s] = b.u16(kSlotColumn[s]);
  }
  uint32_t* flags;
  uint32_t* in_port;
  uint32_t* offset;
  uint32_t* length;
  uint32_t* wire;
  uint32_t* slot_start;
  uint32_t* slot_end;
  uint16_t* drop;
  uint16_t* layer[parse_detail::kSlots];
  FlowKey* keys;
  uint8_t* data;
  uint32_t data_size;
};

// Packets ahead whose first cache line parse_batch prefetches.
constexpr uint32_t kParsePrefetch = 4;

void parse_one(const Columns& c, uint32_t i, uint32_t link_type, const ParseOptions& opt, LayerList* layers) {
  FlowKey* key = c.keys + i;
  // Keep the metadata a tunnel pop or recirculation left; clear L2 onwards.
  // A constant-size copy of zeros (vector stores), not memset: compilers turn
  // an 88-byte memset into `rep stos`, whose startup cost dominated the parse.
  static constexpr uint8_t kZeros[sizeof(FlowKey)] = {};
  std::memcpy(&key->dl_dst, kZeros, sizeof(FlowKey) - offsetof(FlowKey, dl_dst));
  key->in_port = c.in_port[i];
  if (layers) layers->count = 0;
  uint32_t flags = c.flags[i] & ~kParserFlags;
  // Same checks as Batch::packet_valid: the bytes lie inside the slot, the slot inside the data area.
  uint64_t off = c.offset[i], len = c.length[i];
  if (!(c.slot_start[i] <= off && off + len <= c.slot_end[i] && c.slot_end[i] <= c.data_size)) {
    for (uint16_t* col : c.layer) col[i] = kAbsent;
    c.flags[i] = flags | FLAG_MALFORMED;
    c.drop[i] = uint16_t(DropReason::BAD_PACKET_SLOT);
    return;
  }
  ByteView bytes(c.data + off, size_t(len));
  parse_detail::FastResult fast;
  if (opt.fast_path && link_type == LINK_ETHERNET && parse_detail::parse_fast(bytes, c.wire[i], opt, *key, &fast, layers)) {
    for (int s = 0; s < parse_detail::kSlots; s++) c.layer[s][i] = fast.col[s];
    c.flags[i] = flags | fast.flags;
    c.drop[i] = 0;
    return;
  }
  parse_detail::Parser p(bytes, c.wire[i], opt, *key, layers);
  p.link(link_type);
  for (int s = 0; s < parse_detail::kSlots; s++) c.layer[s][i] = p.col(parse_detail::Slot(s));
  uint32_t f = p.flags();
  if (!(f & FLAG_MALFORMED)) f |= FLAG_PARSED;
  if (opt.verify_checksums) f |= FLAG_CSUM_VERIFIED;
  c.flags[i] = flags | f;
  // OVS userspace keeps every frame that has an Ethernet header, with its flow as far as it got
  bool keep = opt.malformed == MalformedPolicy::OVS_USERSPACE && p.drop() != uint16_t(DropReason::TRUNCATED_ETHERNET);
  c.drop[i] = keep ? 0 : p.drop();
}
}  // namespace

void parse_packet(const Batch& batch, uint32_t i, uint32_t link_type, const ParseOptions& opt, LayerList* layers) {
  if (i >= batch.count()) return;
  parse_one(Columns(batch), i, link_type, opt, layers);
}

Status describe_batch(const Batch& batch, uint32_t link_type, const ParseOptions& opt, LayerList* lists) {
  if (!link_type_supported(link_type)) return Status::BAD_ARGUMENT;
  uint32_t n = batch.count();
  if (n == 0) return Status::OK;
  Columns cols(batch);
  for (uint32_t i = 0; i < n; i++) parse_one(cols, i, link_type, opt, &lists[i]);
  return Status::OK;
}

Status parse_batch(const Batch& batch, uint32_t link_type, const ParseOptions& opt) {
  if (!link_type_supported(link_type)) return Status::BAD_ARGUMENT;
  uint32_t n = batch.count();
  if (n == 0) return Status::OK;
  Columns cols(batch);
  for (uint32_t i = 0; i < n; i++) {
    // The bytes were usually written by another thread (a capture reader, the
    // bench's copy): ask for a later packet's first line now, so its miss
    // overlaps this packet's parse (parse_one checks the slot before reading).
    if (i + kParsePrefetch < n && cols.offset[i + kParsePrefetch] < cols.data_size)
      __builtin_prefetch(cols.data + cols.offset[i + kParsePrefetch]);
    parse_one(cols, i, link_type, opt, nullptr);
  }
  return Status::OK;
}

}  // namespace vs
