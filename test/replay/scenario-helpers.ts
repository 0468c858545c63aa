/** Shared by the fabric / edge scenario tests: a replay into a fresh directory; tshark's one-line summary and selected fields of an output pcap. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { replay, type ReplayOptions } from '../../src/replay/replay.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';

/** Replays `inputs` through `topology` (PMDs in process) into a new temporary directory. */
export async function replayFresh(topology: string, inputs: ReplayOptions['inputs'], extra: Partial<ReplayOptions> = {}): Promise<{ out: string; report: ReplayReport }> {
  const out = mkdtempSync(join(tmpdir(), 'vs-scenario-'));
  return { out, report: await replay({ topology, inputs, outDir: out, inProcess: true, ...extra }) };
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
