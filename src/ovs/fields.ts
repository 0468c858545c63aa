/**
 * OpenFlow fields of the OVS model: the canonical flow fields (as OVS's
 * struct flow keeps them), their widths, the ovs-ofctl and NXM/OXM names
 * that refer to them, and value parsing/formatting. Every value is a bigint
 * so that masks, ranges and 128-bit IPv6 addresses work the same way.
 *
 * Aliases follow OVS: arp_spa/arp_tpa live in nw_src/nw_dst, arp_op in
 * nw_proto, icmp_type/icmp_code in tp_src/tp_dst, dl_vlan / vlan_vid /
 * dl_vlan_pcp are views of vlan_tci (bit 0x1000 = "a tag is present").
 */

export type FieldName =
  | 'in_port' | 'metadata' | 'reg0' | 'reg1' | 'reg2' | 'reg3' | 'reg4' | 'reg5' | 'reg6' | 'reg7'
  | 'tun_id' | 'tun_src' | 'tun_dst'
  | 'dl_src' | 'dl_dst' | 'dl_type' | 'vlan_tci' | 'vlan_tci2'
  | 'nw_src' | 'nw_dst' | 'ipv6_src' | 'ipv6_dst' | 'nw_proto' | 'nw_tos' | 'nw_ttl' | 'nw_frag'
  | 'arp_sha' | 'arp_tha' | 'tp_src' | 'tp_dst' | 'tcp_flags';

export type FieldKind = 'int' | 'mac' | 'ipv4' | 'ipv6' | 'port';

export interface FieldDef {
  name: FieldName;
  bits: number;
  kind: FieldKind;
}

const def = (name: FieldName, bits: number, kind: FieldKind = 'int'): FieldDef => ({ name, bits, kind });

/** Canonical fields, in the order OVS prints a flow. */
export const FIELDS: readonly FieldDef[] = [
  def('tun_id', 64), def('tun_src', 32, 'ipv4'), def('tun_dst', 32, 'ipv4'),
  def('metadata', 64),
  def('reg0', 32), def('reg1', 32), def('reg2', 32), def('reg3', 32),
  def('reg4', 32), def('reg5', 32), def('reg6', 32), def('reg7', 32),
  def('in_port', 32, 'port'),
  def('vlan_tci', 16),
  // the inner tag of a double-tagged frame (OVS keeps two: flow->vlans[1]); not matchable here
  def('vlan_tci2', 16),
  def('dl_src', 48, 'mac'), def('dl_dst', 48, 'mac'), def('dl_type', 16),
  def('nw_src', 32, 'ipv4'), def('nw_dst', 32, 'ipv4'),
  def('ipv6_src', 128, 'ipv6'), def('ipv6_dst', 128, 'ipv6'),
  def('nw_proto', 8), def('nw_tos', 8), def('nw_ttl', 8), def('nw_frag', 2),
  def('arp_sha', 48, 'mac'), def('arp_tha', 48, 'mac'),
  def('tp_src', 16), def('tp_dst', 16), def('tcp_flags', 12),
];

export const FIELD_BY_NAME: ReadonlyMap<FieldName, FieldDef> = new Map(FIELDS.map((f) => [f.name, f]));

export const fullMask = (bits: number): bigint => (1n << BigInt(bits)) - 1n;

/**
 * A field reference with a bit range, as used by load/move/learn:
 * `NXM_OF_VLAN_TCI[0..11]`, `reg0[]`, `vlan_vid` (a subfield of vlan_tci).
 */
export interface SubField {
  field: FieldName;
  ofs: number;
  nbits: number;
  /** The name as written, for traces. */
  text: string;
}

