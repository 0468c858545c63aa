/**
 * Engine statistics as text, laid out like `ovs-appctl dpif-netdev/pmd-stats-show`
 * (one block per PMD thread, then the main thread's upcall handling and the
 * drop counters by reason, as vRouter's dropstats), and as JSON.
 *
 * Time: "processing" is the time a PMD spent in tasks, "idle" the rest of the
 * engine's wall time; "cycles" are TSC cycles spent inside the native
 * datapath (classify + execute), so cycles per packet exclude thread hops.
 */
import type { EngineStats, PmdStats } from './engine.js';

const pct = (part: number, whole: number): string => (whole > 0 ? ((100 * part) / whole).toFixed(2) : '0.00');
const avg = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : '0.00');
const ms = (ns: number): string => `${(ns / 1e6).toFixed(3)} ms`;

function pmdBlock(p: PmdStats, wallNs: number): string[] {
  const hits = p.emcHits + p.megaflowHits;
  const idle = Math.max(0, wallNs - p.busyNs);
  return [
    `pmd thread numa_id 0 core_id ${p.pmd}:`,
    `  packets received: ${p.packets}`,
    `  packet recirculations: 0`,
    `  avg. datapath passes per packet: ${p.packets > 0 ? '1.00' : '0.00'}`,
    `  emc hits: ${p.emcHits}`,
    `  megaflow hits: ${p.megaflowHits}`,
    `  avg. subtable lookups per megaflow hit: ${avg(p.subtableLookups, p.megaflowHits)}`,
    `  miss with success upcall: ${p.upcallsOk}`,
    `  miss with failed upcall: ${p.upcallsFailed}`,
    `  miss answered by a flow not yet installed: ${p.upcallsReused}`,
    `  cache hit rate: ${pct(hits, hits + p.misses)}%`,
    `  flows: ${p.flows} (subtables: ${p.subtables}, installs: ${p.installs}, evictions: ${p.evictions})`,
    `  packets output: ${p.outputs}, dropped: ${p.dropped}`,
    `  avg. packets per batch: ${avg(p.packets, p.batches)}`,
    `  idle time: ${ms(idle)} (${pct(idle, wallNs)}%)`,
    `  processing time: ${ms(p.busyNs)} (${pct(p.busyNs, wallNs)}%)`,
    `  avg cycles per packet: ${avg(p.cycles, p.packets)} (${p.cycles}/${p.packets})`,
    `  avg processing time per packet: ${avg(p.busyNs, p.packets)} ns`,
  ];
}

/** The pmd-stats-show text of an engine's statistics. */
export function formatPmdStats(stats: EngineStats): string {
  const lines: string[] = [];
  lines.push('main thread:');
  lines.push(`  packets received: ${stats.packets}`);
  lines.push(`  batches: ${stats.batches}`);
  lines.push(`  upcalls: ${stats.upcall.upcalls} (succeeded: ${stats.upcall.succeeded}, failed: ${stats.upcall.failed})`);
  lines.push(`  misses answered by flows not yet in the PMDs: ${stats.upcall.reused}`);
  lines.push(`  flows installed: ${stats.upcall.installs}`);
  for (const p of stats.pmds) lines.push(...pmdBlock(p, stats.wallNs));
  const drops = Object.entries(stats.drops).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  lines.push('drops:');
  if (drops.length === 0) lines.push('  (none)');
  for (const [name, n] of drops) lines.push(`  ${name}: ${n}`);
  for (const e of stats.upcall.errors) lines.push(`upcall error at packet ${e.seq}: ${e.message}`);
  return lines.join('\n') + '\n';
}

/** JSON form: the same numbers, per-PMD drop arrays replaced by name -> count maps. */
export function pmdStatsJson(stats: EngineStats, dropNames: readonly (readonly [string, string])[]): unknown {
  return {
    wallNs: stats.wallNs,
    packets: stats.packets,
    batches: stats.batches,
    upcall: stats.upcall,
    drops: stats.drops,
    pmds: stats.pmds.map((p) => {
      const { drops, ...rest } = p;
      const named: Record<string, number> = {};
      drops.forEach((n, r) => {
        if (r !== 0 && n > 0) named[dropNames[r]?.[0] ?? String(r)] = n;
      });
      return { ...rest, drops: named, hitRate: p.emcHits + p.megaflowHits + p.misses > 0 ? (p.emcHits + p.megaflowHits) / (p.emcHits + p.megaflowHits + p.misses) : 0 };
    }),
  };
}
