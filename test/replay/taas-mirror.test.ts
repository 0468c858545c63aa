/**
 * The tap-as-a-service ingress mirror (examples/taas-mirror), replayed:
 * with the TaaS flow on `dl_vlan=1` the mirror port `tapmon` misses the
 * same-host traffic vm1 -> vm2 (access ports: no tag inside the OpenFlow
 * pipeline) and gets only the frame that came tagged from br-tun; the fixed
 * flow (dl_dst only) mirrors both. Checked by tshark.
 *
 * Expected values are derived from the flows (see the topology files) and
 * are the per-port counts real Open vSwitch 3.1 gives for the same flows
 * (test/oracle/ovs-differential.test.ts, ../shared/oracles/ovs/README.md):
 * mod_vlan_vid:3900 modifies the tag the dl_vlan=1 rule matched; without a
 * VLAN match (the fix) it pushes 3900 outside br-tun's tag 1 on the
 * tunnel-side frame, and tags the untagged same-host frames 3900.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { loadTopology } from '../../src/model/load-topology.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';
import { writeCaptures } from '../../examples/taas-mirror/generate.js';
import { requireTshark } from '../oracle/tshark.js';
import { expectSameWithoutCacheAndWithTwoPmds, expectShippedCaptures, fields, portInputs, replayFresh, summary } from './scenario-helpers.js';

const dir = join(packageRoot(), 'examples', 'taas-mirror');
const inputs = portInputs(dir, [['compute1', 'vm1'], ['compute1', 'vm2'], ['compute1', 'p1']]);
const run = (topology: string): Promise<{ out: string; report: ReplayReport }> => replayFresh(join(dir, topology), inputs);

const SYN_SAME_HOST = 'TCP 192.0.2.1 192.0.2.2 40001 → 22 [SYN] Seq=0 Win=64240 Len=0';
const SYN_TUNNEL = 'TCP 192.0.2.99 192.0.2.2 40004 → 22 [SYN] Seq=0 Win=64240 Len=0';
const UDP_SAME_HOST = 'UDP 192.0.2.1 192.0.2.2 40002 → 9 Len=32';

describe('replay: taas-mirror (TaaS ingress mirror on br-int)', () => {
  let broken: { out: string; report: ReplayReport };
  let fixed: { out: string; report: ReplayReport };
  beforeAll(async () => {
    requireTshark();
    broken = await run('topology.yaml');
    fixed = await run('topology-fixed.yaml');
  }, 60_000);

  it('ships the captures its generator makes (deterministic)', async () => {
    await expectShippedCaptures(writeCaptures, dir, ['vm1', 'vm2', 'p1']);
  });

  it('gives the same bytes without the flow cache and with two PMDs', async () => {
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology.yaml'), inputs, broken);
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology-fixed.yaml'), inputs, fixed);
  }, 60_000);

  it('replays the same topologies as examples/ovs (checked there against real OVS)', () => {
    for (const [mine, theirs] of [['topology.yaml', 'taas-mirror.yaml'], ['topology-fixed.yaml', 'taas-mirror-fixed.yaml']])
      expect(loadTopology(join(dir, mine)), mine).toEqual(loadTopology(join(packageRoot(), 'examples', 'ovs', theirs)));
  });

  it('vm2 receives all three frames in both variants', () => {
    for (const r of [broken, fixed]) expect(summary(join(r.out, 'compute1-vm2.pcap'))).toEqual([SYN_SAME_HOST, SYN_TUNNEL, UDP_SAME_HOST]);
  });

  it('dl_vlan=1: the mirror misses same-host traffic and has only the tunnel-side frame (VLAN 3900)', () => {
    expect(summary(join(broken.out, 'compute1-tapmon.pcap'))).toEqual([SYN_TUNNEL]);
    expect(fields(join(broken.out, 'compute1-tapmon.pcap'), ['vlan.id'])).toEqual(['3900']);
  });

  it('the fix (dl_dst only): the mirror has every frame to vm2, same-host ones too', () => {
    const mon = join(fixed.out, 'compute1-tapmon.pcap');
    expect(summary(mon)).toEqual([SYN_SAME_HOST, SYN_TUNNEL, UDP_SAME_HOST]);
    expect(fields(mon, ['vlan.id'])).toEqual(['3900', '3900,1', '3900']);
  });

  it('reports no drops and the mirror port counters', () => {
    for (const [r, mirrored] of [[broken, 1], [fixed, 3]] as const) {
      expect(r.report.drops).toEqual([]);
      expect(r.report.ports.find((p) => p.port === 'tapmon')?.tx).toBe(mirrored);
      expect(r.report.packets.captured).toBe(4);
    }
  });
});