/** NXM/OXM and set_field names → (canonical field, bit offset, width). */
const NXM: Record<string, [FieldName, number, number]> = {
  NXM_OF_IN_PORT: ['in_port', 0, 16], OXM_OF_IN_PORT: ['in_port', 0, 32], in_port: ['in_port', 0, 32],
  NXM_OF_ETH_DST: ['dl_dst', 0, 48], OXM_OF_ETH_DST: ['dl_dst', 0, 48], eth_dst: ['dl_dst', 0, 48], dl_dst: ['dl_dst', 0, 48],
  NXM_OF_ETH_SRC: ['dl_src', 0, 48], OXM_OF_ETH_SRC: ['dl_src', 0, 48], eth_src: ['dl_src', 0, 48], dl_src: ['dl_src', 0, 48],
  NXM_OF_ETH_TYPE: ['dl_type', 0, 16], OXM_OF_ETH_TYPE: ['dl_type', 0, 16], eth_type: ['dl_type', 0, 16], dl_type: ['dl_type', 0, 16],
  NXM_OF_VLAN_TCI: ['vlan_tci', 0, 16], vlan_tci: ['vlan_tci', 0, 16],
  OXM_OF_VLAN_VID: ['vlan_tci', 0, 13], vlan_vid: ['vlan_tci', 0, 13],
  OXM_OF_VLAN_PCP: ['vlan_tci', 13, 3], vlan_pcp: ['vlan_tci', 13, 3],
  NXM_OF_IP_SRC: ['nw_src', 0, 32], OXM_OF_IPV4_SRC: ['nw_src', 0, 32], ip_src: ['nw_src', 0, 32], nw_src: ['nw_src', 0, 32], ipv4_src: ['nw_src', 0, 32],
  NXM_OF_IP_DST: ['nw_dst', 0, 32], OXM_OF_IPV4_DST: ['nw_dst', 0, 32], ip_dst: ['nw_dst', 0, 32], nw_dst: ['nw_dst', 0, 32], ipv4_dst: ['nw_dst', 0, 32],
  NXM_NX_IPV6_SRC: ['ipv6_src', 0, 128], OXM_OF_IPV6_SRC: ['ipv6_src', 0, 128], ipv6_src: ['ipv6_src', 0, 128],
  NXM_NX_IPV6_DST: ['ipv6_dst', 0, 128], OXM_OF_IPV6_DST: ['ipv6_dst', 0, 128], ipv6_dst: ['ipv6_dst', 0, 128],
  NXM_OF_IP_PROTO: ['nw_proto', 0, 8], OXM_OF_IP_PROTO: ['nw_proto', 0, 8], nw_proto: ['nw_proto', 0, 8], ip_proto: ['nw_proto', 0, 8],
  NXM_OF_IP_TOS: ['nw_tos', 0, 8], nw_tos: ['nw_tos', 0, 8], OXM_OF_IP_DSCP: ['nw_tos', 2, 6], ip_dscp: ['nw_tos', 2, 6],
  NXM_NX_IP_ECN: ['nw_tos', 0, 2], nw_ecn: ['nw_tos', 0, 2], ip_ecn: ['nw_tos', 0, 2],
  NXM_NX_IP_TTL: ['nw_ttl', 0, 8], nw_ttl: ['nw_ttl', 0, 8],
  NXM_OF_TCP_SRC: ['tp_src', 0, 16], OXM_OF_TCP_SRC: ['tp_src', 0, 16], tcp_src: ['tp_src', 0, 16],
  NXM_OF_TCP_DST: ['tp_dst', 0, 16], OXM_OF_TCP_DST: ['tp_dst', 0, 16], tcp_dst: ['tp_dst', 0, 16],
  NXM_OF_UDP_SRC: ['tp_src', 0, 16], OXM_OF_UDP_SRC: ['tp_src', 0, 16], udp_src: ['tp_src', 0, 16],
  NXM_OF_UDP_DST: ['tp_dst', 0, 16], OXM_OF_UDP_DST: ['tp_dst', 0, 16], udp_dst: ['tp_dst', 0, 16],
  tp_src: ['tp_src', 0, 16], tp_dst: ['tp_dst', 0, 16],
  NXM_OF_ICMP_TYPE: ['tp_src', 0, 8], OXM_OF_ICMPV4_TYPE: ['tp_src', 0, 8], icmp_type: ['tp_src', 0, 8],
  NXM_OF_ICMP_CODE: ['tp_dst', 0, 8], OXM_OF_ICMPV4_CODE: ['tp_dst', 0, 8], icmp_code: ['tp_dst', 0, 8],
  NXM_OF_ARP_OP: ['nw_proto', 0, 16], OXM_OF_ARP_OP: ['nw_proto', 0, 16], arp_op: ['nw_proto', 0, 16],
  NXM_OF_ARP_SPA: ['nw_src', 0, 32], OXM_OF_ARP_SPA: ['nw_src', 0, 32], arp_spa: ['nw_src', 0, 32],
  NXM_OF_ARP_TPA: ['nw_dst', 0, 32], OXM_OF_ARP_TPA: ['nw_dst', 0, 32], arp_tpa: ['nw_dst', 0, 32],
  NXM_NX_ARP_SHA: ['arp_sha', 0, 48], OXM_OF_ARP_SHA: ['arp_sha', 0, 48], arp_sha: ['arp_sha', 0, 48],
  NXM_NX_ARP_THA: ['arp_tha', 0, 48], OXM_OF_ARP_THA: ['arp_tha', 0, 48], arp_tha: ['arp_tha', 0, 48],
  NXM_NX_TUN_ID: ['tun_id', 0, 64], OXM_OF_TUNNEL_ID: ['tun_id', 0, 64], tun_id: ['tun_id', 0, 64], tunnel_id: ['tun_id', 0, 64],
  NXM_NX_TUN_IPV4_SRC: ['tun_src', 0, 32], tun_src: ['tun_src', 0, 32],
  NXM_NX_TUN_IPV4_DST: ['tun_dst', 0, 32], tun_dst: ['tun_dst', 0, 32],
  OXM_OF_METADATA: ['metadata', 0, 64], metadata: ['metadata', 0, 64],
  NXM_NX_TCP_FLAGS: ['tcp_flags', 0, 12], tcp_flags: ['tcp_flags', 0, 12],
};
for (let r = 0; r < 8; r++) {
  NXM[`NXM_NX_REG${r}`] = [`reg${r}` as FieldName, 0, 32];
  NXM[`reg${r}`] = [`reg${r}` as FieldName, 0, 32];
}

