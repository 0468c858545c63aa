/**
 * Deterministic test traffic: a mix of IPv4/IPv6 TCP/UDP/ICMP flows on ports
 * 1 and 2 (some VLAN-tagged), plus malformed frames. Every frame carries its
 * position in the payload (4 bytes, big-endian) so tests can check order.
 */
import { buildFrame, type Header } from '../../src/packet/frame-builder.js';
import { PacketBatch } from '../../src/datapath/batch.js';

export interface TestPacket {
  inPort: number;
  frame: Uint8Array;
  flow: string;
}

function rnd(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s;
  };
}

export function makeTraffic(count: number, flows: number, seed = 1): TestPacket[] {
  const r = rnd(seed);
  const out: TestPacket[] = [];
  for (let n = 0; n < count; n++) {
    const f = r() % flows;
    const pos = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...Array.from({ length: f % 40 }, (_, k) => k)];
    const inPort = f % 5 === 4 ? 2 : 1;
    const eth: Header = { eth: { src: `02:00:00:00:${(f >> 8) & 0xff}:${(f & 0xff).toString(16)}`, dst: '02:00:00:00:ff:01' } };
    const kind = f % 7;
    let headers: Header[];
    if (n % 97 === 13) {
      out.push({ inPort, frame: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), flow: 'runt' });
      continue;
    }
    const v4 = { src: `10.0.${(f >> 8) & 0xff}.${f & 0xff}`, dst: f % 3 === 0 ? `10.1.0.${f & 0xff}` : `172.16.${f & 0x0f}.1`, ttl: 64 };
    const vlan: Header[] = inPort === 2 ? [{ vlan: { vid: f % 2 === 0 ? 100 : 200 } }] : [];
    if (kind === 0) headers = [eth, ...vlan, { ipv4: { ...v4, proto: 6 } }, { tcp: { sport: 1024 + f, dport: 80, flags: 0x18 } }];
    else if (kind === 1) headers = [eth, ...vlan, { ipv4: { ...v4, proto: 17 } }, { udp: { sport: 2000 + f, dport: f % 4 === 0 ? 53 : 4000 } }];
    else if (kind === 2) headers = [eth, ...vlan, { ipv4: { ...v4, proto: 1 } }, { icmp: { type: 8, code: 0, rest: f } }];
    else if (kind === 3) headers = [eth, ...vlan, { ipv6: { src: `fd00::${f.toString(16)}`, dst: 'fd00::1', next: 6 } }, { tcp: { sport: 3000 + f, dport: 443 } }];
    else if (kind === 4) headers = [eth, ...vlan, { ipv6: { src: `fd00::${f.toString(16)}`, dst: 'fd00::2', next: 17 } }, { udp: { sport: 3000 + f, dport: 53 } }];
    else headers = [eth, ...vlan, { ipv4: { ...v4, proto: 6 } }, { tcp: { sport: 5000 + f, dport: 22 + (f % 3), flags: 0x10 } }];
    out.push({ inPort, frame: buildFrame(headers, pos), flow: `f${f}` });
  }
  return out;
}

/** Packs packets into batches of `perBatch`. */
export function toBatches(packets: readonly TestPacket[], perBatch: number): PacketBatch[] {
  const batches: PacketBatch[] = [];
  for (let i = 0; i < packets.length; i += perBatch) {
    const slice = packets.slice(i, i + perBatch);
    const b = PacketBatch.create({ capacity: slice.length, dataSize: slice.reduce((a, p) => a + p.frame.length + 136, 0) });
    for (const p of slice) b.append(p.frame, { inPort: p.inPort });
    batches.push(b);
  }
  return batches;
}
