// Generated from native/drop_reasons.def by scripts/gen-drop-reasons.ts. Do not edit.

/** [stable name, report text], indexed by the native DropReason value. */
export const DROP_REASONS = [
  ["none", "not dropped"],
  ["truncated_ethernet", "frame shorter than an Ethernet header"],
  ["truncated_vlan", "802.1Q/802.1ad tag cut short"],
  ["truncated_mpls", "MPLS label stack cut short or without bottom of stack"],
  ["truncated_arp", "ARP packet cut short"],
  ["truncated_ipv4", "IPv4 header cut short"],
  ["bad_ipv4_version", "IPv4 version field is not 4"],
  ["bad_ipv4_ihl", "IPv4 header length below 20 bytes"],
  ["bad_ipv4_total_length", "IPv4 total length smaller than its header or larger than the frame"],
  ["truncated_ipv6", "IPv6 header cut short"],
  ["bad_ipv6_version", "IPv6 version field is not 6"],
  ["bad_ipv6_payload_length", "IPv6 payload length larger than the frame"],
  ["truncated_ipv6_extension", "IPv6 extension header cut short"],
  ["truncated_tcp", "TCP header cut short"],
  ["bad_tcp_data_offset", "TCP data offset below 5 words or beyond the segment"],
  ["truncated_udp", "UDP header cut short"],
  ["bad_udp_length", "UDP length smaller than 8 or larger than the IP payload"],
  ["truncated_icmp", "ICMP/ICMPv6 header cut short"],
  ["truncated_gre", "GRE header cut short"],
  ["bad_gre_version", "GRE version is not 0"],
  ["truncated_vxlan", "VXLAN header cut short"],
  ["truncated_geneve", "Geneve header or options cut short"],
  ["too_many_headers", "header nesting deeper than the parser follows"],
  ["truncated_capture", "captured bytes end before the headers the operation needs"],
] as const;

export type DropReasonName = (typeof DROP_REASONS)[number][0];

/** The DropReason value of a stable name. */
export const DROP_REASON_CODE: Readonly<Record<DropReasonName, number>> = Object.fromEntries(
  DROP_REASONS.map(([name], code) => [name, code]),
) as Record<DropReasonName, number>;

/** The stable name of a DropReason value ("unknown_<n>" outside the table). */
export function dropReasonName(code: number): string {
  return DROP_REASONS[code]?.[0] ?? `unknown_${code}`;
}
