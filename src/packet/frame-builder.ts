/**
 * Builds frames from header descriptions, outermost first, filling lengths
 * and checksums. It makes inputs (the shipped captures, benchmark traffic);
 * what the frames mean is checked by tshark and scapy, never by this code.
 *
 *   buildFrame([{ eth: {...} }, { ipv4: {...} }, { udp: {...} }, { vxlan: { vni: 5001 } },
 *               { eth: {...} }, { ipv4: {...} }, { tcp: {...} }], payload)
 */

export type Mac = string; // "02:00:00:00:00:01"
export type Ip4 = string; // "192.0.2.1"
export type Ip6 = string; // "2001:db8::1"

/** How to fill an L4 checksum: computed (default), zero, a fixed value, the partial pseudo-header sum, or corrupted. */
export type CsumMode = 'auto' | 'zero' | 'partial' | 'bad' | number;

export type Header =
  | { eth: { src: Mac; dst: Mac; type?: number } }
  | { vlan: { vid: number; pcp?: number; tpid?: number; type?: number } }
  | { arp: { op: 1 | 2; sha: Mac; spa: Ip4; tha: Mac; tpa: Ip4 } }
  | { ipv4: { src: Ip4; dst: Ip4; proto?: number; ttl?: number; id?: number; df?: boolean; tos?: number; options?: number[]; totalLength?: number; csum?: 'auto' | 'bad'; fragOffset?: number; mf?: boolean } }
  | { ipv6: { src: Ip6; dst: Ip6; next?: number; hlim?: number; flowLabel?: number; tc?: number } }
  | { ipv6ext: { type: 0 | 43 | 44 | 60; next?: number; body?: number[]; routingType?: number; segmentsLeft?: number; addresses?: Ip6[] } }
  | { udp: { sport: number; dport: number; csum?: CsumMode } }
  | { tcp: { sport: number; dport: number; seq?: number; ack?: number; flags?: number; window?: number; options?: number[]; csum?: CsumMode } }
  | { icmp: { type: number; code: number; rest?: number; csum?: CsumMode } }
  | { icmpv6: { type: number; code: number; rest?: number; csum?: CsumMode } }
  | { gre: { proto: number; key?: number; seq?: number; csum?: boolean } }
  | { mpls: { labels: { label: number; tc?: number; ttl?: number }[] } }
  | { vxlan: { vni: number; flags?: number } }
  | { geneve: { vni: number; proto?: number } };

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

export function mac(s: Mac): number[] {
  const parts = s.split(':').map((h) => parseInt(h, 16));
  if (parts.length !== 6 || parts.some((v) => !(v >= 0 && v <= 255))) throw new RangeError(`bad MAC address ${s}`);
  return parts;
}

export function ip4(s: Ip4): number[] {
  const parts = s.split('.').map(Number);
  if (parts.length !== 4 || parts.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) throw new RangeError(`bad IPv4 address ${s}`);
  return parts;
}

export function ip6(s: Ip6): number[] {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new RangeError(`bad IPv6 address ${s}`);
  return groups.flatMap((g) => {
    const v = parseInt(g, 16);
    if (!(v >= 0 && v <= 0xffff)) throw new RangeError(`bad IPv6 address ${s}`);
    return [v >> 8, v & 0xff];
  });
}

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

function sum(bytes: ArrayLike<number>, start = 0, end = bytes.length, acc = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) acc += bytes[i] << 8;
  return acc;
}
const fold = (acc: number): number => {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
};

const NEXT_OF: Record<string, number> = { ipv4: 0x0800, ipv6: 0x86dd, arp: 0x0806, vlan: 0x8100, mpls: 0x8847, eth: 0x6558 };
const PROTO_OF: Record<string, number> = { udp: 17, tcp: 6, icmp: 1, icmpv6: 58, gre: 47, ipv4: 4, ipv6: 41, ipv6ext: -1 };

function kind(h: Header): string {
  return Object.keys(h)[0];
}

/** Builds the frame; `payload` follows the last header. */
export function buildFrame(headers: Header[], payload: Uint8Array | number[] = []): Uint8Array {
  // Build innermost first so each header knows the length of what follows.
  let inner: number[] = Array.from(payload);
  // Address context for pseudo-headers: the nearest IP header outside each L4.
  for (let i = headers.length - 1; i >= 0; i--) {
    const h = headers[i];
    const next = headers[i + 1];
    const nextKind = next ? kind(next) : undefined;
    inner = [...encode(h, nextKind, inner, headers, i), ...inner];
    if (i === 0) break;
  }
  return Uint8Array.from(inner);
}

