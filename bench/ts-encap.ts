/**
 * The baseline of bench/encap.ts: a straightforward pure-TypeScript encap, the
 * way one would write it without a native core: per packet a new buffer, the
 * outer header copied from a prebuilt header, the payload copied after it,
 * lengths, source port and IPv4 header checksum filled with a DataView.
 */
import type { OuterHeader } from '../src/tunnel/template.js';

export interface TsTunnel {
  header: OuterHeader;
  ipv6: boolean;
  udp: boolean;
  sportMin: number;
  sportMax: number;
}

function ipv4Checksum(view: DataView, off: number): number {
  let acc = 0;
  for (let k = 0; k < 20; k += 2) if (k !== 10) acc += view.getUint16(off + k);
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** Encapsulates one Ethernet frame; returns the new frame. */
export function tsEncap(t: TsTunnel, frame: Uint8Array, hash: number, ipId: number): Uint8Array {
  const h = t.header;
  const out = new Uint8Array(h.bytes.length + frame.length);
  out.set(h.bytes, 0);
  out.set(frame, h.bytes.length);
  const view = new DataView(out.buffer);
  const ipLen = out.length - h.l3;
  if (t.ipv6) {
    view.setUint16(h.l3 + 4, ipLen - 40);
  } else {
    view.setUint16(h.l3 + 2, ipLen);
    view.setUint16(h.l3 + 4, ipId & 0xffff);
    view.setUint16(h.l3 + 10, ipv4Checksum(view, h.l3));
  }
  if (t.udp) {
    const span = t.sportMax - t.sportMin;
    const sport = span > 0 ? t.sportMin + Math.floor(((hash >>> 0) * span) / 4294967296) : t.sportMin;
    view.setUint16(h.l4, sport);
    view.setUint16(h.l4 + 4, out.length - h.l4);
  }
  return out;
}
