// Tunnel kinds, encap policies, the encap template (built once per tunnel in
// TypeScript, src/tunnel/template.ts, patched per packet here) and the
// per-packet metadata a decap leaves behind.
//
// Wire layouts handled (see ../shared/SEMANTICS.md for sources):
//
//   VXLAN (RFC 7348), after outer Ethernet [+802.1Q], IPv4/IPv6, UDP dst 4789:
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |R|R|R|R|I|R|R|R|            Reserved                           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                VXLAN Network Identifier (VNI) |   Reserved    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   then the inner Ethernet frame.
//
//   MPLS label stack entry (RFC 3032), MPLSoUDP (RFC 7510, UDP dst 6635) and
//   MPLSoGRE (RFC 4023, GRE protocol 0x8847):
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                Label                  | TC  |S|      TTL      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   then IP (L3 payload) or [control word 0000 + 28 bits] Ethernet (L2).
//
//   GRE (RFC 2784/2890): |C|R|K|S|s|Recur|A|Flags|Ver| Protocol Type |
//   then [Checksum | Reserved1] if C (or R), [Key] if K, [Sequence] if S.
//   Ethernet over GRE (OVS type=gre, Linux gretap): protocol 0x6558
//   (transparent Ethernet bridging), the inner Ethernet frame follows.
#pragma once
#include <cstddef>
#include <cstdint>

#include "bytes.h"
#include "status.h"

