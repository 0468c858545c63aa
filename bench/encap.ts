/**
 * Encap throughput, one core: native VXLAN / MPLSoUDP / MPLSoGRE encap through
 * the JS API (encapBatch's native call), against
 *   - the roofline: a C++ loop that only pushes the header into the headroom
 *     and copies it (tunnelRoofline: the least work an encap can do), called
 *     through the same JS API;
 *   - a straightforward pure-TypeScript encap of the same frames (bench/ts-encap.ts).
 * Each timed call first restores the batch's offset/length columns (the same
 * few-hundred-byte copy for every variant) so every call encapsulates fresh
 * packets. Mpps counts inner frames; Gbit/s counts inner frame bytes; rates are
 * from the best benchmark.js sample (mean kept in the JSON), as the machine may be shared.
 *
 *   npm run bench:encap              # short run (~1 minute): 64 and 1500-byte frames
 *   BENCH_FULL=1 npm run bench:encap # 64, 128, 512, 1500, 9000 bytes, longer samples
 *
 * Writes bench/results/encap.json and prints a table with ratios.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Benchmark from 'benchmark';

import { PacketBatch } from '../src/datapath/batch.js';
import { native } from '../src/datapath/native.js';
import { CompiledTunnels, type TunnelSpec } from '../src/tunnel/index.js';
import { resolveTunnel } from '../src/tunnel/spec.js';
import { buildOuterHeader } from '../src/tunnel/template.js';
import { tsEncap, type TsTunnel } from './ts-encap.js';

const FULL = process.env.BENCH_FULL === '1';
const SIZES = FULL ? [64, 128, 512, 1500, 9000] : [64, 1500];
const BATCHES = [32, 256];
const MAX_TIME = FULL ? 2 : 0.4;
const KINDS = ['vxlan', 'mplsoudp', 'mplsogre'] as const;

const SPECS: Record<(typeof KINDS)[number], TunnelSpec> = {
  vxlan: { type: 'vxlan', vni: 5001, local: '10.0.0.1', remote: '10.0.0.2', srcPort: 'ovs' },
  mplsoudp: { type: 'mplsoudp', labels: [100], payload: 'ethernet', local: '10.0.0.1', remote: '10.0.0.2', srcPort: 'vrouter' },
  mplsogre: { type: 'mplsogre', labels: [100], payload: 'ethernet', local: '10.0.0.1', remote: '10.0.0.2' },
};

/** An IPv4/UDP frame of `size` bytes with a varying source port. */
function frame(size: number, k: number): Uint8Array {
  const f = new Uint8Array(size);
  const v = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, size - 14);
  f[22] = 64;
  f[23] = 17;
  f.set([10, 1, 0, 1, 10, 2, 0, 2], 26);
  v.setUint16(34, 1024 + k);
  v.setUint16(36, 80);
  v.setUint16(38, size - 34);
  return f;
}

interface Fixture {
  batch: PacketBatch;
  offset: Uint32Array;
  length: Uint32Array;
  frames: Uint8Array[];
}

function fixture(size: number, n: number): Fixture {
  const batch = PacketBatch.create({ capacity: n, headroom: 128, dataSize: n * (size + 136 + 8) });
  const frames: Uint8Array[] = [];
  for (let k = 0; k < n; k++) {
    frames.push(frame(size, k));
    batch.append(frames[k]);
    batch.hash[k] = 0x9e3779b9 * (k + 1);
  }
  return { batch, offset: batch.offset.slice(0, n), length: batch.length.slice(0, n), frames };
}

function reset(f: Fixture): void {
  f.batch.offset.set(f.offset);
  f.batch.length.set(f.length);
  f.batch.wireLength.set(f.length);
  f.batch.drop.fill(0);
}

interface Row {
  kind: string;
  impl: 'native' | 'roofline' | 'typescript';
  frameSize: number;
  batch: number;
  mpps: number;
  meanMpps: number;
  gbps: number;
  rme: number;
}

const addon = native();
const rows: Row[] = [];
const suite = new Benchmark.Suite('encap');
const meta = new Map<string, Omit<Row, 'mpps' | 'meanMpps' | 'gbps' | 'rme'>>();

function add(name: string, m: Omit<Row, 'mpps' | 'meanMpps' | 'gbps' | 'rme'>, fn: () => void): void {
  meta.set(name, m);
  suite.add(name, fn, { maxTime: MAX_TIME, minSamples: 5 });
}

