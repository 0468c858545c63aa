/**
 * The engine end to end with the static slow path: cache on vs off and 1 vs
 * 2 vs 4 PMDs give byte-identical per-port outputs and drops on every shipped
 * static scenario; per-flow order is kept; a throwing slow path costs only
 * its packets; a crashing worker fails the run with a clear error. Misses
 * covered by flows of recent batches (not in the PMDs yet) are answered
 * without a translation, identically for any PMD count and thread layout.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { DROP_REASONS } from '../../src/datapath/drop-reasons.js';
import { DatapathEngine, type BatchResult, type EngineOptions, type EngineStats } from '../../src/datapath/engine.js';
import { packageRoot } from '../../src/datapath/native.js';
import { StaticRules } from '../../src/xlate/static-rules.js';
import { keyNumber } from '../../src/datapath/flow-key.js';
import type { SlowPath } from '../../src/xlate/upcall.js';
import { CountingSlowPath } from '../xlate/counting-slow-path.js';
import { makeTraffic, toBatches, type TestPacket } from './traffic.js';

const root = packageRoot();
const scenarioDir = join(root, 'examples', 'static');
const scenarios = readdirSync(scenarioDir).filter((f) => f.endsWith('.yaml')).sort();

interface RunOutput {
  ports: Map<number, string[]>;
  drops: string[];
  results: BatchResult[];
  stats: EngineStats;
}

const engines: DatapathEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close().catch(() => undefined)));
});

async function run(slowPath: SlowPath, packets: TestPacket[], perBatch: number, opts: Partial<EngineOptions>): Promise<RunOutput> {
  const engine = DatapathEngine.create({ slowPath, ...opts });
  engines.push(engine);
  const pending = toBatches(packets, perBatch).map((b) => engine.process(b));
  const results = await Promise.all(pending);
  const ports = new Map<number, string[]>();
  const drops: string[] = [];
  for (const r of results) {
    r.forEachOutput((port, bytes) => {
      let l = ports.get(port);
      if (!l) ports.set(port, (l = []));
      l.push(Buffer.from(bytes).toString('hex'));
    });
    for (const d of r.drops) drops.push(DROP_REASONS[d][0]);
  }
  const stats = await engine.stats();
  await engine.close();
  return { ports, drops, results, stats };
}

/** The upcall counters that must not depend on the PMD count or threads. */
const upcallCounts = (s: EngineStats): number[] => [
  s.upcall.upcalls,
  s.upcall.reused,
  s.upcall.installs,
  s.upcall.failed,
  s.pmds.reduce((a, p) => a + p.upcallsReused, 0),
];

