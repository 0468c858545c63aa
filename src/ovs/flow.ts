/**
 * The OVS model's flow: every canonical field's value for one packet (as
 * OVS's flow_extract fills struct flow), built from frame bytes or from an
 * ofproto/trace-style flow string, and printed the way ofproto/trace prints
 * "Flow: ...". Reads only within the frame (length checks before each read).
 */
import { FIELDS, formatIpv4, formatIpv6, formatMac, hex, type FieldName } from './fields.js';
import { parseMatch } from './flow-parser.js';

export type Flow = Record<FieldName, bigint>;

export function emptyFlow(): Flow {
  const f = {} as Flow;
  for (const d of FIELDS) f[d.name] = 0n;
  return f;
}

const be = (b: Uint8Array, off: number, len: number): bigint => {
  let v = 0n;
  for (let k = 0; k < len; k++) v = (v << 8n) | BigInt(b[off + k]);
  return v;
};

/** nw_frag values (OVS FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER). */
export const FRAG_ANY = 1n;
export const FRAG_LATER = 2n;

/**
 * Extracts the flow of an Ethernet frame received on OpenFlow port `inPort`,
 * as OVS's userspace datapath does (miniflow_extract). `wireLength`: the
 * frame's length on the wire when it was captured short (default its length).
 */
export function extractFlow(b: Uint8Array, inPort: number, wireLength = b.length): Flow {
  const f = emptyFlow();
  f.in_port = BigInt(inPort);
  if (b.length < 14) return f;
  f.dl_dst = be(b, 0, 6);
  f.dl_src = be(b, 6, 6);
  let off = 12;
  let type = Number(be(b, off, 2));
  if ((type === 0x8100 || type === 0x88a8) && b.length >= off + 6) {
    f.vlan_tci = be(b, off + 2, 2) | 0x1000n;
    off += 4;
    type = Number(be(b, off, 2));
    if ((type === 0x8100 || type === 0x88a8) && b.length >= off + 6) {
      f.vlan_tci2 = be(b, off + 2, 2) | 0x1000n;
      off += 4;
      type = Number(be(b, off, 2));
    }
  }
  off += 2;
  f.dl_type = type < 0x600 ? 0x5ffn : BigInt(type);
  // miniflow_extract's ipv4_sanity_check / ipv6_sanity_check (IP lengths against the frame's
  // length on the wire): a header failing them leaves the flow at L2 (the version is not checked)
  const size = b.length - off;
  const wireSize = Math.max(wireLength, b.length) - off;
  if (type === 0x0800 && size >= 20) {
    const ihl = (b[off] & 0x0f) * 4;
    const total = Number(be(b, off + 2, 2));
    if (ihl < 20 || ihl > size || total > wireSize || ihl > total) return f;
    f.nw_tos = BigInt(b[off + 1]);
    f.nw_ttl = BigInt(b[off + 8]);
    f.nw_proto = BigInt(b[off + 9]);
    f.nw_src = be(b, off + 12, 4);
    f.nw_dst = be(b, off + 16, 4);
    const fragField = Number(be(b, off + 6, 2));
    const fragOff = fragField & 0x1fff;
    if (fragField & 0x2000 || fragOff) f.nw_frag = FRAG_ANY | (fragOff ? FRAG_LATER : 0n);
    if (!fragOff) extractL4(b, off + ihl, Math.min(off + total, b.length), f);
  } else if (type === 0x86dd && size >= 40 && 40 + Number(be(b, off + 4, 2)) <= wireSize) {
    f.nw_tos = BigInt(((b[off] & 0x0f) << 4) | (b[off + 1] >> 4));
    f.nw_proto = BigInt(b[off + 6]);
    f.nw_ttl = BigInt(b[off + 7]);
    f.ipv6_src = be(b, off + 8, 16);
    f.ipv6_dst = be(b, off + 24, 16);
    extractL4(b, off + 40, Math.min(off + 40 + Number(be(b, off + 4, 2)), b.length), f);
  } else if ((type === 0x0806 || type === 0x8035) && b.length >= off + 28) {
    const op = Number(be(b, off + 6, 2));
    if (op <= 0xff) f.nw_proto = BigInt(op);
    f.arp_sha = be(b, off + 8, 6);
    f.nw_src = be(b, off + 14, 4);
    f.arp_tha = be(b, off + 18, 6);
    f.nw_dst = be(b, off + 24, 4);
  }
  return f;
}

/** The L4 fields from the header at `off`, of a datagram ending at `end` (miniflow_extract reads no further). */
function extractL4(b: Uint8Array, off: number, end: number, f: Flow): void {
  const p = Number(f.nw_proto);
  if (p === 6 && end >= off + 20) {
    f.tp_src = be(b, off, 2);
    f.tp_dst = be(b, off + 2, 2);
    f.tcp_flags = be(b, off + 12, 2) & 0xfffn;
  } else if ((p === 17 || p === 132) && end >= off + 8) {
    f.tp_src = be(b, off, 2);
    f.tp_dst = be(b, off + 2, 2);
  } else if ((p === 1 || p === 58) && end >= off + 4) {
    f.tp_src = BigInt(b[off]);
    f.tp_dst = BigInt(b[off + 1]);
  }
}

