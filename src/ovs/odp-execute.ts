/**
 * Executes datapath actions (src/datapath/actions.ts `Action`) on one frame
 * in TypeScript: the slow path's own packet execution, used by `trace` and
 * the OVS differential tests when the native engine is not in the loop.
 * Field rewrites update the IPv4 header and TCP/UDP checksums incrementally
 * (RFC 1624), as OVS's packet_set_* helpers do; a zero UDP checksum stays
 * zero. tnl_push patches the template as OVS does (source port from the
 * received frame's hash); tnl_pop continues with the inner frame.
 */
import { ovsRssHash, tnlPush, tunnelPop } from './native-tunnel.js';
import type { OvsOdpAction } from './xlate.js';

export interface OdpOutput {
  port: number;
  frame: Uint8Array;
}

const rd16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
const wr16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
};

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over 16-bit words. */
function csumReplace(csum: number, oldWords: number[], newWords: number[]): number {
  let s = ~csum & 0xffff;
  for (const w of oldWords) s += ~w & 0xffff;
  for (const w of newWords) s += w;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

interface Layers {
  l3: number;
  type: number;
  l4?: number;
  proto?: number;
}

function layers(b: Uint8Array): Layers | undefined {
  if (b.length < 14) return undefined;
  let off = 12;
  let type = rd16(b, off);
  while ((type === 0x8100 || type === 0x88a8) && b.length >= off + 6) {
    off += 4;
    type = rd16(b, off);
  }
  const l3 = off + 2;
  if (type === 0x0800 && b.length >= l3 + 20) {
    const frag = rd16(b, l3 + 6) & 0x1fff;
    const l4 = l3 + (b[l3] & 0x0f) * 4;
    return { l3, type, proto: b[l3 + 9], ...(frag === 0 ? { l4 } : {}) };
  }
  if (type === 0x86dd && b.length >= l3 + 40) return { l3, type, proto: b[l3 + 6], l4: l3 + 40 };
  return { l3, type };
}

function l4CsumOffset(L: Layers, b: Uint8Array): number | undefined {
  if (L.l4 === undefined) return undefined;
  if (L.proto === 6 && b.length >= L.l4 + 18) return L.l4 + 16;
  if (L.proto === 17 && b.length >= L.l4 + 8) return L.l4 + 6;
  return undefined;
}

function setIpv4Addr(b: Uint8Array, L: Layers, at: number, addr: Uint8Array): void {
  const oldW = [rd16(b, at), rd16(b, at + 2)];
  const newW = [(addr[0] << 8) | addr[1], (addr[2] << 8) | addr[3]];
  wr16(b, L.l3 + 10, csumReplace(rd16(b, L.l3 + 10), oldW, newW));
  const c = l4CsumOffset(L, b);
  if (c !== undefined && !(L.proto === 17 && rd16(b, c) === 0)) {
    let v = csumReplace(rd16(b, c), oldW, newW);
    if (L.proto === 17 && v === 0) v = 0xffff;
    wr16(b, c, v);
  }
  b.set(addr, at);
}

function ipBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

/** Applies one non-output action in place (returns the possibly new frame). */
function applyOne(frame: Uint8Array, a: OvsOdpAction): Uint8Array {
  switch (a.type) {
    case 'push_vlan': {
      if (frame.length < 12) return frame;
      const out = new Uint8Array(frame.length + 4);
      out.set(frame.subarray(0, 12), 0);
      wr16(out, 12, a.tpid ?? 0x8100);
      wr16(out, 14, ((a.pcp ?? 0) << 13) | a.vid);
      out.set(frame.subarray(12), 16);
      return out;
    }
    case 'pop_vlan': {
      if (frame.length < 18) return frame;
      const t = rd16(frame, 12);
      if (t !== 0x8100 && t !== 0x88a8) return frame;
      const out = new Uint8Array(frame.length - 4);
      out.set(frame.subarray(0, 12), 0);
      out.set(frame.subarray(16), 12);
      return out;
    }
    case 'set': {
      const L = layers(frame);
      if (!L) return frame;
      switch (a.field) {
        case 'eth_dst': frame.set(macBytes(a.value), 0); break;
        case 'eth_src': frame.set(macBytes(a.value), 6); break;
        case 'ipv4_src': if (L.type === 0x0800) setIpv4Addr(frame, L, L.l3 + 12, ipBytes(a.value)); break;
        case 'ipv4_dst': if (L.type === 0x0800) setIpv4Addr(frame, L, L.l3 + 16, ipBytes(a.value)); break;
        case 'tcp_src': case 'tcp_dst': case 'udp_src': case 'udp_dst': {
          if (L.l4 === undefined) break;
          const at = L.l4 + (a.field.endsWith('src') ? 0 : 2);
          if (frame.length < at + 2) break;
          const c = l4CsumOffset(L, frame);
          if (c !== undefined && !(L.proto === 17 && rd16(frame, c) === 0)) {
            let v = csumReplace(rd16(frame, c), [rd16(frame, at)], [a.value]);
            if (L.proto === 17 && v === 0) v = 0xffff;
            wr16(frame, c, v);
          }
          wr16(frame, at, a.value);
          break;
        }
        case 'ttl':
          if (L.type === 0x0800) {
            const oldW = rd16(frame, L.l3 + 8);
            frame[L.l3 + 8] = a.value;
            wr16(frame, L.l3 + 10, csumReplace(rd16(frame, L.l3 + 10), [oldW], [rd16(frame, L.l3 + 8)]));
          } else if (L.type === 0x86dd) frame[L.l3 + 7] = a.value;
          break;
        case 'dscp':
          if (L.type === 0x0800) {
            const oldW = rd16(frame, L.l3);
            frame[L.l3 + 1] = (a.value << 2) | (frame[L.l3 + 1] & 3);
            wr16(frame, L.l3 + 10, csumReplace(rd16(frame, L.l3 + 10), [oldW], [rd16(frame, L.l3)]));
          }
          break;
        default:
          break;
      }
      return frame;
    }
    default:
      return frame;
  }
}

/**
 * Runs `actions` on a copy of `frame`; returns the frames output per
 * datapath port, in action order. clone() runs on its own copy.
 */
export function odpExecute(frame: Uint8Array, actions: readonly OvsOdpAction[], srcPortRange?: [number, number], rssHash?: number): OdpOutput[] {
  const outputs: OdpOutput[] = [];
  const hash = rssHash ?? ovsRssHash(frame);
  let cur: Uint8Array = frame.slice();
  for (const a of actions) {
    if (a.type === 'output') outputs.push({ port: a.port, frame: cur.slice() });
    else if (a.type === 'clone') outputs.push(...odpExecute(cur, a.actions, srcPortRange, hash));
    else if (a.type === 'drop') break;
    else if (a.type === 'tnl_push') cur = tnlPush(cur, a.template, hash, srcPortRange);
    else if (a.type === 'tnl_pop') {
      const p = tunnelPop(cur);
      if (!p) break;
      cur = p.inner;
    } else cur = applyOne(cur, a);
  }
  return outputs;
}