namespace vs {

// GRE: Ethernet over GRE (protocol 0x6558, optional key), as OVS's gre port.
enum class TunnelType : uint8_t { NONE = 0, VXLAN = 1, MPLSOUDP = 2, MPLSOGRE = 3, GRE = 4 };

// Outer IPv4 identification per packet.
enum class IpIdPolicy : uint8_t {
  COUNTER = 0,     // per-tunnel counter (TunnelState::ip_id), incremented per packet
  COPY_INNER = 1,  // inner IPv4 ID (vRouter MPLSoGRE); the counter when the inner is not IPv4
  ZERO = 2,
  GLOBAL = 3,      // one counter shared by every GLOBAL template of a datapath (the encap caller's
                   // global_id), pre-incremented, skipping 0: vRouter's vr_generate_unique_ip_id
};

// Outer IPv4 DF bit. INHERIT: the inner IPv4 DF bit, set for an inner IPv6
// packet (IPv6 never fragments in flight), clear for anything else (as Linux
// vxlan df=inherit).
enum class DfPolicy : uint8_t { CLEAR = 0, SET = 1, INHERIT = 2 };

// Outer TTL / hop limit and MPLS label TTL: the template's value, or the inner
// IP TTL (the template's value when the inner packet is not IP).
enum class TtlPolicy : uint8_t { FIXED = 0, INHERIT = 1 };

enum class UdpCsumPolicy : uint8_t { ZERO = 0, COMPUTE = 1 };

constexpr uint32_t kTunnelTemplateMagic = 0x31545356;  // "VST1" little-endian
constexpr uint32_t kTunnelMaxHeader = 96;                 // outer bytes a template may push
constexpr uint32_t kTunnelMaxLabels = 2;                  // labels an encap pushes
constexpr uint32_t kTunnelDecapMaxLabels = 4;             // labels a decap walks through

// Template flag bits.
constexpr uint8_t kTplIpv6 = 1u << 0;        // outer IPv6 (else IPv4)
constexpr uint8_t kTplL2Payload = 1u << 1;   // inner Ethernet frame (else inner IP only)
constexpr uint8_t kTplSportFold = 1u << 2;   // hash ^= hash << 16 before mapping (Linux)
constexpr uint8_t kTplSportOvsHash = 1u << 3; // source port from OVS's 5-tuple hash of the frame
                                              // (tunnel_ovs_hash.h), not COL_HASH

// The encap template, exactly as src/tunnel/template.ts serializes it
// (128 bytes, little-endian numbers; `bytes` are wire bytes). It holds the
// complete outer header with every per-packet field zero or at its template
// value and, for IPv4, a header checksum valid for the template bytes as
// they are; the fast path patches lengths, ID, DF, TTL, source port,
// checksums and MPLS TTLs. Load one with tunnel_template_load, which checks
// every offset so the patcher can write without further checks.
struct TunnelTemplate {
  uint32_t magic;
  uint8_t type;          // TunnelType
  uint8_t flags;         // kTpl* bits
  uint8_t ip_id_policy;  // IpIdPolicy
  uint8_t df_policy;     // DfPolicy
  uint8_t ttl_policy;    // TtlPolicy, outer TTL / hop limit
  uint8_t mpls_ttl_policy;  // TtlPolicy, every label's TTL
  uint8_t n_labels;      // 0 for VXLAN and GRE, 1..kTunnelMaxLabels for MPLS
  uint8_t udp_csum;      // UdpCsumPolicy (UDP tunnels)
  uint16_t hdr_len;      // bytes in `bytes` that are pushed
  uint16_t l3_off;       // outer IP header
  uint16_t l4_off;       // UDP or GRE header
  uint16_t tnl_off;      // VXLAN header, or the first label (MPLSoUDP), or the GRE header
  uint16_t mpls_off;     // first label stack entry, kAbsent for VXLAN and GRE
  uint16_t sport_min;    // UDP source port range [min, max]; min == max pins it
  uint16_t sport_max;
  uint16_t reserved0;
  uint32_t reserved1;
  uint8_t bytes[kTunnelMaxHeader];
};
static_assert(sizeof(TunnelTemplate) == 128, "TunnelTemplate is serialized by src/tunnel/template.ts");
static_assert(offsetof(TunnelTemplate, hdr_len) == 12 && offsetof(TunnelTemplate, sport_min) == 22 &&
                  offsetof(TunnelTemplate, bytes) == 32,
              "TunnelTemplate field offsets are part of the TS contract");

// Mutable per-tunnel state the fast path updates.
struct TunnelState {
  uint16_t ip_id;  // next outer IPv4 ID for IpIdPolicy::COUNTER
};

// Copies and validates a serialized template (exactly sizeof(TunnelTemplate)
// bytes). BAD_ARGUMENT when the magic, kind, policies or any offset are
// inconsistent with the header bytes (e.g. IPv4 version/IHL, UDP/GRE
// protocol, label count vs. stack, headers beyond hdr_len).
Status tunnel_template_load(ByteView bytes, TunnelTemplate* out);

// tun_flags bits written into FlowKey::tun_flags and TunnelMeta::flags by a decap.
constexpr uint32_t kTunFlagVxlan = 1u << 0;
constexpr uint32_t kTunFlagMplsoudp = 1u << 1;
constexpr uint32_t kTunFlagMplsogre = 1u << 2;
constexpr uint32_t kTunFlagKey = 1u << 3;       // GRE key present
constexpr uint32_t kTunFlagIpv6 = 1u << 4;      // outer IPv6
constexpr uint32_t kTunFlagCsum = 1u << 5;      // outer UDP/GRE checksum was present (and verified)
constexpr uint32_t kTunFlagL3Payload = 1u << 6; // MPLS IP payload: the Ethernet header was synthesized
constexpr uint32_t kTunFlagGre = 1u << 7;       // Ethernet over GRE

// What a decap learned from the outer headers of one packet
// (src/tunnel/decap.ts reads it; 64 bytes, little-endian).
struct TunnelMeta {
  uint8_t type;       // TunnelType, NONE when the packet was not decapsulated
  uint8_t n_labels;   // label stack entries seen (up to kTunnelDecapMaxLabels)
  uint8_t outer_tos;  // outer IPv4 TOS / IPv6 traffic class (DSCP << 2 | ECN)
  uint8_t outer_ttl;  // outer TTL / hop limit
  uint32_t flags;     // kTunFlag* bits
  uint32_t vni;       // VXLAN VNI, else 0
  uint32_t gre_key;   // GRE key when kTunFlagKey (MPLSoGRE, Ethernet over GRE)
  uint32_t lse[2];    // first two label stack entries as on the wire (top first)
  uint8_t src[16];    // outer source; IPv4 as ::ffff:a.b.c.d
  uint8_t dst[16];
  uint16_t udp_src;   // outer UDP ports (0 for GRE)
  uint16_t udp_dst;
  uint32_t label;     // bottom-of-stack label value (the one looked up), MPLS only
};
static_assert(sizeof(TunnelMeta) == 64, "TunnelMeta is read by src/tunnel/decap.ts");

}  // namespace vs
