/**
 * One pcapng holding several interfaces, each mapped to a port
 * (`--in HOST:PORT=FILE.pcapng@#N`), replays exactly as the separate
 * captures do. The pcapng is made by Wireshark's mergecap from the shipped
 * neutron-vxlan captures (one interface per input file, in the order given),
 * not by our writer (`-I none` keeps one interface per file even when they are
 * alike).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { replay, type ReplayOptions } from '../../src/replay/replay.js';

const dir = join(packageRoot(), 'examples', 'neutron-vxlan');
const names = ['vm1', 'vm2', 'vm3', 'vm4', 'vm5'] as const;
const hostOf = { vm1: 'compute1', vm2: 'compute1', vm3: 'compute2', vm4: 'compute1', vm5: 'compute2' } as const;

function outputs(out: string): Map<string, Buffer> {
  return new Map(readdirSync(out).filter((f) => f.endsWith('.pcap')).map((f) => [f, readFileSync(join(out, f))]));
}

describe('replay of a multi-interface pcapng', () => {
  it('maps each interface to its port and writes what the separate captures give', async () => {
    const work = mkdtempSync(join(tmpdir(), 'vs-pcapng-'));
    const merged = join(work, 'all.pcapng');
    try {
      execFileSync('mergecap', ['-F', 'pcapng', '-I', 'none', '-w', merged, ...names.map((n) => join(dir, 'pcaps', `${n}.pcap`))]);
    } catch (err) {
      throw new Error(`mergecap (Wireshark) is needed for this test: ${(err as Error).message}`);
    }
    const separate: ReplayOptions['inputs'] = names.map((n) => ({ host: hostOf[n], port: n, file: join(dir, 'pcaps', `${n}.pcap`) }));
    const mapped: ReplayOptions['inputs'] = names.map((n, i) => ({ host: hostOf[n], port: n, file: merged, iface: i }));
    const a = mkdtempSync(join(tmpdir(), 'vs-pcapng-a-'));
    const b = mkdtempSync(join(tmpdir(), 'vs-pcapng-b-'));
    const ra = await replay({ topology: join(dir, 'topology.yaml'), inputs: separate, outDir: a, inProcess: true });
    const rb = await replay({ topology: join(dir, 'topology.yaml'), inputs: mapped, outDir: b, inProcess: true });
    expect(rb.packets).toEqual(ra.packets);
    expect(rb.inputs.map((x) => x.packets)).toEqual(ra.inputs.map((x) => x.packets));
    expect(rb.inputs.map((x) => x.file)).toEqual(names.map((_, i) => `${merged}@#${i}`));
    const oa = outputs(a);
    const ob = outputs(b);
    expect([...ob.keys()].sort()).toEqual([...oa.keys()].sort());
    expect(oa.size).toBeGreaterThan(5);
    for (const [f, bytes] of oa) expect(ob.get(f)?.equals(bytes), f).toBe(true);
  });
});
