/**
 * OVS native (userspace) tunnelling for the model: the tnl_push header of a
 * VXLAN or GRE port (built with the shared tunnel template code, src/tunnel),
 * the outer UDP source port exactly as OVS 3.1's dpif-netdev picks it
 * (Murmur3 miniflow_hash_5tuple of the received frame, mapped onto
 * 32768-61000 or the range pinned with tnl/egress_port_range), and push/pop
 * on bytes.
 *
 * Outer header as OVS's netdev-native-tnl builds it: IPv4 TTL 64, ID 0, DF
 * when df_default (the OVS default); VXLAN: UDP checksum 0 unless csum=true;
 * GRE (type=gre): Ethernet over GRE (protocol 0x6558), K bit and key when
 * keyed, no checksum. Only an IPv4 underlay is modelled here.
 */
import type { Action } from '../datapath/actions.js';
import { onesSum } from '../packet/inet-checksum.js';
import { buildTemplate, TEMPLATE_SIZE, TunnelTypeCode } from '../tunnel/template.js';
import { resolveTunnel } from '../tunnel/spec.js';

/** tnl_push's tunnel port for GRE (OVS: the gre_sys vport; here IP protocol 47, as tnl_pop names it). */
export const GRE_TUNNEL_PORT = 47;

export interface NativeTunnel {
  /** vxlan (default) or gre (Ethernet over GRE). */
  type?: 'vxlan' | 'gre';
  /** Datapath port of the tunnel (tnl_port(N) in OVS's text: the VXLAN vport; here the UDP port, GRE_TUNNEL_PORT for GRE). */
  tunnelPort: number;
  localIp: string;
  remoteIp: string;
  srcMac: string;
  dstMac: string;
  dstPort: number;
  /** VXLAN VNI; for GRE the key (undefined: a keyless GRE header). */
  vni?: number;
  csum: boolean;
  df: boolean;
  /**
   * tnl/egress_port_range [min, max] (default 32768-61000); the engine maps
   * OVS's 5-tuple hash of the frame onto it (native/tunnel_ovs_hash.h), as
   * OVS does.
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
  const common = { local: t.localIp, remote: t.remoteIp, srcMac: t.srcMac, dstMac: t.dstMac, ttl: 64, ipId: 'zero', df: t.df ? 'set' : 'clear' } as const;
  const resolved = t.type === 'gre'
    ? resolveTunnel({ type: 'gre', ...common, ...(t.vni !== undefined ? { greKey: t.vni } : {}) })
    : resolveTunnel({
      type: 'vxlan', ...common, vni: t.vni ?? 0, udpDstPort: t.dstPort, srcPort: srcPortOf(t.srcPortRange), srcPortHash: 'ovs-5tuple',
      udpChecksum: t.csum ? 'compute' : 'zero',
    });
  const template = buildTemplate(resolved);
  if (template.length !== TEMPLATE_SIZE) throw new RangeError('tunnel template size');
  return { type: 'tnl_push', tunnelPort: t.tunnelPort, template };
}

/** True for a tnl_push template of Ethernet over GRE. */
export function isGreTemplate(template: Uint8Array): boolean {
  return template[4] === TunnelTypeCode.gre;
}

/**
 * OVS's dpctl text of a GRE tnl_push (as `ovs-appctl ofproto/trace` prints it:
 * type=3, the gre() header with the key), from its template.
 */
export function formatGreTnlPush(template: Uint8Array): string {
  const dv = new DataView(template.buffer, template.byteOffset, template.byteLength);
  const size = dv.getUint16(12, true);
  const h = template.subarray(32, 32 + size);
  const mac = (o: number): string => Array.from(h.subarray(o, o + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
  const ip = (o: number): string => Array.from(h.subarray(o, o + 4)).join('.');
  const keyed = (h[34] & 0x20) !== 0;
  const key = keyed ? ((h[38] << 24) | (h[39] << 16) | (h[40] << 8) | h[41]) >>> 0 : 0;
  const gre = keyed ? `gre((flags=0x2000,proto=0x6558),key=0x${key.toString(16)})` : 'gre((flags=0x0,proto=0x6558))';
  const outer = `eth(dst=${mac(0)},src=${mac(6)},dl_type=0x0800),ipv4(src=${ip(26)},dst=${ip(30)},proto=47,tos=${h[15]},ttl=${h[22]},frag=0x${((h[20] << 8) | h[21]).toString(16)})`;
  return `tnl_push(tnl_port(gre_sys),header(size=${size},type=3,${outer},${gre}))`;
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

/** The port word miniflow_extract keeps for `proto` at `l4` (0 when the header is cut short). */
function portsWord(frame: Uint8Array, l4: number, proto: number, end = frame.length): number {
  const need = proto === 6 ? 20 : proto === 132 ? 12 : 8;
  if (Math.min(end, frame.length) < l4 + need) return 0;
  if (proto === 1 || proto === 58) return ((frame[l4] << 8) | (frame[l4 + 1] << 24)) >>> 0; // type, code as 16-bit ports
  return le32(frame, l4);
}

const HASHES_PORTS = new Set([1, 6, 17, 58, 132]);

/**
 * OVS miniflow_hash_5tuple(flow, 0) of a frame, as ../shared/oracles/ovs/ovs-vxlan-srcport.py
 * documents for IPv4 and ARP (IPv6: the addresses as 64-bit words, hash_add64);
 * the same computation as native/tunnel_ovs_hash.cc (the engine's tnl_push).
 */
export function ovsRssHash(frame: Uint8Array, wireLength = frame.length): number {
  const wire = Math.max(wireLength, frame.length);
  if (frame.length < 14) return hashFinish(0, 42);
  let off = 12;
  let type = (frame[off] << 8) | frame[off + 1];
  for (let tags = 0; tags < 2 && (type === 0x8100 || type === 0x88a8); tags++) {
    if (frame.length < off + 6) return hashFinish(0, 42);
    off += 4;
    type = (frame[off] << 8) | frame[off + 1];
  }
  const l3 = off + 2;
  let h = 0;
  let proto = 0;
  let hashedProto: number | undefined;
  let ports = 0;
  if (type === 0x0800) {
    let src = 0;
    let dst = 0;
    const ihl = frame.length > l3 ? (frame[l3] & 0x0f) * 4 : 0;
    const total = frame.length >= l3 + 4 ? (frame[l3 + 2] << 8) | frame[l3 + 3] : 0;
    // miniflow_extract keeps nothing past L2 for a header failing ipv4_sanity_check (cut short,
    // IHL below 5 or beyond the frame, total length beyond the frame or below the IHL; the
    // version is not checked), and reads no L4 header beyond the total length
    if (frame.length >= l3 + 20 && ihl >= 20 && frame.length >= l3 + ihl && l3 + total <= wire && ihl <= total) {
      src = le32(frame, l3 + 12);
      dst = le32(frame, l3 + 16);
      proto = frame[l3 + 9];
      const later = (((frame[l3 + 6] << 8) | frame[l3 + 7]) & 0x1fff) !== 0;
      if (!later) ports = portsWord(frame, l3 + ihl, proto, l3 + total);
    }
    h = hashAdd(hashAdd(h, src), dst);
  } else if (type === 0x0806) {
    let spa = 0;
    let tpa = 0;
    // Ethernet/IPv4 ARP only (hrd 1, pro 0x0800, hln 6, pln 4); the opcode is nw_proto when it fits 8 bits
    if (frame.length >= l3 + 28 && frame[l3] === 0 && frame[l3 + 1] === 1 && frame[l3 + 2] === 0x08 && frame[l3 + 3] === 0 && frame[l3 + 4] === 6 && frame[l3 + 5] === 4) {
      const op = (frame[l3 + 6] << 8) | frame[l3 + 7];
      spa = le32(frame, l3 + 14);
      tpa = le32(frame, l3 + 24);
      if (op <= 0xff) proto = op;
    }
    h = hashAdd(hashAdd(h, spa), tpa);
  } else if (type === 0x86dd) {
    // ipv6_sanity_check: the fixed header, and its payload length within the frame (the version is not checked)
    if (frame.length >= l3 + 40 && l3 + 40 + ((frame[l3 + 4] << 8) | frame[l3 + 5]) <= wire) {
      for (let k = 0; k < 8; k++) h = hashAdd(h, le32(frame, l3 + 8 + 4 * k)); // hash_add64: low word first
      // observed on OVS 3.1: the hashed protocol is the fixed header's Next Header, the ports
      // (and whether they count) those of the L4 header after the extension headers
      hashedProto = frame[l3 + 6];
      proto = frame[l3 + 6];
      let l4 = l3 + 40;
      let later = false;
      for (let n = 0; n < 8 && (proto === 0 || proto === 43 || proto === 60 || proto === 44); n++) {
        if (frame.length < l4 + 8) { proto = 0; break; }
        if (proto === 44) later = (((frame[l4 + 2] << 8) | frame[l4 + 3]) & 0xfff8) !== 0;
        const len = proto === 44 ? 8 : (frame[l4 + 1] + 1) * 8;
        proto = frame[l4];
        l4 += len;
      }
      if (!later) ports = portsWord(frame, l4, proto);
    } else for (let k = 0; k < 8; k++) h = hashAdd(h, 0);
  } else return hashFinish(0, 42);
  h = hashAdd(h, hashedProto ?? proto);
  if (HASHES_PORTS.has(proto)) h = hashAdd(h, ports);
  return hashFinish(h, 42);
}

/** OVS netdev_tnl_get_src_port: hash mapped onto [min, max). */
export function ovsTnlSrcPort(hash: number, min = 32768, max = 61000): number {
  return Number((BigInt(hash >>> 0) * BigInt(max - min)) >> 32n) + min;
}

/** Puts the template's outer header in front of `inner` and patches lengths, source port (UDP tunnels) and checksums. */
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
  o.setUint16(l3 + 10, ~onesSum(out, l3, l3 + 20) & 0xffff);
  if (isGreTemplate(template)) return out;
  const [min, max] = srcPortRange ?? [32768, 61000];
  o.setUint16(l4, ovsTnlSrcPort(hash, min, max));
  o.setUint16(l4 + 4, out.length - l4);
  if (template[11] === 1) {
    o.setUint16(l4 + 6, 0);
    const pseudo = onesSum(out, l3 + 12, l3 + 20, 17 + (out.length - l4));
    let c = ~onesSum(out, l4, out.length, pseudo) & 0xffff;
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
