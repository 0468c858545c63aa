/**
 * Shared steps of the contrail-* scenario tests (examples/contrail-mplsoudp,
 * examples/contrail-mplsogre): run the replay (library or CLI), read the
 * port captures, ask tshark for fields and summary lines, and run the
 * `vswitch-sim vrouter` views against the replay's report.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { vi } from 'vitest';

import { main } from '../../src/cli/main.js';
import { packageRoot } from '../../src/datapath/native.js';
import { replay, type ReplayOptions } from '../../src/replay/replay.js';
import { reportJson, type ReplayReport } from '../../src/replay/replay-report.js';

export interface Scenario {
  dir: string;
  topology: string;
  inputs: ReplayOptions['inputs'];
}

export function scenario(name: string, inject: readonly (readonly [string, string, string])[]): Scenario {
  const dir = join(packageRoot(), 'examples', name);
  return { dir, topology: join(dir, 'topology.yaml'), inputs: inject.map(([f, host, port]) => ({ host, port, file: join(dir, 'pcaps', `${f}.pcap`) })) };
}

/** Replays the scenario into a fresh directory and writes report.json there, as the CLI does. */
export async function run(s: Scenario, extra: Partial<ReplayOptions> = {}): Promise<{ out: string; report: ReplayReport }> {
  const out = mkdtempSync(join(tmpdir(), 'vs-contrail-'));
  const report = await replay({ topology: s.topology, inputs: s.inputs, outDir: out, ...extra });
  writeFileSync(join(out, 'report.json'), JSON.stringify(reportJson(report), null, 2) + '\n');
  return { out, report };
}

export function pcapsOf(out: string): Map<string, Buffer> {
  return new Map(readdirSync(out).filter((f) => f.endsWith('.pcap')).sort().map((f) => [f, readFileSync(join(out, f))]));
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
export async function cli(args: string[]): Promise<{ code: number; text: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  let code: number;
  try {
    code = await main(args);
  } finally {
    spy.mockRestore();
  }
  return { code, text: chunks.join('') };
}

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
