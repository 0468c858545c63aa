/**
 * replay --trace's per-host trace (src/replay/packet-trace.ts) is the text
 * `vswitch-sim trace` prints for the same frame, and follows a frame across
 * the underlay to the next host.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import type { OvsHost } from '../../src/ovs/ovs-host.js';
import { resolvePacketSpec } from '../../src/ovs/packet-spec.js';
import { traceJsonOf, traceText } from '../../src/replay/packet-trace.js';
import { traceCli as cli } from '../cli/run-cli.js';

const EX = join(import.meta.dirname, '..', '..', 'examples', 'neutron-vxlan');
const TOPO = join(EX, 'topology.yaml');

function host(name: string): OvsHost {
  const cfg = loadTopology(TOPO).hosts.find((h) => h.name === name);
  if (!cfg || cfg.kind !== 'ovs') throw new Error(`no ovs host ${name}`);
  return buildOvsHost(cfg);
}

async function frame(spec: string): Promise<Uint8Array> {
  const s = await resolvePacketSpec(spec);
  if (s.kind !== 'frame') throw new Error('expected a frame');
  return s.bytes;
}

describe('replay per-packet trace (OVS hosts)', () => {
  for (const n of [1, 2, 4]) {
    it(`vm1.pcap#${n} at compute1:vm1 prints what vswitch-sim trace prints`, async () => {
      const spec = `${join(EX, 'pcaps', 'vm1.pcap')}#${n}`;
      const printed = await cli([TOPO, '--in', 'compute1:vm1', '--packet', spec]);
      expect(traceText(host('compute1'), 'vm1', await frame(spec)) + '\n').toBe(printed);
    });
  }

  it('follows the frame across the underlay: the VXLAN frame compute1 sends is traced at compute2:p0 as the CLI traces its bytes', async () => {
    const h1 = host('compute1');
    const f = await frame(`${join(EX, 'pcaps', 'vm1.pcap')}#2`); // ICMP echo to vm3 on compute2
    const out = h1.receive('vm1', f).outputs.filter((o) => o.name === 'p0');
    expect(out.length).toBe(1);
    const hex = Buffer.from(out[0].frame).toString('hex');
    const printed = await cli([TOPO, '--in', 'compute2:p0', '--packet', hex]);
    const h2 = host('compute2');
    const text = traceText(h2, 'p0', out[0].frame);
    expect(text + '\n').toBe(printed);
    // br-phys, then the pop: as ofproto/trace the trace stops at tnl_pop ...
    expect(text).toMatch(/Datapath actions: tnl_pop\(4789\)$/);
    // ... unless asked to follow the inner packet through br-tun and br-int (OVS's recirculation)
    const inner = traceJsonOf(h2, 'p0', out[0].frame, { followTunnels: true });
    const bridges = inner.events.filter((e) => e.kind === 'bridge').map((e) => (e as { bridge: string }).bridge);
    expect(bridges).toEqual(['br-phys', 'br-tun', 'br-int']);
    expect(inner.datapathActions).toMatch(/^tnl_pop\(4789\),/);
  });

  it('uses the host as it is: a trace after MAC learning says so, and never learns itself', async () => {
    const h1 = host('compute1');
    const f = await frame(`${join(EX, 'pcaps', 'vm1.pcap')}#3`); // UDP to vm2 (same host)
    const before = traceText(h1, 'vm1', f);
    expect(traceText(h1, 'vm1', f)).toBe(before); // no side effects
    h1.receive('vm2', await frame(`${join(EX, 'pcaps', 'vm2.pcap')}#1`)); // vm2 speaks: NORMAL learns its MAC
    const after = traceText(h1, 'vm1', f);
    expect(before).toContain('no learned MAC for destination, flooding');
    expect(after).toContain('forwarding to learned port');
  });

  it('names a port the host does not have', () => {
    expect(() => traceText(host('compute1'), 'vm9', new Uint8Array(60))).toThrow(/compute1 has no port "vm9"/);
  });
});
