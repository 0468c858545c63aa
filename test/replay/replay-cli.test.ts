/**
 * `vswitch-sim replay` as a user meets it: one clear line for a bad
 * topology, a bad --in or a missing capture; a capture with malformed
 * packets replays and counts them; an interrupted run leaves complete files;
 * report.json is written next to the port captures.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';

import { registerReplay } from '../../src/cli/replay.js';
import { packageRoot } from '../../src/datapath/native.js';
import { isUserFacingError } from '../../src/errors.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { PcapWriter } from '../../src/pcap/pcap-writer.js';
import { replay } from '../../src/replay/replay.js';
import { requireTshark } from '../oracle/tshark.js';

const dir = join(packageRoot(), 'examples', 'neutron-vxlan');
const topo = join(dir, 'topology.yaml');
const vm1 = join(dir, 'pcaps', 'vm1.pcap');

async function cli(...args: string[]): Promise<unknown> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerReplay(program);
  try {
    await program.parseAsync(['replay', ...args], { from: 'user' });
    return undefined;
  } catch (err) {
    return err;
  }
}

/** The error must be meant for the user (printed as one line without a stack by main) and name the problem. */
function expectOneLine(err: unknown, ...mentions: string[]): void {
  expect(isUserFacingError(err), String(err)).toBe(true);
  const msg = (err as Error).message;
  expect(msg).not.toContain('\n');
  for (const m of mentions) expect(msg).toContain(m);
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'vs-replay-cli-'));

describe('vswitch-sim replay: errors are one clear line', () => {
  it('names a missing topology file', async () => {
    expectOneLine(await cli('no-such-topology.yaml', '--in', `compute1:vm1=${vm1}`, '--out', tmp()), 'no-such-topology.yaml');
  });
  it('explains a malformed --in', async () => {
    expectOneLine(await cli(topo, '--in', vm1, '--out', tmp()), 'HOST:PORT=FILE');
  });
  it('names an unknown host and an unknown port', async () => {
    expectOneLine(await cli(topo, '--in', `compute9:vm1=${vm1}`, '--out', tmp()), 'no host "compute9"', 'compute1, compute2');
    expectOneLine(await cli(topo, '--in', `compute1:vm7=${vm1}`, '--out', tmp()), 'no port "vm7"');
  });
  it('names vRouter hosts (a controller section\'s compute nodes) and vifs by their vif --list names', async () => {
    const contrail = join(packageRoot(), 'examples', 'contrail-mplsoudp', 'topology.yaml');
    expectOneLine(await cli(contrail, '--in', `compute9:tap-red1=${vm1}`, '--out', tmp()), 'no host "compute9"', 'compute1, compute2');
    expectOneLine(await cli(contrail, '--in', `compute1:tap-red2=${vm1}`, '--out', tmp()), 'no vif "tap-red2"', 'vif --list');
  });
  it('names an output directory that cannot be made', async () => {
    expectOneLine(await cli(topo, '--in', `compute1:vm1=${vm1}`, '--out', join(vm1, 'sub')), '--out', 'vm1.pcap');
  });
  it('names an --html page that cannot be written, before replaying anything', async () => {
    const out = tmp();
    expectOneLine(await cli(topo, '--in', `compute1:vm1=${vm1}`, '--out', out, '--html', join(vm1, 'r.html')), 'r.html', 'not a directory');
    expect(readdirSync(out)).toEqual([]);
  });
  it('writes an --html page into directories that do not exist yet (the --out directory included)', async () => {
    const out = join(tmp(), 'new-out');
    expect(await cli(topo, '--in', `compute1:vm1=${vm1}`, '--out', out, '--html', join(out, 'pages', 'r.html'))).toBeUndefined();
    expect(readFileSync(join(out, 'pages', 'r.html'), 'utf8')).toContain('<svg');
  });
  it('names a bad --trace filter, before replaying anything', async () => {
    const out = tmp();
    expectOneLine(await cli(topo, '--in', `compute1:vm1=${vm1}`, '--out', out, '--trace', 'udp,tp_dst=99999'), '--trace', 'tp_dst=99999');
    expect(readdirSync(out)).toEqual([]);
  });
  it('names a missing capture', async () => {
    expectOneLine(await cli(topo, '--in', 'compute1:vm1=missing.pcap', '--out', tmp()), 'missing.pcap');
  });
});

