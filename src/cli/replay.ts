/**
 * `vswitch-sim replay TOPO --in HOST:PORT=FILE [--in ...] --out DIR
 * [--pmds N] [--no-cache] [--trace FILTER] [--json] [--html FILE]`: replays captures through the
 * topology's hosts, OVS and vRouter (see src/replay/replay.ts), writes DIR/HOST-PORT.pcap
 * per transmitting port and DIR/report.json, and prints a summary (or the
 * report as JSON). A progress bar is drawn on a terminal only; Ctrl-C stops
 * between batches, leaves complete files and prints what was done.
 */
import { join } from 'node:path';

import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';

import { writeHtmlReport } from '../report/html-report.js';
import { checkOutputFile, writeFileAtomic } from '../report/write-file-atomic.js';
import { replay } from '../replay/replay.js';
import { parseReplayInput, type ReplayInput } from '../replay/replay-input.js';
import { reportJson, reportText, type PacketTrace } from '../replay/replay-report.js';
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
  html?: string;
  trace?: string;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('replay captures through the modelled hosts of a topology; one pcap per port that transmitted, plus report.json')
    .argument('<topology>', 'topology file (YAML)')
    .requiredOption('--in <host:port=file>', 'inject a capture at a port, e.g. compute1:vm1=vm1.pcap; one interface of a pcapng: FILE@IFNAME or FILE@#N (repeat for more)', collectInput)
    .requiredOption('--out <dir>', 'directory for HOST-PORT.pcap files and report.json')
    .option('--pmds <n>', 'PMD threads per host', pmdCount, 1)
    .option('--no-cache', 'no flow cache: every packet goes through the slow path')
    .option('--json', 'print the report as JSON instead of the text summary')
    .option('--trace <filter>', 'trace the selected packets at every host they cross: #N or FILE#N (tshark frame numbers) or a flow match such as tcp,nw_dst=192.0.2.10 (comma-separated)')
    .option('--html <file>', 'also write the report as a self-contained HTML page (topology picture, drop chart)')
    .action(async (topology: string, opts: ReplayCliOptions) => {
      if (opts.html !== undefined) await checkOutputFile(opts.html);
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
          ...(opts.trace !== undefined ? { trace: opts.trace } : {}),
          ...(opts.trace !== undefined && !opts.json
            ? {
                onTrace: (t: PacketTrace) => {
                  const head = `trace: ${t.file}#${t.index + 1}${t.viaUnderlay ? ' (via the underlay)' : ''} at ${t.host}:${t.port}`;
                  process.stdout.write(`${head}\n${t.text.replace(/^(?=.)/gm, '  ')}\n\n`);
                },
              }
            : {}),
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
        await writeFileAtomic(join(opts.out, 'report.json'), JSON.stringify(reportJson(report), null, 2) + '\n');
        if (opts.html !== undefined) await writeHtmlReport(report, topology, opts.html);
        await writeLine(opts.json ? JSON.stringify(reportJson(report), null, 2) : reportText(report).trimEnd());
        if (report.interrupted) process.exitCode = 130;
      } finally {
        if (started) bar?.stop();
        process.off('SIGINT', onSigint);
      }
    });
}
