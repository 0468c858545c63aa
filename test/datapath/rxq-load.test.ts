/**
 * Rx queues by measured load: the receive side counts packets per rx queue
 * (checked against the queue the parser + Toeplitz hash + RETA helpers give:
 * the hash itself is checked against the Microsoft test vectors in
 * rss.test.ts), reassigns them every N batches from the last interval's
 * counts (pmd-rxq-assign cycles / group), and the outputs stay those of one PMD.
 */
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { DatapathEngine, type BatchResult } from '../../src/datapath/engine.js';
import { native, packageRoot } from '../../src/datapath/native.js';
import { assignRxqs, defaultReta, rssHashBatch, rxqOfHash } from '../../src/datapath/rss.js';
import { StaticRules } from '../../src/xlate/static-rules.js';
import { makeTraffic, toBatches, type TestPacket } from './traffic.js';

const rules = StaticRules.load(join(packageRoot(), 'examples', 'static', 'two-port-switch.yaml'));
const engines: DatapathEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close().catch(() => undefined)));
});

/** Rx queue of every packet: full parse, Toeplitz hash of the parsed key, default RETA. */
function queuesOf(packets: TestPacket[], rxqs: number): number[] {
  const reta = defaultReta(rxqs);
  const out: number[] = [];
  for (const b of toBatches(packets, 500)) {
    new (native().Parser)().parse(b.buffer, 1);
    rssHashBatch(b.buffer, 'outer');
    for (let i = 0; i < b.count; i++) out.push(b.slotEnd[i] <= b.dataSize ? rxqOfHash(b.hash[i], reta) : -1);
  }
  return out;
}

function outputs(results: BatchResult[]): string[] {
  const out: string[] = [];
  for (const r of results) r.forEachOutput((port, bytes) => out.push(`${port}:${Buffer.from(bytes).toString('hex')}`));
  return out;
}

describe('rx queue assignment by load', () => {
  for (const mode of ['cycles', 'group'] as const) {
    it(`${mode}: counts packets per rx queue and reassigns from the last interval`, async () => {
      // Skewed traffic: few flows, so queues carry very different loads.
      const packets = makeTraffic(1200, 9, 21);
      const perBatch = 100;
      const rxqs = 4;
      const engine = DatapathEngine.create({ slowPath: rules, pmds: 2, rxqs, rxqAssign: mode, rebalanceInterval: 4 });
      engines.push(engine);
      const results = await Promise.all(toBatches(packets, perBatch).map((b) => engine.process(b)));
      const q = queuesOf(packets, rxqs);
      // Totals: every valid packet counted once on its queue.
      const total = new Array<number>(rxqs).fill(0);
      q.forEach((v) => v >= 0 && total[v]++);
      const stats = engine.rxqStats();
      expect(stats.map((s) => s.total)).toEqual(total);
      // 12 batches, reassigned before batches 4 and 8: the current assignment
      // used batches 4..7, and batches 8..11 are the current interval.
      const window = (from: number, to: number): number[] => {
        const w = new Array<number>(rxqs).fill(0);
        q.slice(from * perBatch, to * perBatch).forEach((v) => v >= 0 && w[v]++);
        return w;
      };
      expect(stats.map((s) => s.load)).toEqual(window(4, 8));
      expect(stats.map((s) => s.packets)).toEqual(window(8, 12));
      const expected = assignRxqs(window(4, 8).map((load, queue) => ({ port: 0, queue, load })), 2, mode);
      const pmdOf = new Array<number>(rxqs);
      expected.forEach((qs, p) => qs.forEach((r) => (pmdOf[r.queue] = p)));
      expect(stats.map((s) => s.pmd)).toEqual(pmdOf);
      // Moving queues between PMDs changes nothing in the outputs (no per-PMD state in this scenario).
      const one = DatapathEngine.create({ slowPath: rules, pmds: 1 });
      engines.push(one);
      const base = await Promise.all(toBatches(packets, perBatch).map((b) => one.process(b)));
      expect(outputs(results)).toEqual(outputs(base));
      expect(results.flatMap((r) => Array.from(r.drops))).toEqual(base.flatMap((r) => Array.from(r.drops)));
    });
  }

  it('takes RSS settings per port', async () => {
    expect(() => DatapathEngine.create({ slowPath: rules, rssLayerByPort: { 1: 'middle' as 'inner' }, inProcess: true })).toThrow(RangeError);
    const packets = makeTraffic(600, 40, 5);
    const two = DatapathEngine.create({ slowPath: rules, pmds: 2, rssLayer: 'outer', rssLayerByPort: { 2: 'inner' } });
    const one = DatapathEngine.create({ slowPath: rules, pmds: 1 });
    engines.push(two, one);
    const a = await Promise.all(toBatches(packets, 100).map((b) => two.process(b)));
    const b = await Promise.all(toBatches(packets, 100).map((b2) => one.process(b2)));
    expect(outputs(a)).toEqual(outputs(b));
  });

  it('starts from given loads and rejects a wrong number of them', () => {
    const engine = DatapathEngine.create({ slowPath: rules, pmds: 2, rxqs: 4, rxqAssign: 'group', rxqLoad: [5, 90, 3, 2], inProcess: true });
    engines.push(engine);
    // group: 90 -> pmd0; 5 -> pmd1; 3 -> pmd1 (5 < 90); 2 -> pmd1 (8 < 90).
    expect(engine.rxqStats().map((s) => s.pmd)).toEqual([1, 0, 1, 1]);
    expect(() => DatapathEngine.create({ slowPath: rules, pmds: 2, rxqs: 4, rxqLoad: [1, 2], inProcess: true })).toThrow(RangeError);
  });
});
