/**
 * The baseline of bench/parse.ts: a straightforward pure-TypeScript parser of
 * the same fields the native parser extracts on the fast path (Ethernet,
 * VLAN tags, IPv4/IPv6, TCP/UDP/ICMP ports, layer offsets) plus checksum
 * verification of the IPv4 header and TCP/UDP. Written the way one would
 * without a native core: DataView reads, one object per packet.
 */

export interface TsParsed {
  l3: number;
  l4: number;
  ethType: number;
  proto: number;
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
  ipCsumOk: boolean;
  l4CsumOk: boolean;
}

function sum16(view: DataView, start: number, end: number, acc: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) acc += view.getUint16(i);
  if (i < end) acc += view.getUint8(i) << 8;
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return acc;
}

export function tsParse(frame: Uint8Array): TsParsed | undefined {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 14) return undefined;
  let off = 12;
  let ethType = view.getUint16(off);
  off += 2;
  while (ethType === 0x8100 || ethType === 0x88a8) {
    if (off + 4 > frame.length) return undefined;
    ethType = view.getUint16(off + 2);
    off += 4;
  }
  const l3 = off;
  let proto: number;
  let l4: number;
  let src: Uint8Array;
  let dst: Uint8Array;
  let ipCsumOk = true;
  let pseudo: number;
  let l4End: number;
  if (ethType === 0x0800) {
    if (l3 + 20 > frame.length) return undefined;
    const ihl = (view.getUint8(l3) & 0x0f) * 4;
    const total = view.getUint16(l3 + 2);
    if (ihl < 20 || l3 + ihl > frame.length) return undefined;
    ipCsumOk = fold(sum16(view, l3, l3 + ihl, 0)) === 0xffff;
    proto = view.getUint8(l3 + 9);
    src = frame.subarray(l3 + 12, l3 + 16);
    dst = frame.subarray(l3 + 16, l3 + 20);
    l4 = l3 + ihl;
    l4End = Math.min(frame.length, l3 + (total || frame.length - l3));
    pseudo = sum16(view, l3 + 12, l3 + 20, proto + (l4End - l4));
  } else if (ethType === 0x86dd) {
    if (l3 + 40 > frame.length) return undefined;
    proto = view.getUint8(l3 + 6);
    src = frame.subarray(l3 + 8, l3 + 24);
    dst = frame.subarray(l3 + 24, l3 + 40);
    l4 = l3 + 40;
    l4End = Math.min(frame.length, l4 + view.getUint16(l3 + 4));
    pseudo = sum16(view, l3 + 8, l3 + 40, proto + (l4End - l4));
  } else {
    return { l3, l4: -1, ethType, proto: 0, src: new Uint8Array(0), dst: new Uint8Array(0), sport: 0, dport: 0, ipCsumOk, l4CsumOk: true };
  }
  let sport = 0;
  let dport = 0;
  let l4CsumOk = true;
  if ((proto === 6 || proto === 17) && l4 + 8 <= frame.length) {
    sport = view.getUint16(l4);
    dport = view.getUint16(l4 + 2);
    const field = view.getUint16(l4 + (proto === 6 ? 16 : 6));
    if (!(proto === 17 && field === 0)) l4CsumOk = fold(sum16(view, l4, l4End, pseudo)) === 0xffff;
  }
  return { l3, l4, ethType, proto, src, dst, sport, dport, ipCsumOk, l4CsumOk };
}
