/**
 * Address parsing for tunnel specs: IPv4/IPv6 and MAC text to wire bytes,
 * with errors that name the spec field.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Wire bytes of an IPv4 (4 bytes) or IPv6 (16 bytes) address; RangeError naming `field` otherwise. */
export function parseIp(text: string, field: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`expected an IP address string for ${field}, received ${typeof text}`);
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text)) throw new RangeError(`expected an IPv4 or IPv6 address for ${field}, received "${text}"`);
  let s = text;
  const v4tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4tail) {
    const [a, b, c, d] = v4tail.slice(1).map(Number);
    s = `${s.slice(0, v4tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const out = new Uint8Array(16);
  expand(s, 8).forEach((g, k) => ((out[2 * k] = g >> 8), (out[2 * k + 1] = g & 0xff)));
  return out;
}

function expand(s: string, n: number): number[] {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(n - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g || '0', 16));
}

/** Text of a 4- or 16-byte address (IPv6 in full lowercase groups, zero runs compressed). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let k = 0; k < 16; k += 2) groups.push((bytes[k] << 8) | bytes[k + 1]);
  let best = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) { k++; continue; }
    let e = k;
    while (e < 8 && groups[e] === 0) e++;
    if (e - k > bestLen) { best = k; bestLen = e - k; }
    k = e;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** An outer address from TunnelMeta (IPv4 stored as ::ffff:a.b.c.d) as text. */
export function formatMappedIp(bytes16: Uint8Array): string {
  const mapped = bytes16.subarray(0, 10).every((b) => b === 0) && bytes16[10] === 0xff && bytes16[11] === 0xff;
  return mapped ? formatIp(bytes16.subarray(12, 16)) : formatIp(bytes16);
}

/** Wire bytes of a MAC address "02:00:00:00:00:01" (also '-' separated). */
export function parseMac(text: string, field: string): Uint8Array {
  const parts = typeof text === 'string' ? text.split(/[:-]/) : [];
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new RangeError(`expected a MAC address like 02:00:00:00:00:01 for ${field}, received "${String(text)}"`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}
