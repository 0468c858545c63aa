import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { native } from '../../src/datapath/native.js';
import { assignRxqs, defaultReta, rssHashBatch, rxqOfHash, toeplitzHash } from '../../src/datapath/rss.js';

// Verification table of the Microsoft RSS specification (IPv4, key 6d5a...01fa):
// destination, source, IPv4-only hash, IPv4 with TCP ports hash.
const V4: [string, number, string, number, number, number][] = [
  ['161.142.100.80', 1766, '66.9.149.187', 2794, 0x323e8fc2, 0x51ccc178],
  ['65.69.140.83', 4739, '199.92.111.2', 14230, 0xd718262a, 0xc626b0ea],
  ['12.22.207.184', 38024, '24.19.198.95', 12898, 0xd2d0a5de, 0x5c2b394a],
  ['209.142.163.6', 2217, '38.27.205.30', 48228, 0x82989176, 0xafc7327f],
  ['202.188.127.2', 1303, '153.39.163.191', 44251, 0x5d1809c5, 0x10e828a2],
];

const ip4 = (s: string): number[] => s.split('.').map(Number);

function tcpFrame(src: string, dst: string, sport: number, dport: number): Uint8Array {
  const f = new Uint8Array(54);
  f.set([0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00]);
  f.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, ...ip4(src), ...ip4(dst)], 14);
  f.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0], 34);
  return f;
}

describe('RSS', () => {
  it('reproduces the Microsoft verification table from raw input', () => {
    for (const [dst, dport, src, sport, ipOnly, withTcp] of V4) {
      const input = Uint8Array.from([...ip4(src), ...ip4(dst), sport >> 8, sport & 0xff, dport >> 8, dport & 0xff]);
      expect(toeplitzHash(input.subarray(0, 8))).toBe(ipOnly);
      expect(toeplitzHash(input)).toBe(withTcp);
    }
  });

  it('hashes parsed batches on the 5-tuple', () => {
    const batch = PacketBatch.create({ capacity: 8 });
    for (const [dst, dport, src, sport] of V4) batch.append(tcpFrame(src, dst, sport, dport));
    new (native().Parser)().parse(batch.buffer, 1);
    rssHashBatch(batch.buffer);
    expect(Array.from(batch.hash.subarray(0, V4.length))).toEqual(V4.map((v) => v[5]));
  });

  it('maps hashes to queues through the default indirection table', () => {
    const reta = defaultReta(4);
    expect(rxqOfHash(0x51ccc178, reta)).toBe((0x51ccc178 % 128) % 4);
    expect(rxqOfHash(0xffffffff, defaultReta(3))).toBe(127 % 3);
  });

  it('assigns rx queues as OVS pmd-rxq-assign', () => {
    const q = [
      { port: 1, queue: 0, load: 10 },
      { port: 1, queue: 1, load: 80 },
      { port: 2, queue: 0, load: 30 },
      { port: 2, queue: 1, load: 20 },
    ];
    const ids = (pmds: { port: number; queue: number }[][]): string[][] => pmds.map((p) => p.map((r) => `${r.port}.${r.queue}`));
    expect(ids(assignRxqs(q, 2, 'roundrobin'))).toEqual([['1.0', '2.0'], ['1.1', '2.1']]);
    // cycles: 80, 30, 20, 10 dealt to PMDs 0, 1, 1, 0 (up, then down).
    expect(ids(assignRxqs(q, 2, 'cycles'))).toEqual([['1.1', '1.0'], ['2.0', '2.1']]);
    // group: 80 -> pmd0; 30 -> pmd1; 20 -> pmd1 (30 < 80); 10 -> pmd1 (50 < 80).
    expect(ids(assignRxqs(q, 2, 'group'))).toEqual([['1.1'], ['2.0', '2.1', '1.0']]);
  });

  it('reproduces the cycles example of the OVS pmd documentation', () => {
    // OVS Documentation/topics/dpdk/pmd.rst: Q0 30%, Q1 80%, Q3 60%, Q4 70%,
    // Q5 10% on three PMDs (cores 3, 7, 8) give core 3: Q1; core 7: Q4, Q5;
    // core 8: Q3, Q0.
    const q = [0, 1, 3, 4, 5].map((queue, k) => ({ port: 0, queue, load: [30, 80, 60, 70, 10][k] }));
    const qs = (pmds: { queue: number }[][]): number[][] => pmds.map((p) => p.map((r) => r.queue));
    expect(qs(assignRxqs(q, 3, 'cycles'))).toEqual([[1], [4, 5], [3, 0]]);
    // group on the same loads: 80 -> p0; 70 -> p1; 60 -> p2; 30 -> p2 (60 < 70 < 80);
    // 10 -> p1 (70 < 80 < 90).
    expect(qs(assignRxqs(q, 3, 'group'))).toEqual([[1], [4, 5], [3, 0]]);
    // Without loads (all 0) both fall back to (port, queue) order dealt like roundrobin / fewest queues.
    const flat = [0, 1, 2, 3].map((queue) => ({ port: 0, queue }));
    expect(qs(assignRxqs(flat, 2, 'cycles'))).toEqual([[0, 3], [1, 2]]);
    expect(qs(assignRxqs(flat, 2, 'group'))).toEqual([[0, 2], [1, 3]]);
  });
});
