/**
 * The few header reads and rewrites the vRouter slow path does on one frame:
 * Ethernet / ARP / IP summary, TTL decrement with an RFC 1624 checksum
 * update, MAC rewrite, ARP replies, the flow hash. Every read is
 * length-checked; a frame too short for a header reports `undefined`.
 */

export const ETH_IPV4 = 0x0800;
export const ETH_IPV6 = 0x86dd;
export const ETH_ARP = 0x0806;
export const ETH_VLAN = 0x8100;

export interface EthInfo {
  dst: Uint8Array;
  src: Uint8Array;
  /** Ethertype after any 802.1Q tag. */
  type: number;
  vlan?: number;
  /** Offset of the L3 header. */
  l3: number;
}

export function readEth(f: Uint8Array): EthInfo | undefined {
  if (f.length < 14) return undefined;
  let type = (f[12] << 8) | f[13];
  let l3 = 14;
  let vlan: number | undefined;
  if (type === ETH_VLAN || type === 0x88a8) {
    if (f.length < 18) return undefined;
    vlan = ((f[14] << 8) | f[15]) & 0xfff;
    type = (f[16] << 8) | f[17];
    l3 = 18;
  }
  return { dst: f.subarray(0, 6), src: f.subarray(6, 12), type, vlan, l3 };
}

export interface ArpInfo {
  op: number;
  sha: Uint8Array;
  spa: Uint8Array;
  tha: Uint8Array;
  tpa: Uint8Array;
}

/** Ethernet/IPv4 ARP at offset `o`. */
export function readArp(f: Uint8Array, o: number): ArpInfo | undefined {
  if (f.length < o + 28) return undefined;
  if (((f[o] << 8) | f[o + 1]) !== 1 || ((f[o + 2] << 8) | f[o + 3]) !== ETH_IPV4 || f[o + 4] !== 6 || f[o + 5] !== 4) return undefined;
  return { op: (f[o + 6] << 8) | f[o + 7], sha: f.subarray(o + 8, o + 14), spa: f.subarray(o + 14, o + 18), tha: f.subarray(o + 18, o + 24), tpa: f.subarray(o + 24, o + 28) };
}

/** An ARP reply to `req` saying `tpa` is at `mac` (42 bytes, no padding). */
export function arpReply(req: ArpInfo, mac: Uint8Array): Uint8Array {
  const f = new Uint8Array(42);
  f.set(req.sha, 0);
  f.set(mac, 6);
  f.set([0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02], 12);
  f.set(mac, 22);
  f.set(req.tpa, 28);
  f.set(req.sha, 32);
  f.set(req.spa, 38);
  return f;
}

export interface IpInfo {
  version: 4 | 6;
  l3: number;
  src: Uint8Array;
  dst: Uint8Array;
  proto: number;
  ttl: number;
  /** Ports of a first (or only) TCP/UDP/SCTP fragment, ICMP id as sport; 0 otherwise. */
  sport: number;
  dport: number;
  /** A later fragment (offset != 0). */
  laterFragment: boolean;
}

export function readIp(f: Uint8Array, l3: number, ethType: number): IpInfo | undefined {
  let info: IpInfo;
  let l4: number;
  if (ethType === ETH_IPV4) {
    if (f.length < l3 + 20 || f[l3] >> 4 !== 4) return undefined;
    const ihl = (f[l3] & 15) * 4;
    if (ihl < 20 || f.length < l3 + ihl) return undefined;
    l4 = l3 + ihl;
    const fragOff = ((f[l3 + 6] << 8) | f[l3 + 7]) & 0x1fff;
    info = { version: 4, l3, src: f.subarray(l3 + 12, l3 + 16), dst: f.subarray(l3 + 16, l3 + 20), proto: f[l3 + 9], ttl: f[l3 + 8], sport: 0, dport: 0, laterFragment: fragOff !== 0 };
  } else if (ethType === ETH_IPV6) {
    if (f.length < l3 + 40 || f[l3] >> 4 !== 6) return undefined;
    l4 = l3 + 40;
    info = { version: 6, l3, src: f.subarray(l3 + 8, l3 + 24), dst: f.subarray(l3 + 24, l3 + 40), proto: f[l3 + 6], ttl: f[l3 + 7], sport: 0, dport: 0, laterFragment: false };
  } else return undefined;
  const proto = info.proto;
  if (!info.laterFragment && (proto === 6 || proto === 17 || proto === 132) && f.length >= l4 + 4) {
    info.sport = (f[l4] << 8) | f[l4 + 1];
    info.dport = (f[l4 + 2] << 8) | f[l4 + 3];
  } else if (!info.laterFragment && (proto === 1 || proto === 58) && f.length >= l4 + 8) {
    info.sport = (f[l4 + 4] << 8) | f[l4 + 5];
  }
  return info;
}

/** Copy of `f` with the IP TTL / hop limit lowered by one (IPv4 checksum updated per RFC 1624). */
export function decrementTtl(f: Uint8Array, ip: IpInfo): Uint8Array {
  const out = f.slice();
  const o = ip.l3;
  if (ip.version === 6) {
    out[o + 7] = ip.ttl - 1;
    return out;
  }
  // The TTL is the high byte of the 16-bit word TTL|protocol: m = ttl<<8|proto, m' = m - 0x100.
  const m = (ip.ttl << 8) | ip.proto;
  const m2 = m - 0x100;
  const hc = (out[o + 10] << 8) | out[o + 11];
  let sum = (~hc & 0xffff) + (~m & 0xffff) + m2;
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  const hc2 = ~sum & 0xffff;
  out[o + 8] = ip.ttl - 1;
  out[o + 10] = hc2 >> 8;
  out[o + 11] = hc2 & 0xff;
  return out;
}

/** Copy of `f` with new Ethernet addresses. */
export function rewriteMacs(f: Uint8Array, dst: Uint8Array, src: Uint8Array): Uint8Array {
  const out = f.slice();
  out.set(dst, 0);
  out.set(src, 6);
  return out;
}

export const isBroadcastOrMulticast = (mac: Uint8Array): boolean => (mac[0] & 1) === 1;

export const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, k) => x === b[k]);

/**
 * The flow hash ECMP and the UDP source port use: FNV-1a (32 bits) over
 * VRF, protocol, addresses and ports, never 0. Deterministic across runs.
 */
export function flowHash(vrf: number, ip: IpInfo, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  const mix = (b: number): void => {
    h ^= b & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  mix(vrf >> 8);
  mix(vrf);
  mix(ip.proto);
  for (const b of ip.src) mix(b);
  for (const b of ip.dst) mix(b);
  mix(ip.sport >> 8);
  mix(ip.sport);
  mix(ip.dport >> 8);
  mix(ip.dport);
  return h === 0 ? 1 : h;
}

/** Flow hash of a non-IP frame: the two MACs and the ethertype. */
export function l2Hash(eth: EthInfo): number {
  let h = 0x811c9dc5;
  for (const b of [...eth.dst, ...eth.src, eth.type >> 8, eth.type & 0xff]) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}
