import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadTopology, validateTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';

const base = (ports: unknown[], flows?: string): unknown => ({
  hosts: [{ name: 'h', kind: 'ovs', bridges: [{ name: 'br0', ports, ...(flows ? { flows } : {}) }] }],
});

describe('topology validation', () => {
  it('names the path of the bad field', () => {
    expect(() => validateTopology(base([{ name: 'a', tag: 5000 }]))).toThrow(/^hosts\[0\]\.bridges\[0\]\.ports\[0\]\.tag: /);
    expect(() => validateTopology(base([{ name: 'a', type: 'patch' }]))).toThrow(/ports\[0\]\.peer: a patch port needs a peer/);
    expect(() => validateTopology({ hosts: [{ name: 'h', kind: 'nope', bridges: [] }] })).toThrow(/^hosts\[0\]\.kind/);
    expect(() => validateTopology(base([{ name: 'a', colour: 'red' }]))).toThrow(/ports\[0\]/);
    expect(() => validateTopology(base([{ name: 'a', type: 'patch', peer: 'zz' }]))).toThrow(/ports\[0\]\.peer: no patch port "zz"/);
    try {
      validateTopology(base([{ name: 'a', tag: -1 }]));
    } catch (e) {
      expect((e as { code: string }).code).toBe('ERR_TOPOLOGY_INVALID');
    }
  });

  it('turns a flow syntax error into a topology error with line and column', () => {
    const topo = validateTopology(base([{ name: 'a' }], 'priority=1 actions=NORMAL\npriority=2,nw_ttl=300 actions=drop'));
    const host = topo.hosts[0];
    if (host.kind !== 'ovs') throw new Error('kind');
    expect(() => buildOvsHost(host)).toThrow(/hosts\[0\]\.bridges\[0\]\.flows: line 2: .*column 12/s);
  });

  it('refuses tunnel types the OVS model does not translate, and checks egress_port_range', () => {
    const gre = validateTopology(base([{ name: 'g', type: 'tunnel', tunnel: { type: 'mplsogre', remote_ip: '198.18.0.2' } }]));
    const host = gre.hosts[0];
    if (host.kind !== 'ovs') throw new Error('kind');
    expect(() => buildOvsHost(host)).toThrow(expect.objectContaining({ code: 'ERR_TOPOLOGY_INVALID', message: expect.stringMatching(/ports\[0\]\.tunnel\.type: tunnel type mplsogre is not modelled/) }));
    const range = (r: unknown): unknown => ({ hosts: [{ name: 'h', kind: 'ovs', underlay: { egress_port_range: r }, bridges: [{ name: 'br0', ports: [] }] }] });
    expect(() => validateTopology(range([0, 5]))).toThrow(/underlay\.egress_port_range/);
    const ok = validateTopology(range([61000, 50000])).hosts[0];
    if (ok.kind !== 'ovs') throw new Error('kind');
    // as ovs-appctl tnl/egress_port_range: the bounds in either order
    expect(buildOvsHost(ok).egressPortRange).toEqual([50000, 61000]);
  });

  it('loads YAML and flows_file relative to the topology', () => {
    const d = mkdtempSync(join(tmpdir(), 'vs-topo-'));
    writeFileSync(join(d, 'br0.flows'), 'table=0,priority=5,in_port=a,actions=drop\n');
    writeFileSync(join(d, 't.yaml'), 'hosts:\n  - name: h\n    kind: ovs\n    bridges:\n      - name: br0\n        fail_mode: secure\n        flows_file: br0.flows\n        ports: [{ name: a, tag: 1 }]\n');
    const topo = loadTopology(join(d, 't.yaml'));
    if (topo.hosts[0].kind !== 'ovs') throw new Error('kind');
    const h = buildOvsHost(topo.hosts[0]);
    expect(h.bridges.get('br0')!.table(0)[0].match.get('in_port')?.value).toBe(1n);
    writeFileSync(join(d, 'bad.yaml'), 'hosts: [ {');
    expect(() => loadTopology(join(d, 'bad.yaml'))).toThrow(expect.objectContaining({ code: 'ERR_TOPOLOGY_YAML' }));
  });
});

describe('topologies with vRouter hosts', () => {
  it('the shipped two-compute vRouter example validates through the common loader', async () => {
    const { loadTopology } = await import('../../src/model/load-topology.js');
    const topo = loadTopology(new URL('../../examples/vrouter/two-computes.yaml', import.meta.url).pathname);
    expect(topo.hosts.length + (topo.vrouterController ? 1 : 0)).toBeGreaterThan(0);
  });

  it('a vRouter cross-reference error is a TopologyError naming the path', () => {
    const bad = {
      hosts: [
        {
          name: 'c1',
          kind: 'vrouter',
          vhostIp: '198.18.0.1',
          interfaces: [{ id: 0, name: 'eth0', type: 'physical', mac: '02:00:00:00:00:01', vrf: 0, mode: 'l3' }],
          routes: [{ vrf: 0, prefix: '192.0.2.0/24', nh: 99 }],
        },
      ],
    };
    expect(() => validateTopology(bad)).toThrow(expect.objectContaining({ code: 'ERR_TOPOLOGY_INVALID', message: expect.stringMatching(/hosts\[0\]\.routes\[0\]\.nh/) }));
  });
});
