import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { DROP_REASONS } from '../../src/datapath/drop-reasons.js';
import { DatapathEngine } from '../../src/datapath/engine.js';
import { packageRoot } from '../../src/datapath/native.js';
import { formatPmdStats, pmdStatsJson } from '../../src/datapath/stats.js';
import { StaticRules } from '../../src/xlate/static-rules.js';
import { makeTraffic, toBatches } from './traffic.js';

describe('engine statistics', () => {
  it('counts every packet once and prints pmd-stats-show style text', async () => {
    const rules = StaticRules.load(join(packageRoot(), 'examples', 'static', 'two-port-switch.yaml'));
    const packets = makeTraffic(1000, 40, 21);
    const engine = DatapathEngine.create({ slowPath: rules, pmds: 2 });
    await Promise.all(toBatches(packets, 100).map((b) => engine.process(b)));
    const s = await engine.stats();
    await engine.close();
    const received = s.pmds.reduce((a, p) => a + p.packets, 0);
    expect(received).toBe(1000);
    // Every live packet is looked up once: a hit at some level or a miss; runts never reach the cache.
    const runts = packets.filter((p) => p.flow === 'runt').length;
    expect(s.pmds.reduce((a, p) => a + p.emcHits + p.megaflowHits + p.misses, 0)).toBe(1000 - runts);
    // Every miss is translated or answered from a flow not yet in the PMDs.
    expect(s.upcall.reused).toBeGreaterThan(0);
    expect(s.upcall.upcalls + s.upcall.reused).toBe(s.pmds.reduce((a, p) => a + p.upcalls, 0));
    for (const p of s.pmds) expect(p.upcallsOk + p.upcallsFailed + p.upcallsReused).toBe(p.upcalls);
    expect(s.pmds.reduce((a, p) => a + p.upcallsReused, 0)).toBe(s.upcall.reused);
    expect(s.drops.truncated_ethernet).toBe(packets.filter((p) => p.flow === 'runt').length);
    const text = formatPmdStats(s);
    expect(text).toMatch(/^main thread:\n  packets received: 1000\n/);
    expect(text).toContain(`\n  misses answered by flows not yet in the PMDs: ${s.upcall.reused}\n  flows installed: ${s.upcall.installs}\n`);
    expect(text).toMatch(/pmd thread numa_id 0 core_id 0:\n  packets received: \d+\n  packet recirculations: 0\n/);
    expect(text).toMatch(/  emc hits: \d+\n  megaflow hits: \d+\n  avg\. subtable lookups per megaflow hit: \d+\.\d\d\n  miss with success upcall: \d+\n  miss with failed upcall: 0\n  miss answered by a flow not yet installed: \d+\n/);
    expect(text).toMatch(/drops:\n(  \w+: \d+\n)+/);
    const json = pmdStatsJson(s, DROP_REASONS) as { pmds: { hitRate: number; drops: Record<string, number> }[] };
    expect(json.pmds).toHaveLength(2);
    expect(json.pmds[0].hitRate).toBeGreaterThan(0.5);
  });
});
