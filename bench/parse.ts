/**
 * Parse + checksum-verify throughput, one core: the native parser through the
 * JS API on a 256-packet batch, next to a straightforward pure-TypeScript
 * parser of the same fields (bench/ts-parser.ts) measured in the same run.
 *
 *   native parse         Parser.parse: layer offsets, flags, flow keys (the datapath's per-packet work)
 *   native parse+verify  the same with verifyChecksums: IPv4 header and TCP/UDP checksums verified into flags
 *   ts parse+verify      tsParse on each frame: offsets, addresses, ports, IPv4 + L4 checksums
 *
 * Mpps counts frames, Gbit/s frame bytes; rates are from the best
 * benchmark.js sample (the mean is kept in the JSON), as the machine may be
 * shared. Target: native parse+verify >= 10x the TypeScript parser on 64-byte frames.
 *
 *   npm run bench:parse               # short run
 *   BENCH_FULL=1 npm run bench:parse  # longer samples
 *
 * Writes bench/results/parse.json and prints a table with ratios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Benchmark from 'benchmark';

import { PacketBatch } from '../src/datapath/batch.js';
import { native } from '../src/datapath/native.js';
import { TCP, buildFrame } from '../src/packet/frame-builder.js';
import { tsParse } from './ts-parser.js';

const FULL = process.env.BENCH_FULL === '1';
const MAX_TIME = FULL ? 3 : 0.5;
const BATCH = 256;
const ETHERNET = 1;

/** Ethernet/IPv4/UDP (64 bytes) or Ethernet/IPv4/TCP (1500 bytes) with valid checksums, flow k. */
function frame(size: 64 | 1500, k: number): Uint8Array {
  const eth = { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } };
  const ip = { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', id: k } };
  return size === 64
    ? buildFrame([eth, ip, { udp: { sport: 1024 + k, dport: 53 } }], new Uint8Array(64 - 42))
    : buildFrame([eth, ip, { tcp: { sport: 1024 + k, dport: 80, flags: TCP.ACK } }], new Uint8Array(1500 - 54).fill(k & 0xff));
}

interface Row {
  size: number;
  variant: string;
  mpps: number;
  gbps: number;
  meanMpps: number;
}

function best(b: Benchmark): number {
  const s = b.stats.sample;
  return s.length ? 1 / Math.min(...s) : b.hz;
}

function run(): Row[] {
  const parser = new (native().Parser)();
  const verifier = new (native().Parser)({ verifyChecksums: true });
  const rows: Row[] = [];
  for (const size of [64, 1500] as const) {
    const frames = Array.from({ length: BATCH }, (_, k) => frame(size, k));
    const batch = PacketBatch.create({ capacity: BATCH, dataSize: BATCH * (size + 192) });
    for (const f of frames) batch.append(f);
    let sink = 0;
    const suite = new Benchmark.Suite();
    suite
      .add('native parse', () => parser.parse(batch.buffer, ETHERNET), { maxTime: MAX_TIME })
      .add('native parse+verify', () => verifier.parse(batch.buffer, ETHERNET), { maxTime: MAX_TIME })
      .add('ts parse+verify', () => {
        for (let i = 0; i < frames.length; i++) {
          const p = tsParse(frames[i]);
          if (p && p.ipCsumOk && p.l4CsumOk) sink++;
        }
      }, { maxTime: MAX_TIME })
      .run();
    suite.forEach((b: Benchmark) => {
      const mpps = (best(b) * BATCH) / 1e6;
      rows.push({ size, variant: b.name ?? '', mpps, gbps: (mpps * size * 8) / 1e3, meanMpps: (b.hz * BATCH) / 1e6 });
    });
    if (sink < 0) console.log(sink);
  }
  return rows;
}

const rows = run();
const ts = (size: number): number => rows.find((r) => r.size === size && r.variant === 'ts parse+verify')?.mpps ?? NaN;
console.log(`parse throughput, one core (${cpus()[0]?.model ?? 'unknown CPU'}), batch ${BATCH}`);
console.log('size  variant               Mpps    Gbit/s  vs TS');
for (const r of rows)
  console.log(
    `${String(r.size).padStart(4)}  ${r.variant.padEnd(20)} ${r.mpps.toFixed(2).padStart(7)} ${r.gbps.toFixed(2).padStart(8)}  ${(r.mpps / ts(r.size)).toFixed(1).padStart(5)}x`,
  );
const verify64 = rows.find((r) => r.size === 64 && r.variant === 'native parse+verify')?.mpps ?? 0;
const ratio = verify64 / ts(64);
console.log(`target: native parse+verify >= 10x TS on 64-byte frames: ${ratio.toFixed(1)}x ${ratio >= 10 ? 'met' : 'NOT met'}`);
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'parse.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0]?.model, batch: BATCH, rows, ratio64: ratio }, null, 2) + '\n');
