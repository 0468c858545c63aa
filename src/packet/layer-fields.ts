/**
 * Display fields of one layer, read from the bytes at the layer's offset (as
 * parse.ts `describe` reports it), for `vswitch-sim inspect` lines. Not the
 * hot path. Every read is bounds-checked: fields whose bytes were not
 * captured are left out.
 */
import type { LayerName } from './parse.js';

export type LayerFields = Record<string, string | number>;

/** "aa:bb:cc:dd:ee:ff". */
export function formatMac(b: Uint8Array, off: number): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function formatIpv4(b: Uint8Array, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** RFC 5952 text: lowercase, longest run (>= 2) of zero groups as "::". */
export function formatIpv6(b: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((b[off + 2 * k] << 8) | b[off + 2 * k + 1]);
  let best = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      best = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

const TCP_FLAG_LETTERS = ['F', 'S', 'R', 'P', 'A', 'U', 'E', 'C', 'N'];

/** "SA" style TCP flags (FIN..NS), "" when none. */
export function formatTcpFlags(flags: number): string {
  let s = '';
  for (let k = 0; k < TCP_FLAG_LETTERS.length; k++) if (flags & (1 << k)) s += TCP_FLAG_LETTERS[k];
  return s;
}

function be16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}
function be32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

/**
 * Fields of the layer `name` at `offset` in the packet bytes `b`. Returns {}
 * when the header was not captured.
 */
export function layerFields(b: Uint8Array, name: LayerName, offset: number): LayerFields {
  const has = (n: number): boolean => offset >= 0 && offset + n <= b.length;
  const o = offset;
  switch (name) {
    case 'eth':
      return has(14) ? { dst: formatMac(b, o), src: formatMac(b, o + 6), type: be16(b, o + 12) } : {};
    case 'sll':
      return has(16) ? { packetType: be16(b, o), protocol: be16(b, o + 14) } : {};
    case 'vlan': {
      if (!has(4)) return {};
      const tci = be16(b, o);
      return { vid: tci & 0xfff, pcp: tci >> 13, dei: (tci >> 12) & 1, type: be16(b, o + 2) };
    }
    case 'arp': {
      if (!has(28) || be16(b, o) !== 1 || be16(b, o + 2) !== 0x0800) return has(8) ? { op: be16(b, o + 6) } : {};
      return {
        op: be16(b, o + 6),
        sha: formatMac(b, o + 8),
        spa: formatIpv4(b, o + 14),
        tha: formatMac(b, o + 18),
        tpa: formatIpv4(b, o + 24),
      };
    }
    case 'ip': {
      if (!has(20)) return {};
      const frag = be16(b, o + 6);
      return {
        src: formatIpv4(b, o + 12),
        dst: formatIpv4(b, o + 16),
        proto: b[o + 9],
        ttl: b[o + 8],
        tos: b[o + 1],
        length: be16(b, o + 2),
        id: be16(b, o + 4),
        df: (frag >> 14) & 1,
        mf: (frag >> 13) & 1,
        fragOffset: (frag & 0x1fff) * 8,
      };
    }
    case 'ipv6':
      if (!has(40)) return {};
      return {
        src: formatIpv6(b, o + 8),
        dst: formatIpv6(b, o + 24),
        nextHeader: b[o + 6],
        hopLimit: b[o + 7],
        trafficClass: (be16(b, o) >> 4) & 0xff,
        flowLabel: be32(b, o) & 0xfffff,
        payloadLength: be16(b, o + 4),
      };
    case 'tcp':
      if (!has(20)) return {};
      return {
        srcPort: be16(b, o),
        dstPort: be16(b, o + 2),
        seq: be32(b, o + 4),
        ack: be32(b, o + 8),
        flags: formatTcpFlags(be16(b, o + 12) & 0x1ff),
        window: be16(b, o + 14),
      };
    case 'udp':
      return has(8) ? { srcPort: be16(b, o), dstPort: be16(b, o + 2), length: be16(b, o + 4) } : {};
    case 'icmp':
    case 'icmpv6':
      return has(4) ? { type: b[o], code: b[o + 1] } : {};
    case 'gre': {
      if (!has(4)) return {};
      const fl = be16(b, o);
      const out: LayerFields = { protocol: be16(b, o + 2), version: fl & 7 };
      let p = o + 4 + (fl & 0xc000 ? 4 : 0);
      if (fl & 0x2000) {
        if (has(p - o + 4)) out.key = be32(b, p);
        p += 4;
      }
      if (fl & 0x1000 && has(p - o + 4)) out.seq = be32(b, p);
      return out;
    }
    case 'mpls': {
      const labels: string[] = [];
      for (let p = o; p + 4 <= b.length && labels.length < 16; p += 4) {
        const lse = be32(b, p);
        labels.push(`${lse >>> 12}`);
        if (lse & 0x100) return { labels: labels.join('/'), tc: (be32(b, o) >> 9) & 7, ttl: be32(b, o) & 0xff };
      }
      return labels.length ? { labels: labels.join('/') } : {};
    }
    case 'vxlan':
      return has(8) ? { flags: b[o], vni: be32(b, o + 4) >>> 8 } : {};
    case 'geneve':
      return has(8)
        ? { vni: be32(b, o + 4) >>> 8, protocol: be16(b, o + 2), optionsLength: (b[o] & 0x3f) * 4, version: b[o] >> 6 }
        : {};
    default:
      return {};
  }
}
