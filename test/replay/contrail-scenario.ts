/**
 * Shared steps of the contrail-* scenario tests (examples/contrail-mplsoudp,
 * examples/contrail-mplsogre): run the replay (library or CLI), read the
 * port captures, ask tshark for fields, summary lines and protocol stacks,
 * read a vif's counters from the report, compare runs with other engine
 * settings, and run the `vswitch-sim vrouter` views against the replay's
 * report.json.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import type { ReplayOptions } from '../../src/replay/replay.js';
import { reportJson, type ReplayReport } from '../../src/replay/replay-report.js';
import { tsharkStack } from '../oracle/stack-compare.js';
import { tsharkDecode } from '../oracle/tshark.js';
import { pcapsOf, replayFresh } from './scenario-helpers.js';

export interface Scenario {
  dir: string;
  topology: string;
  inputs: ReplayOptions['inputs'];
}

export function scenario(name: string, inject: readonly (readonly [string, string, string])[]): Scenario {
  const dir = join(packageRoot(), 'examples', name);
  return { dir, topology: join(dir, 'topology.yaml'), inputs: inject.map(([f, host, port]) => ({ host, port, file: join(dir, 'pcaps', `${f}.pcap`) })) };
}

/** Replays the scenario (replayFresh: nothing left to the model's per-packet path) and writes report.json there, as the CLI does. */
export async function run(s: Scenario, extra: Partial<ReplayOptions> = {}): Promise<{ out: string; report: ReplayReport }> {
  const { out, report } = await replayFresh(s.topology, s.inputs, extra);
  writeFileSync(join(out, 'report.json'), JSON.stringify(reportJson(report), null, 2) + '\n');
  return { out, report };
}

/** The replay wrote exactly the captures named in `expected`, each with tshark's summary lines `expected[file]`. */
export function expectSummaries(out: string, expected: Record<string, string[]>, decode: string[] = []): void {
  expect([...pcapsOf(out).keys()]).toEqual(Object.keys(expected).sort());
  for (const [file, lines] of Object.entries(expected)) expect(summary(join(out, file), decode), file).toEqual(lines);
}

/** Every frame of each of `files` (in `out`) has a protocol stack matching `stack` and no tshark expert error. */
export function expectStacks(out: string, files: readonly string[], stack: RegExp, decode: string[] = []): void {
  for (const file of files)
    for (const fr of tsharkDecode(join(out, file), decode)) {
      expect(tsharkStack(fr).join(' '), `${file}#${fr.number}`).toMatch(stack);
      expect(fr.errors, `${file}#${fr.number}`).toEqual([]);
    }
}

/**
 * Replays again through the per-packet model, without the cache and with two
 * PMDs, and expects the port captures, port counters, drops (reason, count)
 * and vRouter counters of `base`.
 */
export async function expectSameAcrossEngines(s: Scenario, base: { out: string; report: ReplayReport }): Promise<void> {
  const ref = pcapsOf(base.out);
  for (const extra of [{ modelOnly: true, inProcess: true }, { cache: false }, { pmds: 2 }]) {
    const { out, report } = await run(s, extra);
    expect(pcapsOf(out), JSON.stringify(extra)).toEqual(ref);
    expect(report.ports, JSON.stringify(extra)).toEqual(base.report.ports);
    expect(report.drops.map((d) => [d.reason, d.count]), JSON.stringify(extra)).toEqual(base.report.drops.map((d) => [d.reason, d.count]));
    expect(report.vrouters, JSON.stringify(extra)).toEqual(base.report.vrouters);
  }
}

/** One compute node's counters in the report (undefined when the report has none for `host`). */
export function vrouterOf(report: ReplayReport, host: string): NonNullable<ReplayReport['vrouters']>[number] | undefined {
  return report.vrouters?.find((v) => v.host === host);
}

/** A vif's [rxPackets, rxBytes, txPackets, txBytes, drops] in a compute node's counters. */
export function vifTotals(v: NonNullable<ReplayReport['vrouters']>[number] | undefined, name: string): number[] | undefined {
  const x = v?.vifs.find((y) => y.name === name);
  return x && [x.rxPackets, x.rxBytes, x.txPackets, x.txBytes, x.drops];
}

/** tshark -T fields: one array of values per frame (multi-occurrence fields keep tshark's comma list). */
export function fields(file: string, names: string[], extra: string[] = []): string[][] {
  const text = execFileSync('tshark', ['-r', file, '-n', ...extra, '-o', 'ip.defragment:FALSE', '-T', 'fields', ...names.flatMap((n) => ['-e', n])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return text.replace(/\n$/, '').split('\n').map((l) => l.split('\t'));
}

/** tshark's Protocol / Source / Destination / Info columns, one line per frame, whitespace collapsed. */
export function summary(file: string, extra: string[] = []): string[] {
  return fields(file, ['_ws.col.Protocol', '_ws.col.Source', '_ws.col.Destination', '_ws.col.Info'], extra).map((l) => l.join(' ').replace(/\s+/g, ' ').trim());
}

/** Runs `vswitch-sim ...args` in-process; its stdout text and exit code. */
export { cli } from '../cli/run-cli.js';

/** The RX / TX / Drops lines of one vif in `vif --list` text. */
export function vifCounters(text: string, name: string): string {
  const lines = text.split('\n');
  const k = lines.findIndex((l) => l.includes(`OS: ${name}`));
  if (k < 0) throw new Error(`vif ${name} not in the listing`);
  return lines
    .slice(k + 3, k + 6)
    .map((l) => l.trim())
    .join(' | ');
}

/** dropstats counters that are not zero, "Label n". */
export function nonZeroDropstats(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/\s{2,}/g, ' '))
    .filter((l) => /\s[1-9]\d*$/.test(l));
}