/** Looks up a field name (NXM, OXM or ovs-ofctl spelling). */
export function lookupFieldName(name: string): [FieldName, number, number] | undefined {
  return Object.prototype.hasOwnProperty.call(NXM, name) ? NXM[name] : undefined;
}

/**
 * Parses `NAME[]`, `NAME[a..b]`, `NAME[n]` or a bare `NAME` into a subfield;
 * throws RangeError with a message (the caller adds the column).
 */
export function parseSubField(text: string): SubField {
  const m = /^([A-Za-z0-9_]+)(?:\[(?:(\d+)(?:\.\.(\d+))?)?\])?$/.exec(text.trim());
  if (!m) throw new RangeError(`expected a field like NXM_OF_ETH_SRC[] or reg0[0..15], received "${text}"`);
  const f = lookupFieldName(m[1]);
  if (!f) throw new RangeError(`unknown field "${m[1]}"`);
  const [field, baseOfs, width] = f;
  let ofs = 0;
  let nbits = width;
  if (m[2] !== undefined) {
    const a = Number(m[2]);
    const b = m[3] !== undefined ? Number(m[3]) : a;
    if (b < a || b >= width) throw new RangeError(`bit range [${a}..${b}] outside ${m[1]} (${width} bits)`);
    ofs = a;
    nbits = b - a + 1;
  }
  return { field, ofs: baseOfs + ofs, nbits, text: text.trim() };
}

/** MAC text → bigint. */
export function parseMacValue(text: string): bigint {
  if (!/^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(text)) throw new RangeError(`expected a MAC address, received "${text}"`);
  return text.split(':').reduce((acc, h) => (acc << 8n) | BigInt(parseInt(h, 16)), 0n);
}

export function formatMac(v: bigint): string {
  const out: string[] = [];
  for (let k = 5; k >= 0; k--) out.push(Number((v >> BigInt(8 * k)) & 0xffn).toString(16).padStart(2, '0'));
  return out.join(':');
}

export function parseIpv4Value(text: string): bigint {
  const p = text.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new RangeError(`expected an IPv4 address, received "${text}"`);
  return p.reduce((acc, x) => (acc << 8n) | BigInt(Number(x)), 0n);
}

export function formatIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String(Number((v >> s) & 0xffn))).join('.');
}

export function parseIpv6Value(text: string): bigint {
  const halves = text.split('::');
  if (halves.length > 2) throw new RangeError(`expected an IPv6 address, received "${text}"`);
  const part = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) throw new RangeError(`expected an IPv6 address, received "${text}"`);
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function formatIpv6(v: bigint): string {
  const g: number[] = [];
  for (let k = 7; k >= 0; k--) g.push(Number((v >> BigInt(16 * k)) & 0xffffn));
  // RFC 5952: compress the longest run of two or more zero groups
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Integer text (decimal or 0x hex) → bigint. */
export function parseIntValue(text: string): bigint {
  if (/^0x[0-9a-f]+$/i.test(text)) return BigInt(text);
  if (/^\d+$/.test(text)) return BigInt(text);
  throw new RangeError(`expected an integer, received "${text}"`);
}

/** Parses a value for a field of `kind`. */
export function parseValue(kind: FieldKind, text: string): bigint {
  switch (kind) {
    case 'mac': return parseMacValue(text);
    case 'ipv4': return parseIpv4Value(text);
    case 'ipv6': return parseIpv6Value(text);
    default: return parseIntValue(text);
  }
}

/** Formats a field value as ovs-ofctl prints it. */
export function formatValue(kind: FieldKind, v: bigint): string {
  switch (kind) {
    case 'mac': return formatMac(v);
    case 'ipv4': return formatIpv4(v);
    case 'ipv6': return formatIpv6(v);
    default: return String(v);
  }
}

export const hex = (v: bigint): string => `0x${v.toString(16)}`;
