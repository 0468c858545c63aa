/**
 * OVS native (userspace) tunnelling for the model: the tnl_push header of a
 * VXLAN port (built with the shared tunnel template code, src/tunnel), the
 * outer UDP source port exactly as OVS 3.1's dpif-netdev picks it (Murmur3
 * miniflow_hash_5tuple of the received frame, mapped onto 32768-61000 or
 * the range pinned with tnl/egress_port_range), and push/pop on bytes.
 *
 * Outer header as OVS's netdev-native-tnl builds it: IPv4 TTL 64, ID 0, DF
 * when df_default (the OVS default), UDP checksum 0 unless csum=true. Only
 * VXLAN over IPv4 is modelled here.
 */
import type { Action } from '../datapath/actions.js';
import { buildTemplate, TEMPLATE_SIZE } from '../tunnel/template.js';
import { resolveTunnel } from '../tunnel/spec.js';

export interface NativeTunnel {
  /** Datapath port of the tunnel (tnl_port(N) in OVS's text: the VXLAN vport; here the UDP port). */
  tunnelPort: number;
  localIp: string;
  remoteIp: string;
  srcMac: string;
  dstMac: string;
  dstPort: number;
  vni: number;
  csum: boolean;
  df: boolean;
  /**
   * tnl/egress_port_range [min, max] (default 32768-61000). The engine maps
   * its own flow hash onto it, so only a pinned port (min == max) gives the
   * bytes OVS sends.
   */
  srcPortRange?: [number, number];
}

function srcPortOf(range: [number, number] | undefined): 'ovs' | number | { min: number; max: number } {
  if (!range) return 'ovs';
  const [min, max] = range;
  return min === max ? min : { min, max };
}

/** The engine's tnl_push action (template from src/tunnel), for the datapath program. */
export function tnlPushAction(t: NativeTunnel): Action & { type: 'tnl_push' } {
  const resolved = resolveTunnel({
    type: 'vxlan', local: t.localIp, remote: t.remoteIp, srcMac: t.srcMac, dstMac: t.dstMac, vni: t.vni,
    udpDstPort: t.dstPort, srcPort: srcPortOf(t.srcPortRange), ttl: 64, ipId: 'zero', df: t.df ? 'set' : 'clear',
    udpChecksum: t.csum ? 'compute' : 'zero',
  });
  const template = buildTemplate(resolved);
  if (template.length !== TEMPLATE_SIZE) throw new RangeError('tunnel template size');
  return { type: 'tnl_push', tunnelPort: t.dstPort, template };
}

const M32 = 0xffffffff;
const rot = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
const mul = (a: number, b: number): number => Math.imul(a, b) >>> 0;

function hashAdd(h: number, d: number): number {
  let hh = h >>> 0;
  if (d) {
    let x = mul(d >>> 0, 0xcc9e2d51);
    x = rot(x, 15);
    x = mul(x, 0x1b873593);
    hh = (hh ^ x) >>> 0;
  }
  hh = rot(hh, 13);
  return (mul(hh, 5) + 0xe6546b64) & M32;
}