function ipContext(headers: Header[], i: number): { v6: boolean; src: number[]; dst: number[] } | undefined {
  for (let k = i - 1; k >= 0; k--) {
    const h = headers[k];
    if ('ipv4' in h) return { v6: false, src: ip4(h.ipv4.src), dst: ip4(h.ipv4.dst) };
    if ('ipv6' in h) {
      // A routing header with segments left names the final destination.
      let dst = ip6(h.ipv6.dst);
      for (let j = k + 1; j < i; j++) {
        const e = headers[j];
        if ('ipv6ext' in e && e.ipv6ext.type === 43 && e.ipv6ext.addresses?.length && (e.ipv6ext.segmentsLeft ?? 0) > 0)
          dst = ip6(e.ipv6ext.addresses[e.ipv6ext.addresses.length - 1]);
      }
      return { v6: true, src: ip6(h.ipv6.src), dst };
    }
  }
  return undefined;
}

function l4Checksum(bytes: number[], field: number, proto: number, headers: Header[], i: number, mode: CsumMode, usePseudo: boolean): void {
  if (mode === 'zero') return;
  if (typeof mode === 'number') {
    bytes.splice(field, 2, ...be16(mode));
    return;
  }
  let pseudo = 0;
  if (usePseudo) {
    const ctx = ipContext(headers, i);
    if (!ctx) throw new RangeError('an L4 header with a pseudo-header checksum needs an IP header outside it');
    pseudo = sum(ctx.src) + sum(ctx.dst) + proto + (bytes.length >>> 16) + (bytes.length & 0xffff);
  }
  if (mode === 'partial') {
    bytes.splice(field, 2, ...be16(fold(pseudo)));
    return;
  }
  let c = ~fold(sum(bytes, 0, bytes.length, pseudo)) & 0xffff;
  if (c === 0 && proto === 17) c = 0xffff;
  if (mode === 'bad') c = (c + 1) & 0xffff || 1;
  bytes.splice(field, 2, ...be16(c));
}

