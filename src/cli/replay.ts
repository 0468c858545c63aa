/**
 * `vswitch-sim replay TOPO --in HOST:PORT=FILE [--in ...] --out DIR
 * [--pmds N] [--no-cache] [--json]`: replays captures through the
 * topology's OVS hosts (see src/replay/replay.ts), writes DIR/HOST-PORT.pcap
 * per transmitting port and DIR/report.json, and prints a summary (or the
 * report as JSON). A progress bar is drawn on a terminal only; Ctrl-C stops
 * between batches, leaves complete files and prints what was done.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';

import { replay } from '../replay/replay.js';
import { parseReplayInput, type ReplayInput } from '../replay/replay-input.js';
import { reportJson, reportText } from '../replay/replay-report.js';
import { writeLine } from './output.js';

const collectInput = (text: string, prev: ReplayInput[] = []): ReplayInput[] => [...prev, parseReplayInput(text)];

function pmdCount(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`"${s}" is not a PMD count (1 to 64)`);
  return n;
}

interface ReplayCliOptions {
  in: ReplayInput[];
  out: string;
  pmds: number;
  cache: boolean;
  json?: boolean;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay captures through the modelled hosts of a topology; one pcap per port that transmitted, plus report.json')
    .argument('<topology>', 'topology file (YAML)')
    .requiredOption('--in <host:port=file>', 'inject a capture at a port, e.g. compute1:vm1=vm1.pcap (repeat for more)', collectInput)
    .requiredOption('--out <dir>', 'directory for HOST-PORT.pcap files and report.json')
    .option('--pmds <n>', 'PMD threads per host', pmdCount, 1)
    .option('--no-cache', 'no flow cache: every packet goes through the slow path')
    .option('--json', 'print the report as JSON instead of the text summary')
    .action(async (topology: string, opts: ReplayCliOptions) => {
      const controller = new AbortController();
      // first Ctrl-C: stop between batches and close the files; a second one: exit now
      const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nvswitch-sim: interrupted, finishing the current batch and closing the files (Ctrl-C again to quit at once)\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const bar = process.stderr.isTTY
        ? new SingleBar({ format: 'replay [{bar}] {percentage}% | {packets} packets | {pps} pkt/s | ETA {eta}s', stream: process.stderr, hideCursor: true })
        : undefined;
      const t0 = Date.now();
      let started = false;
      try {
        const report = await replay({
          topology,
          inputs: opts.in,
          outDir: opts.out,
          pmds: opts.pmds,
          cache: opts.cache,
          signal: controller.signal,
          onProgress: ({ packets, bytes, totalBytes }) => {
            if (!bar) return;
            const pps = Math.round(packets / Math.max((Date.now() - t0) / 1000, 1e-3));
            if (!started) {
              bar.start(Math.max(totalBytes, 1), 0, { packets, pps });
              started = true;
            }
            bar.update(Math.min(bytes, totalBytes), { packets, pps });
          },
        });
        if (started) bar?.stop();
        started = false;
        writeFileSync(join(opts.out, 'report.json'), JSON.stringify(reportJson(report), null, 2) + '\n');
        await writeLine(opts.json ? JSON.stringify(reportJson(report), null, 2) : reportText(report).trimEnd());
        if (report.interrupted) process.exitCode = 130;
      } finally {
        if (started) bar?.stop();
        process.off('SIGINT', onSigint);
      }
    });
}
