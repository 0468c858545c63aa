/**
 * `replay --trace FILTER`: the selected packets are traced at every host
 * they cross, with the host's state at that moment of the run, and tracing
 * changes no output byte.
 *
 * Expectations: the first packet of the neutron-vxlan run is vm3.pcap#1 (the
 * earliest timestamp of the five captures), an ARP broadcast that compute2
 * floods into the VXLAN tunnel; compute1 receives it on p0. Both hosts have
 * seen nothing before it, so its traces are those of freshly built hosts
 * (src/replay/packet-trace.ts, itself checked against `vswitch-sim trace`
 * and real OVS's ofproto/trace elsewhere). Which frames are ARP is tshark's
 * verdict, not ours.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { loadTopology } from '../../src/model/load-topology.js';
import type { OvsHostConfig } from '../../src/model/topology-schema.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { openCapture } from '../../src/pcap/index.js';
import { traceText } from '../../src/replay/packet-trace.js';
import { replay, type ReplayOptions } from '../../src/replay/replay.js';
import { requireTshark } from '../oracle/tshark.js';
import { run as runContrail, scenario } from './contrail-scenario.js';

const dir = join(packageRoot(), 'examples', 'neutron-vxlan');
const topology = join(dir, 'topology.yaml');
const hostOf = { vm1: 'compute1', vm2: 'compute1', vm3: 'compute2', vm4: 'compute1', vm5: 'compute2' } as const;
const inputs: ReplayOptions['inputs'] = (Object.keys(hostOf) as (keyof typeof hostOf)[]).map((n) => ({ host: hostOf[n], port: n, file: join(dir, 'pcaps', `${n}.pcap`) }));

async function frameOf(file: string, n: number): Promise<Uint8Array> {
  const r = await openCapture(file);
  let k = 0;
  for await (const rec of r.records()) {
    if (++k < n) continue;
    const data = rec.data.slice();
    await r.close();
    return data;
  }
  throw new Error(`${file} has no frame ${n}`);
}

function freshHost(name: string) {
  const topo = loadTopology(topology);
  const i = topo.hosts.findIndex((h) => h.name === name);
  return buildOvsHost(topo.hosts[i] as OvsHostConfig, `hosts[${i}]`);
}

function pcaps(out: string): Map<string, Buffer> {
  return new Map(readdirSync(out).filter((f) => f.endsWith('.pcap')).map((f) => [f, readFileSync(join(out, f))]));
}

describe('replay --trace', () => {
  it('traces a packet at its input port and, after the underlay, at the next host', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vs-trace-'));
    const seen: string[] = [];
    const report = await replay({ topology, inputs, outDir: out, inProcess: true, trace: 'vm3.pcap#1', onTrace: (t) => seen.push(`${t.host}:${t.port}`) });
    const traces = report.traces ?? [];
    expect(traces.map((t) => [t.host, t.port, t.index, t.viaUnderlay === true])).toEqual([
      ['compute2', 'vm3', 0, false],
      ['compute1', 'p0', 0, true],
    ]);
    expect(seen).toEqual(['compute2:vm3', 'compute1:p0']);
    expect(report.tracesOmitted).toBe(0);
    const arp = await frameOf(join(dir, 'pcaps', 'vm3.pcap'), 1);
    expect(traces[0].text).toBe(traceText(freshHost('compute2'), 'vm3', arp, { followTunnels: true }));
    // what compute1 received on p0 is what compute2 sent on its p0 (the underlay carries it unchanged)
    const vxlan = await frameOf(join(out, 'compute2-p0.pcap'), 1);
    expect(traces[1].text).toBe(traceText(freshHost('compute1'), 'p0', vxlan, { followTunnels: true }));
    expect(traces[1].text).toContain('tnl_pop');
  });

  it('selects by flow match: every ARP frame of every input, as tshark counts them; outputs unchanged', async () => {
    requireTshark();
    let arpFrames = 0;
    for (const i of inputs) arpFrames += execFileSync('tshark', ['-r', i.file, '-Y', 'arp', '-T', 'fields', '-e', 'frame.number']).toString().trim().split('\n').filter(Boolean).length;
    expect(arpFrames).toBeGreaterThan(0);
    const a = mkdtempSync(join(tmpdir(), 'vs-trace-a-'));
    const b = mkdtempSync(join(tmpdir(), 'vs-trace-b-'));
    const traced = await replay({ topology, inputs, outDir: a, inProcess: true, trace: 'arp' });
    const plain = await replay({ topology, inputs, outDir: b, inProcess: true });
    expect((traced.traces ?? []).filter((t) => !t.viaUnderlay)).toHaveLength(arpFrames);
    expect(plain.traces).toBeUndefined();
    const pa = pcaps(a);
    const pb = pcaps(b);
    expect([...pa.keys()].sort()).toEqual([...pb.keys()].sort());
    for (const [f, bytes] of pb) expect(pa.get(f)?.equals(bytes), f).toBe(true);
    expect(traced.drops).toEqual(plain.drops);
  });

  it('traces at vRouter hosts with their forwarding decisions', async () => {
    const s = scenario('contrail-mplsoudp', [['red1', 'compute1', 'tap-red1']]);
    const { report } = await runContrail(s, { inProcess: true, trace: '#1' });
    const t = report.traces ?? [];
    expect(t.length).toBeGreaterThan(0);
    expect(t[0]).toMatchObject({ host: 'compute1', port: 'tap-red1', index: 0 });
    expect(t[0].text).toMatch(/^vif0\/\d+ \(tap-red1\) rx/);
  });

  it('rejects a bad filter in one line before replaying anything', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vs-trace-bad-'));
    await expect(replay({ topology, inputs, outDir: out, inProcess: true, trace: 'tcp,nw_dst=300.1.1.1' })).rejects.toMatchObject({ code: 'ERR_USAGE_TRACE_FILTER' });
    expect(readdirSync(out)).toEqual([]);
  });
});
