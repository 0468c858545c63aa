/**
 * The flow key (native/flow_key.h, 144 bytes) in TypeScript: field offsets,
 * OVS-style match strings ("in_port=1,tcp,nw_dst=10.0.0.0/24,tp_dst=80") to
 * (key, mask) pairs, and the dpctl/dump-flows text of a megaflow
 * ("in_port(1),eth_type(0x0800),ipv4(dst=10.0.0.0/255.255.255.0,proto=6),tcp(dst=80)").
 * Multi-byte numeric fields are host order (little-endian), addresses and MACs
 * wire order, as in the native struct.
 */
import { FLOW_KEY_SIZE } from './batch-layout.js';
import { formatIp, parseIp, parseMac } from '../tunnel/addr.js';

/** Byte offset and size of each FlowKey field. */
export const KEY_FIELDS = {
  in_port: [0, 4],
  recirc_id: [4, 4],
  tun_id: [8, 8],
  tun_src: [16, 16],
  tun_dst: [32, 16],
  tun_flags: [48, 4],
  dl_dst: [56, 6],
  dl_src: [62, 6],
  dl_type: [68, 2],
  vlan_tci: [70, 2],
  vlan_tci2: [72, 2],
  mpls_lse: [76, 4],
  nw_src: [80, 16],
  nw_dst: [96, 16],
  ipv6_label: [112, 4],
  nw_proto: [116, 1],
  nw_tos: [117, 1],
  nw_ttl: [118, 1],
  nw_frag: [119, 1],
  arp_sha: [120, 6],
  arp_tha: [126, 6],
  tp_src: [132, 2],
  tp_dst: [134, 2],
  tcp_flags: [136, 2],
} as const satisfies Record<string, readonly [number, number]>;

export type KeyField = keyof typeof KEY_FIELDS;

/** A key and the mask of the bits a flow consults (both FLOW_KEY_SIZE bytes). */
export interface KeyMask {
  key: Uint8Array;
  mask: Uint8Array;
}

export function emptyKeyMask(): KeyMask {
  return { key: new Uint8Array(FLOW_KEY_SIZE), mask: new Uint8Array(FLOW_KEY_SIZE) };
}

/** Reads a numeric (host-order) field. */
export function keyNumber(key: Uint8Array, field: KeyField): number {
  const [off, size] = KEY_FIELDS[field];
  let v = 0;
  for (let k = size - 1; k >= 0; k--) v = v * 256 + key[off + k];
  return v;
}

/** Sets a numeric field and its mask (all ones unless `mask` is given). */
export function matchNumber(km: KeyMask, field: KeyField, value: number, mask?: number): void {
  const [off, size] = KEY_FIELDS[field];
  let v = value;
  let m = mask ?? 0;
  for (let k = 0; k < size; k++) {
    const mb = mask === undefined ? 0xff : m % 256;
    km.mask[off + k] = mb;
    km.key[off + k] = v % 256 & mb;
    v = Math.floor(v / 256);
    m = Math.floor(m / 256);
  }
}

/** Sets a byte-string field under a prefix length (bits from the start). */
export function matchBytes(km: KeyMask, field: KeyField, bytes: Uint8Array, prefixBits = bytes.length * 8, at = 0): void {
  const [off] = KEY_FIELDS[field];
  for (let k = 0; k < bytes.length; k++) {
    const bits = Math.max(0, Math.min(8, prefixBits - 8 * k));
    const m = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    km.mask[off + at + k] = m;
    km.key[off + at + k] = bytes[k] & m;
  }
}

const PROTO_SHORTHANDS: Record<string, [number, number | undefined]> = {
  ip: [0x0800, undefined],
  ipv6: [0x86dd, undefined],
  arp: [0x0806, undefined],
  icmp: [0x0800, 1],
  tcp: [0x0800, 6],
  udp: [0x0800, 17],
  sctp: [0x0800, 132],
  icmp6: [0x86dd, 58],
  tcp6: [0x86dd, 6],
  udp6: [0x86dd, 17],
};

function parseInteger(text: string, what: string, max: number): number {
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`expected an integer in [0, ${max}] for ${what}, received "${text}"`);
  return v;
}

function parseValueMask(text: string, what: string, max: number): [number, number | undefined] {
  const [v, m] = text.split('/');
  return [parseInteger(v, what, max), m === undefined ? undefined : parseInteger(m, `${what} mask`, max)];
}

