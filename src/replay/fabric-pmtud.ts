/**
 * Path-MTU discovery for bridged VXLAN as the Linux kernel does it
 * (net/ipv4/ip_tunnel_core.c `skb_tunnel_check_pmtu`, called by the vxlan
 * driver for a device attached to a bridge or to Open vSwitch since Linux
 * 5.9): when the inner packet is larger than the route MTU to the remote VTEP
 * minus the encapsulation (50 bytes for VXLAN over IPv4), the kernel answers
 * the guest itself with an ICMP "fragmentation needed" (IPv4 with exactly DF
 * set, MTU at least 576) or an ICMPv6 Packet Too Big (MTU at least 1280),
 * spoofed from the inner destination, and loops it back into the vxlan
 * device as if it came from the remote VTEP; the oversize packet goes no
 * further. Never for ICMP errors, redirects, or broadcast, multicast, zero
 * or loopback sources.
 *
 * The ICMP's bytes are the kernel's (iptunnel_pmtud_build_icmp/-icmpv6):
 * Ethernet addresses swapped; IPv4 TOS 0, ID 0, DF, TTL of the original, the
 * original quoted up to 576 bytes in all; IPv6 traffic class and flow label 0,
 * hop limit of the original, quoted up to 1280 bytes. Checked against the
 * Linux oracle's capture (test/replay/fabric-pmtud.test.ts).
 */
import { inetChecksum, onesSum } from '../packet/inet-checksum.js';

/** VXLAN over IPv4 (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14): vxlan_headroom(). */
export const VXLAN_IPV4_HEADROOM = 50;

const rd16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

/** The parts of an untagged Ethernet / IPv4 / UDP 4789 / VXLAN frame the PMTU check needs, or undefined. */
export interface VxlanFrame {
  /** Outer Ethernet header (destination, source). */
  outerMacs: Uint8Array;
  outerSrc: Uint8Array;
  outerDst: Uint8Array;
  udpSrc: number;
  vni: number;
  /** The inner Ethernet frame. */
  inner: Uint8Array;
}

export function vxlanFrame(frame: Uint8Array): VxlanFrame | undefined {
  if (frame.length < 14 + 20 + 8 + 8 + 14 || rd16(frame, 12) !== 0x0800 || frame[14] >> 4 !== 4) return undefined;
  const l4 = 14 + (frame[14] & 0x0f) * 4;
  if (frame[14 + 9] !== 17 || (rd16(frame, 14 + 6) & 0x3fff) !== 0 || frame.length < l4 + 16 + 14 || rd16(frame, l4 + 2) !== 4789) return undefined;
  return {
    outerMacs: frame.subarray(0, 12),
    outerSrc: frame.subarray(14 + 12, 14 + 16),
    outerDst: frame.subarray(14 + 16, 14 + 20),
    udpSrc: rd16(frame, l4),
    vni: (frame[l4 + 12] << 16) | (frame[l4 + 13] << 8) | frame[l4 + 14],
    inner: frame.subarray(l4 + 16),
  };
}

const isLbcast = (a: number): boolean => a === 0xffffffff;
const isMulticast = (a: number): boolean => a >>> 28 === 0xe;
/** No answer to a broadcast or multicast destination, or to a zero-net, loopback, broadcast or multicast source (iptunnel_pmtud_check_icmp). */
const noAnswerV4 = (src: number, dst: number): boolean =>
  isLbcast(dst) || isMulticast(dst) || src >>> 24 === 0 || src >>> 24 === 127 || isLbcast(src) || isMulticast(src);
/** icmp_is_err(): destination unreachable, source quench, time exceeded, parameter problem. */
const ICMP_ERRORS = [3, 4, 11, 12];

/**
 * The kernel's ICMP answer to the inner Ethernet frame `inner` for a path MTU
 * `mtu` (route MTU minus headroom), or undefined when it sends none (the
 * packet fits, is not IP, has no DF, or is itself an ICMP error ...).
 */