function encode(h: Header, nextKind: string | undefined, rest: number[], headers: Header[], i: number): number[] {
  if ('eth' in h) return [...mac(h.eth.dst), ...mac(h.eth.src), ...be16(h.eth.type ?? NEXT_OF[nextKind ?? ''] ?? 0x0800)];
  if ('vlan' in h) {
    const tci = ((h.vlan.pcp ?? 0) << 13) | h.vlan.vid;
    // The TPID belongs to the header before (Ethernet type field); vlan encodes TCI + next type.
    return [...be16(tci), ...be16(h.vlan.type ?? NEXT_OF[nextKind ?? ''] ?? 0x0800)];
  }
  if ('arp' in h) {
    const a = h.arp;
    return [0, 1, 8, 0, 6, 4, ...be16(a.op), ...mac(a.sha), ...ip4(a.spa), ...mac(a.tha), ...ip4(a.tpa)];
  }
  if ('ipv4' in h) {
    const o = h.ipv4.options ?? [];
    const ihl = 20 + o.length;
    if (ihl % 4 !== 0) throw new RangeError('IPv4 options must pad the header to a multiple of 4 bytes');
    const total = h.ipv4.totalLength ?? ihl + rest.length;
    const flags = (h.ipv4.df ? 0x4000 : 0) | (h.ipv4.mf ? 0x2000 : 0) | ((h.ipv4.fragOffset ?? 0) >> 3);
    const proto = h.ipv4.proto ?? PROTO_OF[nextKind ?? ''] ?? 0;
    const b = [0x40 | (ihl / 4), h.ipv4.tos ?? 0, ...be16(total), ...be16(h.ipv4.id ?? 0), ...be16(flags), h.ipv4.ttl ?? 64, proto, 0, 0, ...ip4(h.ipv4.src), ...ip4(h.ipv4.dst), ...o];
    let c = ~fold(sum(b)) & 0xffff;
    if (h.ipv4.csum === 'bad') c ^= 0x0101;
    b.splice(10, 2, ...be16(c));
    return b;
  }
  if ('ipv6' in h) {
    const v = h.ipv6;
    const next = v.next ?? (nextKind === 'ipv6ext' ? (headers[i + 1] as { ipv6ext: { type: number } }).ipv6ext.type : PROTO_OF[nextKind ?? ''] ?? 59);
    const w0 = (6 << 28) | ((v.tc ?? 0) << 20) | (v.flowLabel ?? 0);
    return [...be32(w0 >>> 0), ...be16(rest.length), next, v.hlim ?? 64, ...ip6(v.src), ...ip6(v.dst)];
  }
  if ('ipv6ext' in h) {
    const e = h.ipv6ext;
    const nk = headers[i + 1];
    const next = e.next ?? (nk && 'ipv6ext' in nk ? nk.ipv6ext.type : PROTO_OF[nextKind ?? ''] ?? 59);
    if (e.type === 44) return [next, 0, 0, 0, 0, 0, 0, 0]; // atomic fragment (offset 0, M 0)
    let body = e.body ?? [];
    if (e.type === 43) {
      // Routing header: type, segments left, 4 reserved bytes, addresses.
      const routing = [e.routingType ?? 0, e.segmentsLeft ?? 0, 0, 0, 0, 0, ...(e.addresses ?? []).flatMap(ip6)];
      return [next, (2 + routing.length) / 8 - 1, ...routing];
    }
    // Hop-by-hop / destination options: pad to a multiple of 8 with PadN.
    let content = body;
    const pad = (8 - ((2 + content.length) % 8)) % 8;
    if (pad) content = [...content, ...(pad === 1 ? [0] : [1, pad - 2, ...Array<number>(pad - 2).fill(0)])];
    return [next, (2 + content.length) / 8 - 1, ...content];
  }
  if ('udp' in h) {
    const b = [...be16(h.udp.sport), ...be16(h.udp.dport), ...be16(8 + rest.length), 0, 0, ...rest];
    l4Checksum(b, 6, 17, headers, i, h.udp.csum ?? 'auto', true);
    return b.slice(0, 8);
  }
  if ('tcp' in h) {
    const t = h.tcp;
    const o = t.options ?? [];
    if (o.length % 4) throw new RangeError('TCP options must pad to a multiple of 4 bytes');
    const doff = (20 + o.length) / 4;
    const b = [...be16(t.sport), ...be16(t.dport), ...be32(t.seq ?? 0), ...be32(t.ack ?? 0), doff << 4, t.flags ?? TCP.ACK, ...be16(t.window ?? 65535), 0, 0, 0, 0, ...o, ...rest];
    l4Checksum(b, 16, 6, headers, i, t.csum ?? 'auto', true);
    return b.slice(0, 20 + o.length);
  }
  if ('icmp' in h || 'icmpv6' in h) {
    const v6 = 'icmpv6' in h;
    const m = 'icmpv6' in h ? h.icmpv6 : h.icmp;
    const b = [m.type, m.code, 0, 0, ...be32(m.rest ?? 0), ...rest];
    l4Checksum(b, 2, v6 ? 58 : 1, headers, i, m.csum ?? 'auto', v6);
    return b.slice(0, 8);
  }
  if ('gre' in h) {
    const g = h.gre;
    const flags = (g.csum ? 0x8000 : 0) | (g.key !== undefined ? 0x2000 : 0) | (g.seq !== undefined ? 0x1000 : 0);
    const b = [...be16(flags), ...be16(g.proto), ...(g.csum ? [0, 0, 0, 0] : []), ...(g.key !== undefined ? be32(g.key) : []), ...(g.seq !== undefined ? be32(g.seq) : [])];
    if (g.csum) {
      const all = [...b, ...rest];
      b.splice(4, 2, ...be16(~fold(sum(all)) & 0xffff));
    }
    return b;
  }
  if ('mpls' in h) {
    const ls = h.mpls.labels;
    return ls.flatMap((l, k) => be32(((l.label << 12) | ((l.tc ?? 0) << 9) | (k === ls.length - 1 ? 0x100 : 0) | (l.ttl ?? 64)) >>> 0));
  }
  if ('vxlan' in h) return [h.vxlan.flags ?? 0x08, 0, 0, 0, ...be32((h.vxlan.vni << 8) >>> 0)];
  if ('geneve' in h) return [0, 0, ...be16(h.geneve.proto ?? 0x6558), ...be32((h.geneve.vni << 8) >>> 0)];
  throw new RangeError(`unknown header ${JSON.stringify(h)}`);
}
