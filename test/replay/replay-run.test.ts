/**
 * Run and RunBatches (src/replay/replay-run.ts): a run grows its batch as it
 * fills, keeping every packet and its columns, and ends at maxPackets
 * whatever the frame sizes; batches come back for reuse (those RunBatches
 * does not keep are handed on).
 */
import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import type { HostRuntime } from '../../src/replay/host-runtime.js';
import { MAX_RUN_BYTES, Run, RunBatches, type Pending, type Source } from '../../src/replay/replay-run.js';

const ctx = { name: 'h1' } as HostRuntime;
const source = (): Source => ({ host: 'h1', port: 'p', dpPort: 3, file: 'in.pcap', viaUnderlay: false, ctx, counters: { host: 'h1', port: 'p', rx: 0, tx: 0, drops: 0 }, ingressEdge: false });
const frame = (n: number, size: number): Uint8Array => Uint8Array.from({ length: size }, (_, i) => (n + i) & 0xff);
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
const pending = (src: Source, n: number, size: number): Pending => ({ src, frame: frame(n, size), index: n, tsSec: 1000 + n, tsNsec: n, wireLength: size + 4, hops: 0, traced: false });

describe('Run', () => {
  it('starts small, grows by copying, keeps every packet and ends at maxPackets', () => {
    const src = source();
    const run = new Run(ctx, new RunBatches(100), 1, 60);
    expect(run.batch.capacity).toBe(8);
    // mixed sizes: slots and bytes both run out along the way
    const sizes = Array.from({ length: 100 }, (_, n) => (n % 7 === 0 ? 9000 : 60 + n));
    sizes.forEach((size, n) => expect(run.add(pending(src, n, size))).toBe(true));
    expect(run.add(pending(src, 100, 60))).toBe(false);
    expect(run.room).toBe(0);
    expect(run.batch.capacity).toBe(100);
    expect(src.counters.rx).toBe(100);
    const b = run.seal();
    expect(b).toBe(run.batch);
    expect(b.count).toBe(100);
    sizes.forEach((size, n) => {
      expect(same(b.packet(n), frame(n, size))).toBe(true);
      expect([b.tsSec[n], b.tsNsec[n], b.inPort[n], b.wireLength[n]]).toEqual([1000 + n, n, 3, size + 4]);
      expect(same(run.frame(n), frame(n, size))).toBe(true);
      expect([run.index(n), run.tsSec[n], run.tsNsec[n], run.hops(n), run.traced(n)]).toEqual([n, 1000 + n, n, 0, false]);
    });
  });

  it('keeps bulk appends as segments: origins, timestamps and entering bytes per packet, unchanged when the engine rewrites the batch', () => {
    const capture = source();
    const underlay = { ...source(), port: 'eth0', viaUnderlay: true };
    const run = new Run(ctx, new RunBatches(64), 16, 60);
    // a read chunk holding three records' data at offsets 16, 100 and 200
    const chunk = new Uint8Array(300);
    const starts = Uint32Array.from([16, 100, 200]);
    starts.forEach((at, k) => chunk.set(frame(50 + k, 60 + k), at));
    run.add({ ...pending(underlay, 7, 70), hops: 2, traced: true });
    starts.forEach((at, k) => run.batch.append(chunk.subarray(at, at + 60 + k), { tsSec: 2000 + k, tsNsec: 10 * k, inPort: 3 }));
    run.addBulk(capture, { packets: 3, firstIndex: 40, chunk, dataOffsets: starts, endOffset: 300 });
    run.add(pending(capture, 43, 80));
    expect(run.count).toBe(5);
    expect(run.segments.map((s) => [s.from, s.count])).toEqual([[0, 1], [1, 3], [4, 1]]);
    expect([capture.counters.rx, underlay.counters.rx]).toEqual([4, 1]);
    expect(() => run.frame(0)).toThrow(/before seal/);
    const b = run.seal();
    b.packet(2).fill(0xee); // the engine rewrites packets in place
    expect(Array.from({ length: 5 }, (_, i) => [run.source(i).port, run.index(i), run.hops(i), run.traced(i), run.tsSec[i], run.tsNsec[i]])).toEqual([
      ['eth0', 7, 2, true, 1007, 7],
      ['p', 40, 0, false, 2000, 0],
      ['p', 41, 0, false, 2001, 10],
      ['p', 42, 0, false, 2002, 20],
      ['p', 43, 0, false, 1043, 43],
    ]);
    expect(same(run.frame(0), frame(7, 70))).toBe(true);
    [0, 1, 2].forEach((k) => expect(same(run.frame(1 + k), frame(50 + k, 60 + k))).toBe(true));
    expect(same(run.frame(4), frame(43, 80))).toBe(true);
  });

  it('ends at MAX_RUN_BYTES of packet data before maxPackets when frames are large', () => {
    const src = source();
    const run = new Run(ctx, new RunBatches(4096), 1, 9000);
    let n = 0;
    while (run.add(pending(src, n, 9000))) n++;
    expect(n).toBeLessThan(4096);
    expect(run.batch.dataUsed).toBeGreaterThanOrEqual(MAX_RUN_BYTES);
    expect(run.batch.dataUsed - MAX_RUN_BYTES).toBeLessThan(9000 + 2 * run.batch.headroom);
    expect(run.room).toBe(0);
  });

  it('sizes the first batch for the packets expected', () => {
    const batches = new RunBatches(256);
    expect(new Run(ctx, batches, 20, 60).batch.capacity).toBe(32);
    expect(new Run(ctx, batches, 1000, 60).batch.capacity).toBe(256);
    expect(new Run(ctx, batches, 1, 60000).batch.dataSize).toBeGreaterThan(60000);
  });
});

describe('RunBatches', () => {
  it('hands out a returned batch again, cleared, once per return', () => {
    const batches = new RunBatches(64);
    const b = batches.take(16, 8192);
    b.append(frame(1, 100));
    expect(batches.give([b, b])).toEqual([]); // kept once, the second time ignored
    const again = batches.take(16, 8192);
    expect(again).toBe(b);
    expect(again.count).toBe(0);
    expect(batches.take(16, 8192)).not.toBe(b);
    // too small, other sizes and other headrooms are not kept
    batches.give([b]);
    expect(batches.take(16, b.dataSize + 1)).not.toBe(b);
    const other = PacketBatch.create({ capacity: 16, dataSize: 8192, headroom: 64 });
    const odd = PacketBatch.create({ capacity: 24, dataSize: 8192 });
    // what it does not keep comes back (replay hands those to the engine's receive side)
    expect(batches.give([other, odd])).toEqual([other, odd]);
    expect(batches.take(16, 1).headroom).toBe(128);
  });
});
