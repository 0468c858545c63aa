/**
 * Shared by the scenario tests: the shipped captures against their generator,
 * a replay into a fresh directory (with the edge counters), the same bytes
 * without the flow cache and with two PMDs, tshark's one-line summary and
 * selected fields of an output pcap.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expect } from 'vitest';

import type { EdgeCounters } from '../../src/replay/port-edges.js';
import { replay, type ReplayOptions } from '../../src/replay/replay.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';

/**
 * Runs a scenario's generator into a fresh directory and expects each of
 * `captures` (paths below `dir`/pcaps without ".pcap") byte-identical to the
 * shipped file: the examples ship what their generator makes.
 */
export async function expectShippedCaptures(writeCaptures: (dir: string) => Promise<void>, dir: string, captures: readonly string[]): Promise<void> {
  const again = mkdtempSync(join(tmpdir(), 'vs-gen-'));
  await writeCaptures(again);
  for (const c of captures) expect(readFileSync(join(again, `${c}.pcap`)), c).toEqual(readFileSync(join(dir, 'pcaps', `${c}.pcap`)));
}

/** Replay inputs for (host, port) pairs, each port's capture `dir`/pcaps/<port>.pcap. */
export function portInputs(dir: string, ports: readonly (readonly [host: string, port: string])[]): ReplayOptions['inputs'] {
  return ports.map(([host, port]) => ({ host, port, file: join(dir, 'pcaps', `${port}.pcap`) }));
}

/**
 * Replays `inputs` through `topology` (PMDs in process) into a new temporary
 * directory. Every shipped scenario runs entirely through the datapath engine
 * (docs/replay.md says so): a packet left to the model's per-packet path
 * fails here, unless the run asked for the model (`modelOnly`).
 */
export async function replayFresh(topology: string, inputs: ReplayOptions['inputs'], extra: Partial<ReplayOptions> = {}): Promise<{ out: string; report: ReplayReport }> {
  const out = mkdtempSync(join(tmpdir(), 'vs-scenario-'));
  const report = await replay({ topology, inputs, outDir: out, inProcess: true, ...extra });
  if (!extra.modelOnly && report.packets.modelFallback !== 0)
    throw new Error(`${topology}: ${report.packets.modelFallback} packet(s) left to the model's per-packet path: ${JSON.stringify(report.fallbackReasons)}`);
  return { out, report };
}

/** The pcaps a replay wrote into `out`, by file name. */
export function pcapsOf(out: string): Map<string, Buffer> {
  return new Map(readdirSync(out).filter((f) => f.endsWith('.pcap')).sort().map((f) => [f, readFileSync(join(out, f))]));
}

/**
 * Replays `inputs` through `topology` again without the flow cache (every
 * packet through the slow path) and with two PMDs, and expects `base`'s
 * port captures byte for byte, its port counters and its drops (reason and
 * count): neither the cache nor the PMD count may change a byte.
 */
export async function expectSameWithoutCacheAndWithTwoPmds(topology: string, inputs: ReplayOptions['inputs'], base: { out: string; report: ReplayReport }): Promise<void> {
  const ref = pcapsOf(base.out);
  for (const extra of [{ cache: false }, { pmds: 2 }] as Partial<ReplayOptions>[]) {
    const { out, report } = await replayFresh(topology, inputs, extra);
    const label = JSON.stringify(extra);
    expect(pcapsOf(out), label).toEqual(ref);
    expect(report.ports, label).toEqual(base.report.ports);
    expect(report.drops.map((d) => [d.reason, d.count]), label).toEqual(base.report.drops.map((d) => [d.reason, d.count]));
  }
}

export interface EdgeRun {
  out: string;
  report: ReplayReport;
  edges: EdgeCounters;
}

/** replayFresh, with the report's edge counters (NIC and guest offloads) at hand. */
export async function replayEdges(topology: string, inputs: ReplayOptions['inputs']): Promise<EdgeRun> {
  const r = await replayFresh(topology, inputs);
  return { ...r, edges: r.report.edges };
}

const run = (args: string[]): string => execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).replace(/\n+$/, '');

/** tshark's Protocol / Source / Destination / Info columns, one line per frame. */
export function summary(file: string): string[] {
  const text = run(['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', '_ws.col.Info']);
  return text === '' ? [] : text.split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
}

/** Tab-separated tshark fields per frame (`-o` preferences first, e.g. ['tcp.check_checksum:TRUE']). */
export function fields(file: string, names: string[], prefs: string[] = []): string[] {
  const text = run(['-r', file, ...prefs.flatMap((p) => ['-o', p]), '-T', 'fields', ...names.flatMap((n) => ['-e', n])]);
  return text === '' ? [] : text.split('\n');
}