describe('vswitch-sim replay: runs', () => {
  it('writes the port captures and report.json (--json prints the same report)', async () => {
    const out = tmp();
    const writes: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (writes.push(s), true)) as typeof process.stdout.write;
    let err: unknown;
    try {
      err = await cli(topo, '--in', `compute1:vm1=${vm1}`, '--in', `compute2:vm3=${join(dir, 'pcaps', 'vm3.pcap')}`, '--out', out, '--json', '--pmds', '1');
    } finally {
      process.stdout.write = orig;
    }
    expect(err).toBeUndefined();
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { packets: { captured: number }; outputs: { file: string }[] };
    expect(JSON.parse(writes.join(''))).toEqual(report);
    expect(report.packets.captured).toBe(7); // vm1.pcap 4 + vm3.pcap 3 (examples/neutron-vxlan/generate.ts)
    expect(report.outputs.map((o) => o.file)).toContain('compute2-vm3.pcap');
    for (const o of report.outputs) expect(existsSync(join(out, o.file))).toBe(true);
  }, 60_000);

  it('replays a capture with malformed packets, counting them', async () => {
    const out = tmp();
    const file = join(out, 'bad.pcap');
    const w = await PcapWriter.create(file);
    const good = buildFrame([{ eth: { src: 'fa:16:3e:00:00:01', dst: 'fa:16:3e:00:00:02' } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17 } }, { udp: { sport: 1, dport: 9 } }], [1, 2, 3, 4]);
    const badIhl = good.slice();
    badIhl[14] = 0x44; // IPv4 header length 4 words (16 bytes) < 20: malformed
    const cut = good.slice(0, 14 + 12); // the IPv4 header ends after 12 of its 20 bytes
    await w.write(good, 1700000000, 0);
    await w.write(badIhl, 1700000000, 1000);
    await w.write(cut, 1700000000, 2000);
    await w.write(good, 1700000000, 3000);
    await w.write(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 1700000000, 4000); // shorter than an Ethernet header
    await w.close();
    const report = await replay({ topology: topo, inputs: [{ host: 'compute1', port: 'vm1', file }], outDir: out, inProcess: true });
    expect(report.packets.captured).toBe(5);
    expect(report.packets.malformed).toBe(3);
    // OVS's userspace datapath forwards a frame whose IPv4 header fails its checks by its L2 fields
    // (test/oracle/ovs-differential.test.ts holds real OVS to it): the good frames and the two
    // malformed ones reach vm2 (never learned: flooded) and, through the tunnel, vm3
    expect(report.ports.find((p) => p.host === 'compute1' && p.port === 'vm2')?.tx).toBe(4);
    expect(report.ports.find((p) => p.host === 'compute2' && p.port === 'vm3')?.tx).toBe(4);
    expect(report.ports.find((p) => p.port === 'vm1')).toMatchObject({ rx: 5, drops: 1 });
    // only the frame shorter than an Ethernet header is dropped (as dpif-netdev does); the example is its index in the file
    expect(report.drops.map((d) => [d.reason, d.count, d.example])).toEqual([['truncated_ethernet', 1, { file, index: 4, host: 'compute1', port: 'vm1' }]]);
    // the PMDs' parser counts them: each packet once, whatever PMD its hash picks
    const two = await replay({ topology: topo, inputs: [{ host: 'compute1', port: 'vm1', file }], outDir: join(out, 'two'), inProcess: true, pmds: 2 });
    expect(two.packets).toEqual(report.packets);
  }, 60_000);

  it('an interrupted run leaves complete, readable captures and says so', async () => {
    requireTshark();
    const out = tmp();
    const ac = new AbortController();
    const report = await replay({
      topology: topo,
      inputs: [
        { host: 'compute1', port: 'vm1', file: vm1 },
        { host: 'compute2', port: 'vm3', file: join(dir, 'pcaps', 'vm3.pcap') },
      ],
      outDir: out,
      batchSize: 1,
      inProcess: true,
      signal: ac.signal,
      onProgress: ({ packets }) => {
        if (packets === 3) ac.abort();
      },
    });
    expect(report.interrupted).toBe(true);
    expect(report.packets.captured).toBe(3);
    const files = readdirSync(out);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const f of files.filter((x) => x.endsWith('.pcap'))) {
      const n = execFileSync('tshark', ['-r', join(out, f), '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(n.trim().split('\n').length, f).toBe(report.outputs.find((o) => o.file === f)?.packets);
    }
  }, 60_000);
});