function parsePrefix(text: string, what: string): [Uint8Array, number] {
  const [addr, len] = text.split('/');
  const bytes = parseIp(addr, what);
  if (len === undefined) return [bytes, bytes.length * 8];
  if (len.includes('.') || len.includes(':')) {
    const m = parseIp(len, `${what} mask`);
    let bits = 0;
    while (bits < m.length * 8 && (m[bits >> 3] & (0x80 >> (bits & 7))) !== 0) bits++;
    return [bytes, bits];
  }
  return [bytes, parseInteger(len, `${what} prefix length`, bytes.length * 8)];
}

/**
 * Parses an OVS-style match ("in_port=1,tcp,nw_dst=10.0.0.0/24,tp_dst=80").
 * Fields: in_port, dl_src, dl_dst, dl_type, dl_vlan, nw_src, nw_dst (IPv4
 * prefix), ipv6_src, ipv6_dst (prefix), nw_proto, nw_ttl, nw_tos, tp_src,
 * tp_dst (value[/mask]), tun_id, recirc_id; shorthands ip, ipv6, arp, icmp,
 * tcp, udp, sctp, icmp6, tcp6, udp6. An empty string matches everything.
 */
export function parseMatch(text: string, where = 'match'): KeyMask {
  const km = emptyKeyMask();
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq).trim();
    const value = eq < 0 ? '' : item.slice(eq + 1).trim();
    const what = `${where} field ${name}`;
    if (eq < 0) {
      const sh = PROTO_SHORTHANDS[name];
      if (!sh) throw new RangeError(`unknown ${where} keyword "${name}"`);
      matchNumber(km, 'dl_type', sh[0]);
      if (sh[1] !== undefined) matchNumber(km, 'nw_proto', sh[1]);
      continue;
    }
    switch (name) {
      case 'in_port':
        matchNumber(km, 'in_port', parseInteger(value, what, 0xffffffff));
        break;
      case 'recirc_id':
        matchNumber(km, 'recirc_id', parseInteger(value, what, 0xffffffff));
        break;
      case 'tun_id':
        matchNumber(km, 'tun_id', parseInteger(value, what, Number.MAX_SAFE_INTEGER));
        break;
      case 'dl_src':
      case 'dl_dst':
        matchBytes(km, name, parseMac(value, what));
        break;
      case 'dl_type':
        matchNumber(km, 'dl_type', parseInteger(value, what, 0xffff));
        break;
      case 'dl_vlan': {
        const vid = parseInteger(value, what, 4095);
        matchNumber(km, 'vlan_tci', 0x1000 | vid, 0x1fff);
        break;
      }
      case 'nw_src':
      case 'nw_dst': {
        const [bytes, bits] = parsePrefix(value, what);
        if (bytes.length !== 4) throw new RangeError(`expected an IPv4 prefix for ${what}, received "${value}"`);
        matchBytes(km, name, bytes, bits, 12);
        break;
      }
      case 'ipv6_src':
      case 'ipv6_dst': {
        const [bytes, bits] = parsePrefix(value, what);
        if (bytes.length !== 16) throw new RangeError(`expected an IPv6 prefix for ${what}, received "${value}"`);
        matchBytes(km, name === 'ipv6_src' ? 'nw_src' : 'nw_dst', bytes, bits);
        break;
      }
      case 'nw_proto':
      case 'nw_ttl':
      case 'nw_tos':
        matchNumber(km, name, ...parseValueMask(value, what, 255));
        break;
      case 'tp_src':
      case 'tp_dst':
        matchNumber(km, name, ...parseValueMask(value, what, 0xffff));
        break;
      default:
        throw new RangeError(`unknown ${where} field "${name}"`);
    }
  }
  return km;
}

/** True when (key & mask) equals (ruleKey & mask), ruleKey being already masked. */
export function keyMatches(key: Uint8Array, rule: KeyMask): boolean {
  for (let k = 0; k < FLOW_KEY_SIZE; k++) if ((key[k] & rule.mask[k]) !== rule.key[k]) return false;
  return true;
}

function hex(v: number, width = 0): string {
  return `0x${v.toString(16).padStart(width, '0')}`;
}