/**
 * Builds a flow from an ofproto/trace flow string ("in_port=1,tcp,dl_src=...").
 * `resolvePort` turns a port name into its OpenFlow number.
 */
export function flowFromString(text: string, resolvePort: (name: string) => number): Flow {
  const pm = parseMatch(text);
  const f = emptyFlow();
  for (const [name, m] of pm.match) f[name] = m.value;
  if (pm.inPortName !== undefined) f.in_port = BigInt(resolvePort(pm.inPortName));
  if (!pm.match.has('dl_type')) f.dl_type = 0x5ffn;
  if ((f.dl_type === 0x800n || f.dl_type === 0x86ddn) && !pm.match.has('nw_ttl')) f.nw_ttl = 0n;
  return f;
}

export function isIp(f: Flow): boolean {
  return f.dl_type === 0x800n || f.dl_type === 0x86ddn;
}

const PROTO_NAMES: Record<string, string> = { '1': 'icmp', '6': 'tcp', '17': 'udp', '132': 'sctp', '58': 'icmp6' };

/** The flow as ofproto/trace prints it on its "Flow:" line. */
export function formatFlow(f: Flow): string {
  const parts: string[] = [];
  const v4 = f.dl_type === 0x800n;
  const v6 = f.dl_type === 0x86ddn;
  const proto = String(f.nw_proto);
  if (v4) parts.push(PROTO_NAMES[proto] && proto !== '58' ? PROTO_NAMES[proto] : 'ip');
  else if (v6) parts.push(proto === '58' ? 'icmp6' : PROTO_NAMES[proto] ? `${PROTO_NAMES[proto]}6` : 'ipv6');
  else if (f.dl_type === 0x806n) parts.push('arp');
  if (f.tun_id || f.tun_src || f.tun_dst) {
    if (f.tun_id) parts.push(`tun_id=${hex(f.tun_id)}`);
    if (f.tun_src) parts.push(`tun_src=${formatIpv4(f.tun_src)}`);
    if (f.tun_dst) parts.push(`tun_dst=${formatIpv4(f.tun_dst)}`);
  }
  if (f.metadata) parts.push(`metadata=${hex(f.metadata)}`);
  for (let r = 0; r < 8; r++) {
    const v = f[`reg${r}` as FieldName];
    if (v) parts.push(`reg${r}=${hex(v)}`);
  }
  parts.push(`in_port=${f.in_port}`);
  parts.push(f.vlan_tci & 0x1000n ? `dl_vlan=${f.vlan_tci & 0xfffn},dl_vlan_pcp=${f.vlan_tci >> 13n}` : `vlan_tci=0x0000`);
  parts.push(`dl_src=${formatMac(f.dl_src)}`, `dl_dst=${formatMac(f.dl_dst)}`);
  if (!v4 && !v6 && f.dl_type !== 0x806n) parts.push(`dl_type=0x${f.dl_type.toString(16).padStart(4, '0')}`);
  if (v4 || v6) {
    parts.push(v4 ? `nw_src=${formatIpv4(f.nw_src)}` : `ipv6_src=${formatIpv6(f.ipv6_src)}`);
    parts.push(v4 ? `nw_dst=${formatIpv4(f.nw_dst)}` : `ipv6_dst=${formatIpv6(f.ipv6_dst)}`);
    if (!PROTO_NAMES[proto]) parts.push(`nw_proto=${proto}`);
    parts.push(`nw_tos=${f.nw_tos & 0xfcn}`, `nw_ecn=${f.nw_tos & 3n}`, `nw_ttl=${f.nw_ttl}`);
    parts.push(`nw_frag=${f.nw_frag === 0n ? 'no' : f.nw_frag & FRAG_LATER ? 'later' : 'first'}`);
    if (proto === '1' || proto === '58') parts.push(`icmp_type=${f.tp_src}`, `icmp_code=${f.tp_dst}`);
    else if (PROTO_NAMES[proto]) parts.push(`tp_src=${f.tp_src}`, `tp_dst=${f.tp_dst}`);
    if (proto === '6') parts.push(`tcp_flags=${f.tcp_flags === 0n ? '0' : hex(f.tcp_flags)}`);
  } else if (f.dl_type === 0x806n) {
    parts.push(`arp_spa=${formatIpv4(f.nw_src)}`, `arp_tpa=${formatIpv4(f.nw_dst)}`, `arp_op=${f.nw_proto}`);
    parts.push(`arp_sha=${formatMac(f.arp_sha)}`, `arp_tha=${formatMac(f.arp_tha)}`);
  }
  return parts.join(',');
}
