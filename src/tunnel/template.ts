/**
 * Builds the encap template (native/tunnel_types.h TunnelTemplate, 128 bytes)
 * of a resolved tunnel: the complete outer header with per-packet fields at
 * zero, an IPv4 header checksum valid for those bytes, and the patch
 * offsets and policies the native fast path applies per packet.
 */
import type { ResolvedTunnel } from './spec.js';

export const TEMPLATE_SIZE = 128;
export const TEMPLATE_MAGIC = 0x31545356; // "VST1"
const MAX_HEADER = 96;
const ABSENT = 0xffff;

export const TunnelTypeCode = { vxlan: 1, mplsoudp: 2, mplsogre: 3, gre: 4 } as const;
const IP_ID = { counter: 0, 'copy-inner': 1, zero: 2, global: 3 } as const;
const DF = { clear: 0, set: 1, inherit: 2 } as const;
const FLAG_IPV6 = 1;
const FLAG_L2_PAYLOAD = 2;
const FLAG_SPORT_FOLD = 4;
const FLAG_SPORT_OVS_HASH = 8;

/** Internet checksum of `bytes` (RFC 1071), as the value to store. */
function ipv4HeaderChecksum(bytes: Uint8Array): number {
  let acc = 0;
  for (let k = 0; k < bytes.length; k += 2) acc += (bytes[k] << 8) | bytes[k + 1];
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** The outer header bytes (what a packet gets in front) and the offsets of its layers. */
export interface OuterHeader {
  bytes: Uint8Array;
  l3: number;
  l4: number;
  tnl: number;
  mpls: number; // ABSENT (0xffff) for VXLAN and GRE
}

/** Lays out the outer header of a tunnel with per-packet fields zero. */
export function buildOuterHeader(t: ResolvedTunnel): OuterHeader {
  const b = new Uint8Array(MAX_HEADER);
  const dv = new DataView(b.buffer);
  b.set(t.dstMac, 0);
  b.set(t.srcMac, 6);
  let off = 12;
  if (t.vlan) {
    dv.setUint16(off, 0x8100);
    dv.setUint16(off + 2, (t.vlan.pcp << 13) | t.vlan.vid);
    off += 4;
  }
  dv.setUint16(off, t.ipv6 ? 0x86dd : 0x0800);
  const l3 = off + 2;
  const gre = t.type === 'mplsogre' || t.type === 'gre';
  const proto = gre ? 47 : 17;
  let l4: number;
  const ttl = t.ttl === 'inherit' ? 64 : t.ttl;
  if (t.ipv6) {
    dv.setUint32(l3, ((6 << 28) | (t.tos << 20) | t.flowLabel) >>> 0);
    b[l3 + 6] = proto;
    b[l3 + 7] = ttl;
    b.set(t.local, l3 + 8);
    b.set(t.remote, l3 + 24);
    l4 = l3 + 40;
  } else {
    b[l3] = 0x45;
    b[l3 + 1] = t.tos;
    dv.setUint16(l3 + 6, t.df === 'set' ? 0x4000 : 0);
    b[l3 + 8] = ttl;
    b[l3 + 9] = proto;
    b.set(t.local, l3 + 12);
    b.set(t.remote, l3 + 16);
    dv.setUint16(l3 + 10, ipv4HeaderChecksum(b.subarray(l3, l3 + 20)));
    l4 = l3 + 20;
  }
  let tnl: number;
  let next: number;
  if (gre) {
    tnl = l4;
    dv.setUint16(l4, t.greKey !== undefined ? 0x2000 : 0);
    dv.setUint16(l4 + 2, t.type === 'gre' ? 0x6558 : 0x8847);
    if (t.greKey !== undefined) dv.setUint32(l4 + 4, t.greKey);
    next = l4 + (t.greKey !== undefined ? 8 : 4);
  } else {
    dv.setUint16(l4 + 2, t.udpDstPort);
    tnl = l4 + 8;
    next = tnl;
  }
  let mpls = ABSENT;
  if (t.type === 'vxlan') {
    b[tnl] = 0x08;
    dv.setUint32(tnl + 4, (t.vni << 8) >>> 0);
    next = tnl + 8;
  } else if (t.type === 'gre') {
    // Ethernet over GRE: the inner frame follows the GRE header
  } else {
    mpls = next;
    const lttl = t.mplsTtl === 'inherit' ? 64 : t.mplsTtl;
    t.labels.forEach((label, k) => {
      const bottom = k === t.labels.length - 1 ? 1 : 0;
      dv.setUint32(next, ((label << 12) | (t.mplsTc << 9) | (bottom << 8) | lttl) >>> 0);
      next += 4;
    });
    if (t.controlWord) next += 4; // all-zero control word
  }
  return { bytes: b.slice(0, next), l3, l4, tnl, mpls };
}

/** The 128-byte template the native core loads (tunnel_template_load checks it again). */
export function buildTemplate(t: ResolvedTunnel): Uint8Array {
  const h = buildOuterHeader(t);
  const out = new Uint8Array(TEMPLATE_SIZE);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, TEMPLATE_MAGIC, true);
  out[4] = TunnelTypeCode[t.type];
  out[5] = (t.ipv6 ? FLAG_IPV6 : 0) | (t.type === 'vxlan' || t.type === 'gre' || t.payload === 'ethernet' ? FLAG_L2_PAYLOAD : 0) |
    (t.srcPort.fold ? FLAG_SPORT_FOLD : 0) | (t.srcPortHash === 'ovs-5tuple' ? FLAG_SPORT_OVS_HASH : 0);
  out[6] = IP_ID[t.ipId];
  out[7] = DF[t.df];
  out[8] = t.ttl === 'inherit' ? 1 : 0;
  out[9] = t.mplsTtl === 'inherit' ? 1 : 0;
  out[10] = t.labels.length;
  out[11] = t.udpChecksum === 'compute' ? 1 : 0;
  dv.setUint16(12, h.bytes.length, true);
  dv.setUint16(14, h.l3, true);
  dv.setUint16(16, h.l4, true);
  dv.setUint16(18, h.tnl, true);
  dv.setUint16(20, h.mpls, true);
  dv.setUint16(22, t.srcPort.min, true);
  dv.setUint16(24, t.srcPort.max, true);
  out.set(h.bytes, 32);
  return out;
}