function mac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** dpctl/dump-flows text of a (key, mask): only the fields the mask consults. */
export function formatFlow(key: Uint8Array, mask: Uint8Array): string {
  const parts: string[] = [];
  const masked = (f: KeyField): boolean => {
    const [off, size] = KEY_FIELDS[f];
    for (let k = 0; k < size; k++) if (mask[off + k]) return true;
    return false;
  };
  const field = (f: KeyField): Uint8Array => key.subarray(KEY_FIELDS[f][0], KEY_FIELDS[f][0] + KEY_FIELDS[f][1]);
  const fmask = (f: KeyField): Uint8Array => mask.subarray(KEY_FIELDS[f][0], KEY_FIELDS[f][0] + KEY_FIELDS[f][1]);
  const num = (f: KeyField, width = 0): string => {
    const v = keyNumber(key, f);
    const m = keyNumber(mask, f);
    const full = KEY_FIELDS[f][1] >= 6 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * KEY_FIELDS[f][1]) - 1;
    return m === full || (KEY_FIELDS[f][1] >= 6 && fmask(f).every((b) => b === 0xff)) ? (width ? hex(v, width) : String(v)) : `${hex(v)}/${hex(m)}`;
  };
  const bytesWithMask = (f: KeyField, fmt: (b: Uint8Array) => string, at = 0, len?: number): string => {
    const v = field(f).subarray(at, len === undefined ? undefined : at + len);
    const m = fmask(f).subarray(at, len === undefined ? undefined : at + len);
    return m.every((b) => b === 0xff) ? fmt(v) : `${fmt(v)}/${fmt(m)}`;
  };
  if (masked('recirc_id')) parts.push(`recirc_id(${num('recirc_id', 0)})`);
  if (masked('tun_id')) parts.push(`tunnel(tun_id=${num('tun_id', 1)})`);
  if (masked('in_port')) parts.push(`in_port(${num('in_port')})`);
  const eth: string[] = [];
  if (masked('dl_src')) eth.push(`src=${bytesWithMask('dl_src', mac)}`);
  if (masked('dl_dst')) eth.push(`dst=${bytesWithMask('dl_dst', mac)}`);
  if (eth.length) parts.push(`eth(${eth.join(',')})`);
  if (masked('vlan_tci')) {
    const tci = keyNumber(key, 'vlan_tci');
    const m = keyNumber(mask, 'vlan_tci');
    parts.push(m === 0x1fff || m === 0xffff ? `vlan(vid=${tci & 0xfff}${m === 0xffff ? `,pcp=${tci >> 13}` : ''})` : `vlan(tci=${hex(tci)}/${hex(m)})`);
  }
  const dlType = keyNumber(key, 'dl_type');
  if (masked('dl_type')) parts.push(`eth_type(${num('dl_type', 4)})`);
  const l3: string[] = [];
  const v6 = dlType === 0x86dd;
  if (masked('nw_src')) l3.push(`src=${v6 ? bytesWithMask('nw_src', formatIp) : bytesWithMask('nw_src', formatIp, 12, 4)}`);
  if (masked('nw_dst')) l3.push(`dst=${v6 ? bytesWithMask('nw_dst', formatIp) : bytesWithMask('nw_dst', formatIp, 12, 4)}`);
  if (masked('nw_proto')) l3.push(`proto=${num('nw_proto')}`);
  if (masked('nw_tos')) l3.push(`tos=${num('nw_tos', 1)}`);
  if (masked('nw_ttl')) l3.push(`${v6 ? 'hlimit' : 'ttl'}=${num('nw_ttl')}`);
  if (masked('nw_frag')) l3.push(`frag=${(key[KEY_FIELDS.nw_frag[0]] & 1) === 0 ? 'no' : (key[KEY_FIELDS.nw_frag[0]] & 2) ? 'later' : 'first'}`);
  if (l3.length) parts.push(`${dlType === 0x0806 ? 'arp' : v6 ? 'ipv6' : 'ipv4'}(${l3.join(',')})`);
  const l4: string[] = [];
  if (masked('tp_src')) l4.push(`src=${num('tp_src')}`);
  if (masked('tp_dst')) l4.push(`dst=${num('tp_dst')}`);
  if (l4.length) {
    const proto = keyNumber(key, 'nw_proto');
    const name = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 ? 'icmp' : proto === 58 ? 'icmpv6' : proto === 132 ? 'sctp' : 'l4';
    parts.push(`${name}(${l4.join(',')})`);
  }
  if (masked('tcp_flags')) parts.push(`tcp_flags(${num('tcp_flags', 3)})`);
  return parts.length ? parts.join(',') : 'in_port(ANY)';
}