export function pmtudAnswer(inner: Uint8Array, mtu: number): Uint8Array | undefined {
  if (inner.length < 14) return undefined;
  const type = rd16(inner, 12);
  const ip = inner.subarray(14);
  if (type === 0x0800 && ip.length >= 20 && ip[0] >> 4 === 4) {
    const ipLen = rd16(ip, 2);
    if (ipLen <= mtu || mtu < 576 || rd16(ip, 6) !== 0x4000) return undefined;
    const src = ((ip[12] << 24) | (ip[13] << 16) | (ip[14] << 8) | ip[15]) >>> 0;
    const dst = ((ip[16] << 24) | (ip[17] << 16) | (ip[18] << 8) | ip[19]) >>> 0;
    if (noAnswerV4(src, dst)) return undefined;
    const ihl = (ip[0] & 0x0f) * 4;
    if (ip[9] === 1 && ip.length > ihl && ICMP_ERRORS.includes(ip[ihl])) return undefined;
    const quoted = ip.subarray(0, Math.min(ip.length, 576 - 20 - 8));
    const out = new Uint8Array(14 + 20 + 8 + quoted.length);
    out.set(inner.subarray(6, 12), 0);
    out.set(inner.subarray(0, 6), 6);
    out[12] = 0x08;
    const h = out.subarray(14);
    h.set([0x45, 0, (28 + quoted.length) >> 8, (28 + quoted.length) & 0xff, 0, 0, 0x40, 0, ip[8], 1, 0, 0]);
    h.set(ip.subarray(16, 20), 12);
    h.set(ip.subarray(12, 16), 16);
    const c = inetChecksum(h, 0, 20);
    h[10] = c >> 8;
    h[11] = c & 0xff;
    const icmp = h.subarray(20);
    icmp.set([3, 4, 0, 0, 0, 0, mtu >> 8, mtu & 0xff]);
    icmp.set(quoted, 8);
    const ic = inetChecksum(icmp, 0, icmp.length);
    icmp[2] = ic >> 8;
    icmp[3] = ic & 0xff;
    return out;
  }
  if (type === 0x86dd && ip.length >= 40 && ip[0] >> 4 === 6) {
    const ipLen = 40 + rd16(ip, 4);
    if (ipLen <= mtu || mtu < 1280) return undefined;
    const srcAny = ip.subarray(8, 24).every((b) => b === 0);
    const srcLoop = ip.subarray(8, 23).every((b) => b === 0) && ip[23] === 1;
    if (srcAny || srcLoop || ip[8] === 0xff) return undefined;
    // an ICMPv6 error or redirect right after the fixed header is never answered (extension headers: not looked through)
    if (ip[6] === 58 && ip.length > 40 && (ip[40] < 128 || ip[40] === 137)) return undefined;
    const quoted = ip.subarray(0, Math.min(ip.length, 1280 - 40 - 8));
    const len = 8 + quoted.length;
    const out = new Uint8Array(14 + 40 + len);
    out.set(inner.subarray(6, 12), 0);
    out.set(inner.subarray(0, 6), 6);
    out[12] = 0x86;
    out[13] = 0xdd;
    const h = out.subarray(14);
    h.set([0x60, 0, 0, 0, len >> 8, len & 0xff, 58, ip[7]]);
    h.set(ip.subarray(24, 40), 8);
    h.set(ip.subarray(8, 24), 24);
    const icmp = h.subarray(40);
    icmp.set([2, 0, 0, 0, mtu >>> 24, (mtu >>> 16) & 0xff, (mtu >>> 8) & 0xff, mtu & 0xff]);
    icmp.set(quoted, 8);
    const pseudo = onesSum(h, 8, 40, len + 58);
    const ic = inetChecksum(icmp, 0, len, pseudo);
    icmp[2] = ic >> 8;
    icmp[3] = ic & 0xff;
    return out;
  }
  return undefined;
}

/**
 * The ICMP answer wrapped in VXLAN as if the remote VTEP had sent it (outer
 * addresses and MACs swapped, the same VNI): how the replay, whose OVS
 * model terminates tunnels natively, hands the looped-back ICMP to the
 * sending host's tunnel receive path (the kernel injects it into the vxlan
 * device directly; no such frame is ever on the wire).
 */
export function vxlanFromRemote(v: VxlanFrame, inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + 20 + 8 + 8 + inner.length);
  out.set(v.outerMacs.subarray(6, 12), 0);
  out.set(v.outerMacs.subarray(0, 6), 6);
  out[12] = 0x08;
  const ip = out.subarray(14);
  const ipLen = out.length - 14;
  ip.set([0x45, 0, ipLen >> 8, ipLen & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0]);
  ip.set(v.outerDst, 12);
  ip.set(v.outerSrc, 16);
  const c = inetChecksum(ip, 0, 20);
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  const udp = ip.subarray(20);
  const udpLen = ipLen - 20;
  udp.set([v.udpSrc >> 8, v.udpSrc & 0xff, 4789 >> 8, 4789 & 0xff, udpLen >> 8, udpLen & 0xff, 0, 0]);
  udp.set([0x08, 0, 0, 0, v.vni >> 16, (v.vni >> 8) & 0xff, v.vni & 0xff, 0], 8);
  udp.set(inner, 16);
  return out;
}