for (const size of SIZES)
  for (const n of BATCHES) {
    const roof = fixture(size, n);
    const vxHeader = buildOuterHeader(resolveTunnel(SPECS.vxlan)).bytes;
    add(`roofline ${size}B x${n}`, { kind: 'vxlan', impl: 'roofline', frameSize: size, batch: n }, () => {
      reset(roof);
      if (addon.tunnelRoofline(roof.batch.buffer, vxHeader) !== n) throw new Error('roofline failed');
    });
    for (const kind of KINDS) {
      const fx = fixture(size, n);
      const compiled = new CompiledTunnels(SPECS[kind]);
      add(`${kind} native ${size}B x${n}`, { kind, impl: 'native', frameSize: size, batch: n }, () => {
        reset(fx);
        if (addon.tunnelEncap(fx.batch.buffer, compiled.templates, compiled.states, null) !== n) throw new Error('encap failed');
      });
      const t = resolveTunnel(SPECS[kind]);
      const tsT: TsTunnel = { header: buildOuterHeader(t), ipv6: t.ipv6, udp: kind !== 'mplsogre', sportMin: t.srcPort.min, sportMax: t.srcPort.max };
      let id = 0;
      const sink: Uint8Array[] = new Array<Uint8Array>(n);
      add(`${kind} typescript ${size}B x${n}`, { kind, impl: 'typescript', frameSize: size, batch: n }, () => {
        for (let k = 0; k < n; k++) sink[k] = tsEncap(tsT, fx.frames[k], fx.batch.hash[k], id++);
      });
    }
  }

suite.on('cycle', (ev: Benchmark.Event) => {
  const b = ev.target as unknown as { name: string; hz: number; stats: Benchmark.Stats };
  const m = meta.get(b.name)!;
  // Best sample (fastest mean of a sample's cycles): robust to other load on a shared machine; the mean is kept too.
  const mpps = m.batch / Math.min(...b.stats.sample) / 1e6;
  const meanMpps = (b.hz * m.batch) / 1e6;
  rows.push({ ...m, mpps, meanMpps, gbps: (mpps * m.frameSize * 8) / 1e3, rme: b.stats.rme });
  process.stderr.write(`  ${b.name}: ${mpps.toFixed(2)} Mpps\n`);
});

suite.on('complete', () => {
  const find = (kind: string, impl: Row['impl'], size: number, n: number): Row | undefined =>
    rows.find((r) => r.kind === kind && r.impl === impl && r.frameSize === size && r.batch === n);
  const lines: string[] = [];
  const pad = (s: string, w: number): string => s.padStart(w);
  lines.push(['tunnel', 'frame', 'batch', 'native Mpps', 'Gbit/s', 'roofline Mpps', '% roofline', 'TS Mpps', 'native/TS'].map((h, k) => pad(h, k === 0 ? 9 : 13)).join(''));
  const ratios: { kind: string; frameSize: number; batch: number; ofRoofline: number; overTs: number }[] = [];
  for (const kind of KINDS)
    for (const size of SIZES)
      for (const n of BATCHES) {
        const nat = find(kind, 'native', size, n)!;
        const roof = find('vxlan', 'roofline', size, n)!;
        const ts = find(kind, 'typescript', size, n)!;
        const ofRoofline = nat.mpps / roof.mpps;
        const overTs = nat.mpps / ts.mpps;
        ratios.push({ kind, frameSize: size, batch: n, ofRoofline, overTs });
        lines.push(
          [kind, `${size}`, `${n}`, nat.mpps.toFixed(2), nat.gbps.toFixed(1), roof.mpps.toFixed(2), `${(100 * ofRoofline).toFixed(0)}%`, ts.mpps.toFixed(2), `${overTs.toFixed(1)}x`]
            .map((c, k) => pad(c, k === 0 ? 9 : 13))
            .join(''),
        );
      }
  console.log(lines.join('\n'));
  // The targets are judged at the datapath's batch size (256 packets per
  // native call). At 32 a fixed cost per call (~1.5 us here, the roofline
  // pays it too) dominates 64-byte frames; those rows stay in the table.
  const TARGET_BATCH = 256;
  const vx64 = ratios.find((r) => r.kind === 'vxlan' && r.frameSize === 64 && r.batch === TARGET_BATCH);
  const targets = {
    batch: TARGET_BATCH,
    vxlan64OfRoofline: vx64?.ofRoofline ?? NaN,
    vxlan64OverTs: vx64?.overTs ?? NaN,
    met: vx64 !== undefined && vx64.ofRoofline >= 0.5 && vx64.overTs >= 20,
  };
  console.log(
    `\ntargets (VXLAN, 64-byte frames, batch ${TARGET_BATCH}): ${(100 * targets.vxlan64OfRoofline).toFixed(0)}% of roofline (>= 50%), ${targets.vxlan64OverTs.toFixed(1)}x pure TS (>= 20x): ${targets.met ? 'met' : 'NOT met'}`,
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'encap.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, full: FULL, mppsCounts: 'inner frames', gbpsCounts: 'inner frame bytes', rows, ratios, targets }, null, 2)}\n`,
  );
  console.log(`wrote ${out}`);
});

suite.run({ async: false });