describe('datapath engine', () => {
  expect(scenarios.length).toBeGreaterThan(0);

  for (const file of scenarios) {
    describe(file, () => {
      const rules = StaticRules.load(join(scenarioDir, file));
      const packets = makeTraffic(3000, 150, 7);

      it('gives byte-identical outputs with the cache on and off, and for 1, 2 and 4 PMDs', async () => {
        const base = await run(rules, packets, 256, { inProcess: true });
        expect([...base.ports.values()].reduce((a, l) => a + l.length, 0)).toBeGreaterThan(0);
        const noCache = await run(rules, packets, 256, { inProcess: true, cache: false });
        expect(noCache.ports).toEqual(base.ports);
        expect(noCache.drops).toEqual(base.drops);
        for (const pmds of [1, 2, 4]) {
          const r = await run(rules, packets, 256, { pmds });
          expect(r.ports, `${pmds} PMDs`).toEqual(base.ports);
          expect(r.drops, `${pmds} PMDs`).toEqual(base.drops);
        }
      });

      it('keeps per-flow order and loses no packet', async () => {
        const r = await run(rules, packets, 200, { pmds: 2 });
        const dropped = r.drops.filter((d) => d !== 'none').length;
        let originCount = 0;
        const lastByFlowPort = new Map<string, number>();
        for (const res of r.results) {
          const seen = new Set<number>();
          res.forEachOutput((port, _bytes, origin) => {
            seen.add(origin);
            const pos = res.firstPacket + origin;
            const key = `${packets[pos].flow}@${port}`;
            expect(pos).toBeGreaterThanOrEqual(lastByFlowPort.get(key) ?? -1);
            lastByFlowPort.set(key, pos);
          });
          originCount += seen.size;
          // Every packet is either output or dropped, never both.
          for (const o of seen) expect(res.drops[o]).toBe(0);
        }
        expect(originCount + dropped).toBe(packets.length);
      });
    });
  }

  it('copies shards into recycled batches: outputs as without them, and the buffers handed back are used', async () => {
    const rules = StaticRules.load(join(scenarioDir, scenarios[0]));
    const packets = makeTraffic(3000, 150, 7);
    const base = await run(rules, packets, 256, { inProcess: true });
    for (const inProcess of [true, false]) {
      const engine = DatapathEngine.create({ slowPath: rules, pmds: 2, inProcess });
      engines.push(engine);
      const ports = new Map<number, string[]>();
      let handedBack: ArrayBuffer[] = [];
      let reused = 0;
      for (const b of toBatches(packets, 256)) {
        const r = await engine.process(b);
        // a buffer the receive side took as a shard batch went to its PMD: in a worker, it is detached here
        if (!inProcess) reused += handedBack.filter((buf) => buf.byteLength === 0).length;
        r.forEachOutput((port, bytes) => {
          let l = ports.get(port);
          if (!l) ports.set(port, (l = []));
          l.push(Buffer.from(bytes).toString('hex'));
        });
        // nothing of a reused batch's old contents (header, columns, data) may show
        for (const c of r.chunks) new Uint8Array(c.buffer).fill(0xa5);
        engine.recycle(r.chunks);
        handedBack = r.chunks.map((c) => c.buffer);
      }
      await engine.close();
      expect(ports, inProcess ? 'in-process' : 'workers').toEqual(base.ports);
      if (!inProcess) expect(reused).toBeGreaterThan(0);
    }
  });

  it('translates a flow once while its megaflow is on its way to the PMDs, for any PMD count and in workers', async () => {
    // Many exact keys, two megaflows (in_port 1 and 2); the first W + 1 batches all miss.
    const packets = makeTraffic(4096, 1000, 13);
    const live = packets.filter((p) => p.flow !== 'runt').length;
    const off = new CountingSlowPath();
    const base = await run(off, packets, 1024, { inProcess: true, cache: false, pipeline: 4 });
    expect(off.calls).toBe(live);
    for (const [pmds, inProcess] of [[1, true], [1, false], [2, false], [4, false], [4, true]] as const) {
      const sp = new CountingSlowPath();
      const r = await run(sp, packets, 1024, { pmds, inProcess, pipeline: 4 });
      const label = `${pmds} PMDs${inProcess ? ' in-process' : ''}`;
      expect(sp.calls, label).toBe(2);
      expect(r.stats.upcall, label).toMatchObject({ upcalls: 2, succeeded: 2, installs: 2, reused: live - 2 });
      expect(r.stats.pmds.reduce((a, p) => a + p.upcallsOk + p.upcallsReused, 0), label).toBe(live);
      expect(r.ports, label).toEqual(base.ports);
      expect(r.drops, label).toEqual(base.drops);
    }
  });

  it('installs no megaflow translated before a version change in the same batch, and answers nothing from it', async () => {
    const sp = new CountingSlowPath();
    const engine = DatapathEngine.create({ slowPath: sp, inProcess: true });
    engines.push(engine);
    const frames = makeTraffic(20, 20, 17).filter((p) => p.flow !== 'runt');
    const at = (inPorts: number[]) => toBatches(inPorts.map((inPort, k) => ({ ...frames[k], inPort })), 64)[0];
    // port 1 (v1), port 2 (v1), port 1 (answered from the first), port 9 (-> v2), port 1 (translated again at v2)
    await engine.process(at([1, 2, 1, 9, 1]));
    expect(sp.calls).toBe(4);
    // Installs reach the PMD two batches later: only the port 1 megaflow of version 2.
    await engine.process(PacketBatch.create());
    await engine.process(PacketBatch.create());
    const flows = await engine.dumpFlows();
    expect(flows.map((f) => keyNumber(f.key, 'in_port'))).toEqual([1]);
    const r = await engine.process(at([2, 1]));
    expect(r.drops).toEqual(Uint16Array.of(0, 0));
    expect(sp.calls).toBe(5);
    const s = await engine.stats();
    expect(s.upcall).toMatchObject({ upcalls: 5, reused: 1, installs: 2 });
    await engine.close();
  });

  it('gives the PMDs the version of the batch their installs come from: a slow path that bumps it mid-run gives the same counts in-process and in workers', async () => {
    // The rule: batch k + W gets the version as it was once batch k was translated, even when later batches were translated already.
    const sp = new CountingSlowPath();
    const engine = DatapathEngine.create({ slowPath: sp, inProcess: true, pipeline: 2 });
    engines.push(engine);
    const frames = makeTraffic(20, 20, 17).filter((p) => p.flow !== 'runt');
    const at = (inPorts: number[]) => toBatches(inPorts.map((inPort, k) => ({ ...frames[k], inPort })), 64)[0];
    const pmdVersion = async (): Promise<number> => (await engine.stats()).pmds[0].version;
    await engine.process(at([1, 9])); // batch 0: the slow path goes to version 2
    expect(sp.version).toBe(2);
    await engine.process(at([1])); // batch 1: W = 2 batches after the start, version 1 still
    expect(await pmdVersion()).toBe(1);
    await engine.process(at([2])); // batch 2: the version after batch 0
    expect(await pmdVersion()).toBe(2);
    // every 700th packet comes from port 9 and bumps the version (as MAC learning): the PMDs flush, and the flows come back
    const packets = makeTraffic(6000, 150, 31).map((p, k) => ({ ...p, inPort: k % 700 === 350 ? 9 : k % 2 === 0 ? 1 : 2 }));
    const base = await run(new CountingSlowPath(), packets, 512, { inProcess: true, pipeline: 4 });
    expect(base.stats.pmds[0].flushes).toBeGreaterThan(0);
    const misses = (s: EngineStats): number => s.pmds.reduce((a, p) => a + p.misses, 0);
    for (const [pmds, inProcess] of [[1, false], [2, false], [4, false], [4, true]] as const) {
      const r = await run(new CountingSlowPath(), packets, 512, { pmds, inProcess, pipeline: 4 });
      const label = `${pmds} PMDs${inProcess ? ' in-process' : ''}`;
      expect(r.ports, label).toEqual(base.ports);
      expect(r.drops, label).toEqual(base.drops);
      expect(upcallCounts(r.stats), label).toEqual(upcallCounts(base.stats));
      expect(misses(r.stats), label).toBe(misses(base.stats));
    }
  });

  for (const file of scenarios) {
    it(`${file}: the same outputs, drops and upcall counts for 1, 2 and 4 PMDs, in-process and in workers, with large batches`, async () => {
      const rules = StaticRules.load(join(scenarioDir, file));
      const packets = makeTraffic(6000, 150, 29);
      const base = await run(rules, packets, 1024, { inProcess: true, pipeline: 4 });
      expect(base.stats.upcall.reused).toBeGreaterThan(0);
      const noCache = await run(rules, packets, 1024, { inProcess: true, cache: false, pipeline: 4 });
      expect(noCache.ports).toEqual(base.ports);
      expect(noCache.drops).toEqual(base.drops);
      expect(noCache.stats.upcall.reused).toBe(0);
      for (const [pmds, inProcess] of [[1, false], [2, false], [4, false], [2, true]] as const) {
        const r = await run(rules, packets, 1024, { pmds, inProcess, pipeline: 4 });
        const label = `${pmds} PMDs${inProcess ? ' in-process' : ''}`;
        expect(r.ports, label).toEqual(base.ports);
        expect(r.drops, label).toEqual(base.drops);
        expect(upcallCounts(r.stats), label).toEqual(upcallCounts(base.stats));
      }
    });
  }

  it('counts slow-path failures as upcall_failed drops and goes on', async () => {
    const rules = StaticRules.load(join(scenarioDir, 'two-port-switch.yaml'));
    const flaky: SlowPath = {
      version: 1,
      translate(u) {
        if (u.seq % 10 === 3) throw new Error('model bug');
        return rules.translate(u);
      },
    };
    const packets = makeTraffic(400, 400, 3); // (mostly) one packet per flow: every packet upcalls
    const r = await run(flaky, packets, 100, { inProcess: true, cache: false });
    const failed = r.drops.filter((d) => d === 'upcall_failed').length;
    const expected = packets.filter((p, i) => i % 10 === 3 && p.flow !== 'runt').length;
    expect(failed).toBe(expected);
  });

  it('reports identical upcall and install counts for 1 and 2 PMDs', async () => {
    const rules = StaticRules.load(join(scenarioDir, 'two-port-switch.yaml'));
    const packets = makeTraffic(2000, 100, 11);
    const counts: number[][] = [];
    for (const pmds of [1, 2]) {
      const engine = DatapathEngine.create({ slowPath: rules, pmds });
      engines.push(engine);
      await Promise.all(toBatches(packets, 128).map((b) => engine.process(b)));
      const s = await engine.stats();
      counts.push([s.upcall.upcalls, s.upcall.installs, s.pmds.reduce((a, p) => a + p.emcHits + p.megaflowHits + p.misses, 0)]);
      await engine.close();
    }
    expect(counts[1]).toEqual(counts[0]);
  });

  it('fails with ERR_VS_PMD_CRASHED when a worker dies mid-run, and does not hang', async () => {
    const rules = StaticRules.load(join(scenarioDir, 'two-port-switch.yaml'));
    const engine = DatapathEngine.create({ slowPath: rules, pmds: 2, crashPmdAtBatch: { pmd: 1, batch: 3 } });
    engines.push(engine);
    const batches = toBatches(makeTraffic(1000, 50, 5), 100);
    const settled = await Promise.allSettled(batches.map((b) => engine.process(b)));
    // Batches before the crash may complete; batch 3 and every later one fail
    // with the crash; nothing fails differently and nothing hangs.
    expect(settled[0].status).toBe('fulfilled');
    settled.forEach((s, k) => {
      if (k >= 3) expect(s.status).toBe('rejected');
      if (s.status === 'rejected') expect((s.reason as { code: string }).code).toBe('ERR_VS_PMD_CRASHED');
    });
    await expect(engine.stats()).rejects.toMatchObject({ code: 'ERR_VS_PMD_CRASHED' });
    await engine.close();
  });
});