function hashFinish(h: number, final: number): number {
  let x = (h ^ final) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  x = mul(x, 0x85ebca6b);
  x = (x ^ (x >>> 13)) >>> 0;
  x = mul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const le32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/**
 * OVS miniflow_hash_5tuple(flow, 0) of a frame (IPv4 and ARP; other frames
 * hash nothing), as ../shared/oracles/ovs/ovs-vxlan-srcport.py documents.
 */
export function ovsRssHash(frame: Uint8Array): number {
  let off = 12;
  if (frame.length < 14) return hashFinish(0, 42);
  let type = (frame[off] << 8) | frame[off + 1];
  while ((type === 0x8100 || type === 0x88a8) && frame.length >= off + 6) {
    off += 4;
    type = (frame[off] << 8) | frame[off + 1];
  }
  const l3 = off + 2;
  let src: number;
  let dst: number;
  let proto: number;
  let ports = 0;
  if (type === 0x0800 && frame.length >= l3 + 20) {
    src = le32(frame, l3 + 12);
    dst = le32(frame, l3 + 16);
    proto = frame[l3 + 9];
    const l4 = l3 + (frame[l3] & 0x0f) * 4;
    const later = (((frame[l3 + 6] << 8) | frame[l3 + 7]) & 0x1fff) !== 0;
    if (!later && (proto === 6 || proto === 17 || proto === 132) && frame.length >= l4 + 4) ports = le32(frame, l4);
    else if (!later && proto === 1 && frame.length >= l4 + 2) ports = ((frame[l4] << 8) | (frame[l4 + 1] << 24)) >>> 0; // type, code as 16-bit ports
  } else if (type === 0x0806 && frame.length >= l3 + 28) {
    src = le32(frame, l3 + 14);
    dst = le32(frame, l3 + 24);
    const op = (frame[l3 + 6] << 8) | frame[l3 + 7];
    proto = op <= 0xff ? op : 0;
  } else return hashFinish(0, 42);
  let h = hashAdd(0, src);
  h = hashAdd(h, dst);
  h = hashAdd(h, proto);
  if ([1, 6, 17, 58, 132].includes(proto)) h = hashAdd(h, ports);
  return hashFinish(h, 42);
}

/** OVS netdev_tnl_get_src_port: hash mapped onto [min, max). */
export function ovsTnlSrcPort(hash: number, min = 32768, max = 61000): number {
  return Number((BigInt(hash >>> 0) * BigInt(max - min)) >> 32n) + min;
}

function csum16(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let acc = initial;
  for (let k = start; k < end; k += 2) acc += (bytes[k] << 8) | (k + 1 < end ? bytes[k + 1] : 0);
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

/** Puts the template's outer header in front of `inner` and patches lengths, source port and checksums. */
export function tnlPush(inner: Uint8Array, template: Uint8Array, hash: number, srcPortRange?: [number, number]): Uint8Array {
  const dv = new DataView(template.buffer, template.byteOffset, template.byteLength);
  const hdrLen = dv.getUint16(12, true);
  const l3 = dv.getUint16(14, true);
  const l4 = dv.getUint16(16, true);
  const out = new Uint8Array(hdrLen + inner.length);
  out.set(template.subarray(32, 32 + hdrLen), 0);
  out.set(inner, hdrLen);
  const o = new DataView(out.buffer);
  o.setUint16(l3 + 2, out.length - l3);
  o.setUint16(l3 + 4, 0); // IP ID 0, as OVS's native tunnel header
  o.setUint16(l3 + 10, 0);
  o.setUint16(l3 + 10, ~csum16(out, l3, l3 + 20) & 0xffff);
  const [min, max] = srcPortRange ?? [32768, 61000];
  o.setUint16(l4, ovsTnlSrcPort(hash, min, max));
  o.setUint16(l4 + 4, out.length - l4);
  if (template[11] === 1) {
    o.setUint16(l4 + 6, 0);
    const pseudo = csum16(out, l3 + 12, l3 + 20, 17 + (out.length - l4));
    let c = ~csum16(out, l4, out.length, pseudo) & 0xffff;
    if (c === 0) c = 0xffff;
    o.setUint16(l4 + 6, c);
  }
  return out;
}

export interface PoppedTunnel {
  inner: Uint8Array;
  vni: number;
  src: string;
  dst: string;
  dstPort: number;
}

/** Parses an outer Ethernet/IPv4/UDP/VXLAN frame; undefined when it is not one. */
export function vxlanPop(frame: Uint8Array): PoppedTunnel | undefined {
  if (frame.length < 50 || frame[12] !== 0x08 || frame[13] !== 0x00) return undefined;
  const l3 = 14;
  const ihl = (frame[l3] & 0x0f) * 4;
  if (frame[l3 + 9] !== 17 || frame.length < l3 + ihl + 16) return undefined;
  const l4 = l3 + ihl;
  const dstPort = (frame[l4 + 2] << 8) | frame[l4 + 3];
  if ((frame[l4 + 8] & 0x08) === 0) return undefined;
  const vni = (frame[l4 + 12] << 16) | (frame[l4 + 13] << 8) | frame[l4 + 14];
  const ip = (o: number): string => `${frame[o]}.${frame[o + 1]}.${frame[o + 2]}.${frame[o + 3]}`;
  return { inner: frame.slice(l4 + 16), vni, src: ip(l3 + 12), dst: ip(l3 + 16), dstPort };
}

/** An OVS native GRE port (type=gre): Ethernet over GRE (protocol 0x6558), the key from tun_id when present. */
export interface GreTunnel {
  localIp: string;
  remoteIp: string;
  srcMac: string;
  dstMac: string;
  /** GRE key (K bit set), or undefined for a keyless port. */
  key?: number;
  df: boolean;
}

const ipBytes = (ip: string): number[] => ip.split('.').map(Number);
const macBytes = (mac: string): number[] => mac.split(':').map((x) => parseInt(x, 16));

/**
 * The outer header OVS's netdev_gre_build_header writes: Ethernet, IPv4
 * (TTL 64, ID 0, DF when df_default, protocol 47), GRE flags K when keyed,
 * protocol 0x6558, the key. Lengths and the IPv4 checksum are set per packet.
 */
export function greHeader(t: GreTunnel): Uint8Array {
  const gre = t.key === undefined ? [0x00, 0x00, 0x65, 0x58] : [0x20, 0x00, 0x65, 0x58, (t.key >>> 24) & 0xff, (t.key >>> 16) & 0xff, (t.key >>> 8) & 0xff, t.key & 0xff];
  return Uint8Array.from([
    ...macBytes(t.dstMac), ...macBytes(t.srcMac), 0x08, 0x00,
    0x45, 0, 0, 0, 0, 0, t.df ? 0x40 : 0, 0, 64, 47, 0, 0, ...ipBytes(t.localIp), ...ipBytes(t.remoteIp),
    ...gre,
  ]);
}

/** Puts a GRE outer header (greHeader) in front of `inner`, with the IPv4 total length and checksum. */
export function grePush(inner: Uint8Array, header: Uint8Array): Uint8Array {
  const out = new Uint8Array(header.length + inner.length);
  out.set(header, 0);
  out.set(inner, header.length);
  const o = new DataView(out.buffer);
  o.setUint16(16, out.length - 14);
  o.setUint16(24, 0);
  o.setUint16(24, ~csum16(out, 14, 34) & 0xffff);
  return out;
}

/** Parses an outer Ethernet/IPv4/GRE (0x6558, version 0, no routing) frame; vni is the key (0 without one). */
export function grePop(frame: Uint8Array): PoppedTunnel | undefined {
  if (frame.length < 38 || frame[12] !== 0x08 || frame[13] !== 0x00) return undefined;
  const l3 = 14;
  const ihl = (frame[l3] & 0x0f) * 4;
  const g = l3 + ihl;
  if (frame[l3 + 9] !== 47 || frame.length < g + 4) return undefined;
  const flags = (frame[g] << 8) | frame[g + 1];
  if ((flags & 0x4007) !== 0 || frame[g + 2] !== 0x65 || frame[g + 3] !== 0x58) return undefined; // routing or version set, or not Ethernet
  let off = g + 4;
  if (flags & 0x8000) off += 4;
  let key = 0;
  if (flags & 0x2000) {
    if (frame.length < off + 4) return undefined;
    key = ((frame[off] << 24) | (frame[off + 1] << 16) | (frame[off + 2] << 8) | frame[off + 3]) >>> 0;
    off += 4;
  }
  if (flags & 0x1000) off += 4;
  if (frame.length < off + 14) return undefined;
  const ip = (o: number): string => `${frame[o]}.${frame[o + 1]}.${frame[o + 2]}.${frame[o + 3]}`;
  return { inner: frame.slice(off), vni: key, src: ip(l3 + 12), dst: ip(l3 + 16), dstPort: 0 };
}

/** Pops a native tunnel frame of either kind (GRE by IP protocol 47, else VXLAN). */
export function tunnelPop(frame: Uint8Array): PoppedTunnel | undefined {
  return frame.length > 23 && frame[12] === 0x08 && frame[13] === 0x00 && frame[23] === 47 ? grePop(frame) : vxlanPop(frame);
}
