/**
 * Linux-bridge hybrid plumbing (tap -> qbr -> qvb/qvo veth -> br-int): names
 * as Neutron's agent builds them (prefix + the tap's suffix, 14 characters for
 * a port id of 11), flows naming the qvo port, the hops in the trace, the tap's
 * name on captures, and what the Linux bridge does not forward (link-local
 * 01:80:c2:00:00:01-0f; 00 passes with STP off, Linux br_handle_frame).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { DatapathEngine } from '../../src/datapath/engine.js';
import { TopologyError } from '../../src/model/topology-error.js';
import { loadTopology } from '../../src/model/load-topology.js';
import { hybridNames } from '../../src/ovs/bridge.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { OvsSlowPath } from '../../src/ovs/ovs-slow-path.js';
import { traceText } from '../../src/ovs/trace-format.js';
import { extractFlow } from '../../src/ovs/flow.js';
import { buildFrame } from '../../src/packet/frame-builder.js';

const TAP1 = 'tap1a2b3c4d-5e';
const TAP2 = 'tap9f8e7d6c-5b';

function load() {
  const cfg = loadTopology(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'hybrid-host.yaml')).hosts[0];
  if (cfg.kind !== 'ovs') throw new Error('kind');
  return { cfg, host: buildOvsHost(cfg) };
}
const frame = (src: string, dst: string): Uint8Array =>
  buildFrame([{ eth: { src, dst } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17 } }, { udp: { sport: 1, dport: 2 } }], [1, 2, 3]);

describe('hybrid plumbing', () => {
  it('names the Linux bridge and veth ends as Neutron does', () => {
    expect(hybridNames(TAP1)).toEqual({ qbr: 'qbr1a2b3c4d-5e', qvb: 'qvb1a2b3c4d-5e', qvo: 'qvo1a2b3c4d-5e' });
    expect(hybridNames('vm1')).toEqual({ qbr: 'qbrvm1', qvb: 'qvbvm1', qvo: 'qvovm1' });
  });

  it('resolves flows naming the qvo port, delivers to the other tap by its name, and traces the hops', () => {
    const { host } = load();
    const br = host.bridges.get('br-int')!;
    expect(br.portByRef('qvo1a2b3c4d-5e')?.name).toBe(TAP1);
    expect(br.table(0).map((r) => r.match.get('in_port')?.value)).toContain(1n);
    host.receive(TAP2, frame('fa:16:3e:00:00:02', 'ff:ff:ff:ff:ff:ff')); // NORMAL learns tap2's MAC
    const r = host.receive(TAP1, frame('fa:16:3e:00:00:01', 'fa:16:3e:00:00:02'));
    expect(r.outputs.map((o) => o.name)).toEqual([TAP2]);
    const text = traceText(r.xlate);
    expect(text).toContain(`linux_bridge("qbr1a2b3c4d-5e")\n------------------------------\n    tap ${TAP1} -> qbr1a2b3c4d-5e -> veth qvb1a2b3c4d-5e -> qvo1a2b3c4d-5e (br-int port 1)`);
    expect(text).toContain(`-> qvo9f8e7d6c-5b -> veth qvb9f8e7d6c-5b -> Linux bridge qbr9f8e7d6c-5b -> tap ${TAP2}`);
    // the table 0 rule on qvo1a2b3c4d-5e drops a spoofed source (priority 9)
    expect(host.receive(TAP1, frame('fa:16:3e:00:00:66', 'fa:16:3e:00:00:02')).outputs).toEqual([]);
  });

  it('drops link-local frames at the Linux bridge (LLDP 01:80:c2:00:00:0e), lets 01:80:c2:00:00:00 through to NORMAL', () => {
    const { host } = load();
    const lldp = host.receive(TAP1, frame('fa:16:3e:00:00:01', '01:80:c2:00:00:0e'));
    expect(lldp.outputs).toEqual([]);
    expect(lldp.xlate.dropReason).toBe('linux_bridge_link_local');
    const stp = host.receive(TAP1, frame('fa:16:3e:00:00:01', '01:80:c2:00:00:00'));
    expect(stp.xlate.dropReason).toBe('ovs_reserved_mac');
    // a non-hybrid port has no Linux bridge: NORMAL's own rule drops LLDP
    expect(host.receive('vm3', frame('fa:16:3e:00:00:03', '01:80:c2:00:00:0e')).xlate.dropReason).toBe('ovs_reserved_mac');
  });

  it('through the datapath engine: the same outputs as the model, and the Linux bridge drop by name', async () => {
    const { cfg } = load();
    const FR: [string, Uint8Array][] = [
      [TAP2, frame('fa:16:3e:00:00:02', 'ff:ff:ff:ff:ff:ff')],
      [TAP1, frame('fa:16:3e:00:00:01', 'fa:16:3e:00:00:02')],
      ['vm3', frame('fa:16:3e:00:00:03', 'fa:16:3e:00:00:01')],
      [TAP1, frame('fa:16:3e:00:00:01', '01:80:c2:00:00:0e')],
    ];
    const ref = buildOvsHost(cfg);
    const expected = FR.flatMap(([p, f]) => ref.receive(p, f).outputs.map((o) => `${o.name}:${Buffer.from(o.frame).toString('hex')}`));
    const h = buildOvsHost(cfg);
    const engine = DatapathEngine.create({ slowPath: new OvsSlowPath(h), inProcess: true, cache: true });
    const got: string[] = [];
    try {
      for (const [p, f] of FR) {
        const b = PacketBatch.create();
        b.append(f, { inPort: h.port(p)!.dpPort });
        (await engine.process(b)).forEachOutput((dp, bytes) => got.push(`${h.portByDp(dp)?.name}:${Buffer.from(bytes).toString('hex')}`));
      }
    } finally {
      await engine.close();
    }
    expect(got).toEqual(expected);
    expect(got.length).toBe(5); // flood to tap1, vm3 and LOCAL (br-int), then tap1 -> tap2, vm3 -> tap1; LLDP: none
    const lldp = h.translate(h.port(TAP1)!, extractFlow(FR[3][1], 1), false);
    expect(lldp.dropReason).toBe('linux_bridge_link_local');
  });

  it('refuses hybrid on a port that is not a VM tap', () => {
    const { cfg } = load();
    cfg.bridges[0].ports[2] = { ...cfg.bridges[0].ports[2], type: 'internal', hybrid: true };
    expect(() => buildOvsHost(cfg)).toThrow(TopologyError);
  });
});
