/**
 * The topology pictures: the DOT of the shipped scenarios holds every host,
 * bridge, port, VM, patch pair, tunnel and underlay link the YAML describes,
 * read back through Graphviz itself (so quoting and escaping are checked by
 * the real parser). Expected values are listed by hand from the YAML files
 * and the numbering rules of the host models (comments say how).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { topologyDot } from '../../src/topo/dot.js';
import { renderSvg } from '../../src/topo/svg.js';
import { loadTopologyGraph, tunnelIdsInFlows } from '../../src/topo/topology-graph.js';
import { readWithGraphviz, type GvGraph } from './graphviz-reader.js';
import { readSvgWithPython } from './svg-oracle.js';

const root = packageRoot();
const neutron = join(root, 'examples', 'neutron-vxlan', 'topology.yaml');
const vrouter = join(root, 'examples', 'vrouter', 'two-computes.yaml');

/** The node whose drawn label starts with `title` inside the cluster chain ending with `cluster`. */
function nodeIn(g: GvGraph, cluster: string, title: string): { name: string; lines: string[]; attrs: Record<string, string> } {
  const found = [...g.nodes.values()].filter((n) => n.lines[0] === title && n.clusters.at(-1) === cluster);
  expect(found.length, `one node "${title}" directly in ${cluster}`).toBe(1);
  return found[0];
}

function edgesBetween(g: GvGraph, a: string, b: string): GvGraph['edges'] {
  return g.edges.filter((e) => (e.tail === a && e.head === b) || (e.tail === b && e.head === a));
}

describe('topo: examples/neutron-vxlan/topology.yaml', async () => {
  const dot = topologyDot(loadTopologyGraph(neutron));
  const g = await readWithGraphviz(dot);

  it('has one cluster per host and one per bridge inside it', () => {
    for (const host of ['compute1', 'compute2']) {
      const h = g.clusters.get(`cluster:${host}`);
      expect(h?.lines[0]).toBe(host);
      expect(h?.parents).toEqual([]);
      // underlay: 198.18.0.<n>/24, mtu 1500 (YAML)
      expect(h?.lines[1]).toBe(`ovs · underlay 198.18.0.${host.at(-1)}/24 · mtu 1500`);
      for (const br of ['br-phys', 'br-int', 'br-tun']) {
        const c = g.clusters.get(`cluster:${host}/${br}`);
        expect(c?.lines[0]).toBe(br);
        expect(c?.parents).toEqual([`cluster:${host}`]);
      }
    }
    expect([...g.clusters.keys()].filter((k) => !k.includes('/'))).toEqual(['cluster:compute1', 'cluster:compute2']);
  });

  it('lists every port with its type, ofport, datapath port and VLAN', () => {
    // Datapath ports, per build-host.ts: bridges in file order, each bridge's LOCAL first, then its ports; patch ports get none.
    // compute1: br-phys LOCAL 1, p0 2; br-int LOCAL 3, vm1 4, vm2 5, vm4 6; br-tun LOCAL 7, vxlan 8.
    const c1 = 'cluster:compute1';
    expect(nodeIn(g, `${c1}/br-int`, 'vm1').lines.slice(1)).toEqual(['tap', 'ofport 1 · dp 4', 'tag 1']);
    expect(nodeIn(g, `${c1}/br-int`, 'vm2').lines.slice(1)).toEqual(['tap', 'ofport 2 · dp 5', 'tag 1']);
    expect(nodeIn(g, `${c1}/br-int`, 'vm4').lines.slice(1)).toEqual(['tap', 'ofport 4 · dp 6', 'tag 2']);
    expect(nodeIn(g, `${c1}/br-int`, 'patch-tun').lines.slice(1)).toEqual(['patch → patch-int', 'ofport 3']);
    expect(nodeIn(g, `${c1}/br-tun`, 'patch-int').lines.slice(1)).toEqual(['patch → patch-tun', 'ofport 1']);
    // VNIs: br-tun flows match tun_id=0x64 (100) and 0xc8 (200) and set the same
    expect(nodeIn(g, `${c1}/br-tun`, 'vxlan-c6120002').lines.slice(1)).toEqual(['vxlan → 198.18.0.2', 'key flow · VNIs 100, 200 in flows', 'dst_port 4789', 'ofport 2 · dp 8']);
    expect(nodeIn(g, `${c1}/br-phys`, 'p0').lines.slice(1)).toEqual(['system · underlay NIC', 'ofport 1 · dp 2', 'mtu 1500']);
    // the underlay address and MAC live on br-phys's LOCAL port (underlay.bridge)
    expect(nodeIn(g, `${c1}/br-phys`, 'br-phys').lines.slice(1)).toEqual(['internal · LOCAL · dp 1', '198.18.0.1/24', '02:00:c6:12:00:01']);
    // compute2: br-phys LOCAL 1, p0 2; br-int LOCAL 3, vm3 4, vm5 5; br-tun LOCAL 6, vxlan 7
    const c2 = 'cluster:compute2';
    expect(nodeIn(g, `${c2}/br-int`, 'vm3').lines.slice(1)).toEqual(['tap', 'ofport 1 · dp 4', 'tag 1']);
    expect(nodeIn(g, `${c2}/br-int`, 'vm5').lines.slice(1)).toEqual(['tap', 'ofport 2 · dp 5', 'tag 2']);
    expect(nodeIn(g, `${c2}/br-int`, 'patch-tun').lines.slice(1)).toEqual(['patch → patch-int', 'ofport 3']);
    expect(nodeIn(g, `${c2}/br-tun`, 'vxlan-c6120001').lines.slice(1)).toEqual(['vxlan → 198.18.0.1', 'key flow · VNIs 100, 200 in flows', 'dst_port 4789', 'ofport 2 · dp 7']);
    expect(nodeIn(g, `${c2}/br-phys`, 'br-phys').lines.slice(1)).toEqual(['internal · LOCAL · dp 1', '198.18.0.2/24', '02:00:c6:12:00:02']);
    expect(nodeIn(g, `${c2}/br-int`, 'br-int').lines.slice(1)).toEqual(['internal · LOCAL · dp 3']);
    expect(nodeIn(g, `${c2}/br-tun`, 'br-tun').lines.slice(1)).toEqual(['internal · LOCAL · dp 6']);
    // nothing else: the YAML's ports (4 + 2 + 1 on compute1, 3 + 2 + 1 on compute2) and each bridge's LOCAL port
    const count = (host: string): number => [...g.nodes.values()].filter((n) => n.clusters.at(-1)?.startsWith(`cluster:${host}/`)).length;
    expect(count('compute1')).toBe(4 + 2 + 1 + 3);
    expect(count('compute2')).toBe(3 + 2 + 1 + 3);
  });

  it('draws each VM as a node attached to its tap port, with its MAC and IP', () => {
    const vms: [string, string, string, string][] = [
      ['compute1', 'vm1', 'fa:16:3e:00:00:01', '192.0.2.1/24'],
      ['compute1', 'vm2', 'fa:16:3e:00:00:02', '192.0.2.2/24'],
      ['compute1', 'vm4', 'fa:16:3e:00:00:04', '198.51.100.4/24'],
      ['compute2', 'vm3', 'fa:16:3e:00:00:03', '192.0.2.3/24'],
      ['compute2', 'vm5', 'fa:16:3e:00:00:05', '198.51.100.5/24'],
    ];
    for (const [host, port, mac, ip] of vms) {
      const vm = nodeIn(g, `cluster:${host}`, `VM (${port})`);
      expect(vm.lines.slice(1)).toEqual([mac, ip]);
      const tap = nodeIn(g, `cluster:${host}/br-int`, port);
      expect(edgesBetween(g, vm.name, tap.name)).toHaveLength(1);
    }
    expect([...g.nodes.values()].filter((n) => n.lines[0].startsWith('VM'))).toHaveLength(5);
  });

  it('joins each patch pair with one dashed edge', () => {
    for (const host of ['compute1', 'compute2']) {
      const a = nodeIn(g, `cluster:${host}/br-int`, 'patch-tun');
      const b = nodeIn(g, `cluster:${host}/br-tun`, 'patch-int');
      const e = edgesBetween(g, a.name, b.name);
      expect(e).toHaveLength(1);
      expect(e[0].attrs.style).toBe('dashed');
    }
    expect(g.edges.filter((e) => e.attrs.style === 'dashed')).toHaveLength(2);
  });

  it('draws the tunnel between the hosts with its type and VNIs, and each NIC on the underlay', () => {
    const t1 = nodeIn(g, 'cluster:compute1/br-tun', 'vxlan-c6120002');
    const t2 = nodeIn(g, 'cluster:compute2/br-tun', 'vxlan-c6120001');
    const tun = edgesBetween(g, t1.name, t2.name);
    expect(tun).toHaveLength(1);
    expect(tun[0].lines).toEqual(['vxlan', 'VNIs 100, 200']);
    expect(tun[0].attrs.dir).toBe('both');
    const fabric = [...g.nodes.values()].filter((n) => n.lines[0] === 'underlay');
    expect(fabric).toHaveLength(1);
    expect(fabric[0].clusters).toEqual([]);
    expect(fabric[0].lines.slice(1)).toEqual(['198.18.0.0/24']);
    for (const [host, ip] of [['compute1', '198.18.0.1'], ['compute2', '198.18.0.2']]) {
      const p0 = nodeIn(g, `cluster:${host}/br-phys`, 'p0');
      const e = edgesBetween(g, p0.name, fabric[0].name);
      expect(e).toHaveLength(1);
      expect(e[0].lines).toEqual([ip, 'mtu 1500']);
    }
  });

  it('is deterministic', () => {
    expect(topologyDot(loadTopologyGraph(neutron))).toBe(dot);
  });
});

describe('topo: examples/vrouter/two-computes.yaml', async () => {
  const g = await readWithGraphviz(topologyDot(loadTopologyGraph(vrouter)));

  it('has one cluster per compute node with its VRFs', () => {
    // controller.ts: VRF k+1 for the k-th network, named default-domain:admin:NET:NET
    for (const [host, ip] of [['compute1', '192.0.2.11'], ['compute2', '192.0.2.12']]) {
      expect(g.clusters.get(`cluster:${host}`)?.lines).toEqual([host, `vrouter · vhost0 ${ip}`]);
      expect(g.clusters.get(`cluster:${host}/vrf0`)?.lines).toEqual(['VRF 0 (fabric)']);
      expect(g.clusters.get(`cluster:${host}/vrf1`)?.lines).toEqual(['VRF 1', 'default-domain:admin:vn-red:vn-red']);
      expect(g.clusters.get(`cluster:${host}/vrf2`)?.lines).toEqual(['VRF 2', 'default-domain:admin:vn-blue:vn-blue']);
    }
  });

  it('lists the vifs with name, type, mode and VRF: physical, vhost0, pkt0, then the VMs from vif0/3', () => {
    // controller.ts: vif0/0 eth0 (physical, L3), vif0/1 vhost0, vif0/2 pkt0, VMs from vif0/3 in the order of `vms`;
    // networks are L2+L3 by default; fabric mtu 1500
    const vms: Record<string, [string, string, string, string][]> = {
      compute1: [['vif0/3 tap-red1', '1', '02:00:00:00:01:03', '10.1.1.3'], ['vif0/4 tap-blue1', '2', '02:00:00:00:02:03', '10.2.2.3']],
      compute2: [['vif0/3 tap-red2', '1', '02:00:00:00:01:04', '10.1.1.4'], ['vif0/4 tap-blue2', '2', '02:00:00:00:02:04', '10.2.2.4']],
    };
    for (const [host, ip, mac] of [['compute1', '192.0.2.11', '02:fa:00:00:00:11'], ['compute2', '192.0.2.12', '02:fa:00:00:00:12']]) {
      const c = `cluster:${host}`;
      expect(nodeIn(g, `${c}/vrf0`, 'vif0/0 eth0').lines.slice(1)).toEqual(['physical · L3 · VRF 0', 'mtu 1500', mac]);
      expect(nodeIn(g, `${c}/vrf0`, 'vif0/1 vhost0').lines.slice(1)).toEqual(['vhost · L3 · VRF 0', ip, mac]);
      expect(nodeIn(g, `${c}/vrf0`, 'vif0/2 pkt0').lines.slice(1)).toEqual(['agent · L3 · VRF 0']);
      for (const [name, vrf, vmMac, vmIp] of vms[host]) {
        const vif = nodeIn(g, `${c}/vrf${vrf}`, name);
        expect(vif.lines[1]).toBe(`virtual · L2+L3 · VRF ${vrf}`);
        const vm = nodeIn(g, c, `VM (${name.split(' ')[1]})`);
        expect(vm.lines.slice(1)).toEqual([vmMac, vmIp]);
        expect(edgesBetween(g, vm.name, vif.name)).toHaveLength(1);
      }
    }
  });

  it('draws the MPLSoUDP tunnel with the labels each side pushes, and the fabric links', () => {
    // Labels, per controller.ts: allocated by the hosting compute from 16, per local VM an L3 then an L2 label, then a
    // flood label per network: compute2 gives red2 16/17, blue2 18/19, floods 20 (vn-red) and 21 (vn-blue), and
    // compute1 the same numbers to red1/blue1. Preference [MPLSoUDP, ...]: bridged and routed traffic both use MPLSoUDP.
    const e1 = nodeIn(g, 'cluster:compute1/vrf0', 'vif0/0 eth0');
    const e2 = nodeIn(g, 'cluster:compute2/vrf0', 'vif0/0 eth0');
    const tun = edgesBetween(g, e1.name, e2.name);
    expect(tun).toHaveLength(1);
    expect(tun[0].lines).toEqual(['mplsoudp', 'labels 16, 17, 18, 19, 20, 21']);
    const fabric = [...g.nodes.values()].find((n) => n.lines[0] === 'underlay')!;
    expect(edgesBetween(g, e1.name, fabric.name)[0].lines).toEqual(['192.0.2.11', 'mtu 1500']);
    expect(edgesBetween(g, e2.name, fabric.name)[0].lines).toEqual(['192.0.2.12', 'mtu 1500']);
  });
});

describe('topo: other shapes and escaping', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vs-topo-'));
  const write = (name: string, text: string): string => {
    const f = join(tmp, name);
    writeFileSync(f, text);
    return f;
  };

  it('escapes names: quotes, backslashes, markup and control characters come back as written (Graphviz SVG read by python)', async () => {
    const weird = 'h"1\\x<b>&amp;\'';
    const f = write(
      'weird.yaml',
      [
        'hosts:',
        `  - name: ${JSON.stringify(`${weird}\ttab`)}`,
        '    kind: ovs',
        '    bridges:',
        '      - name: "br<&>"',
        '        ports:',
        '          - { name: "p\\"<i>&lt;", type: tap, mac: "fa:16:3e:00:00:01" }',
        '          - { name: "t1", type: tunnel, tunnel: { type: gre, remote_ip: 203.0.113.9, key: 77 } }',
      ].join('\n'),
    );
    const dot = topologyDot(loadTopologyGraph(f));
    const svgFile = join(tmp, 'weird.svg');
    writeFileSync(svgFile, await renderSvg(dot));
    const { texts } = readSvgWithPython(svgFile);
    // the tab is shown as \x09 (control characters are not allowed in Graphviz labels)
    expect(texts).toContain(`${weird}\\x09tab`);
    expect(texts).toContain('br<&>');
    expect(texts).toContain('p"<i>&lt;');
    // a tunnel to an address no host owns ends at a node for that address; a fixed GRE key is shown as the key
    const g = await readWithGraphviz(dot);
    const remote = [...g.nodes.values()].find((n) => n.lines[0] === '203.0.113.9')!;
    expect(remote.lines[1]).toBe('not in this topology');
    const t = g.edges.find((e) => e.head === remote.name)!;
    expect(t.lines).toEqual(['gre', 'key 77']);
  });

  it('draws a mixed topology: an OVS host and a vRouter host (hosts[] entry), VXLAN between them', async () => {
    const f = write(
      'mixed.yaml',
      `hosts:
  - name: ovs1
    kind: ovs
    underlay: { bridge: br-phys, ip: 198.18.0.1/24, mac: "02:00:00:00:00:01", vlan: 7 }
    bridges:
      - name: br-phys
        ports: [{ name: eth1, type: system }]
      - name: br-tun
        ports: [{ name: vx1, type: tunnel, tunnel: { type: vxlan, remote_ip: 198.18.0.2, key: 5001 } }]
  - name: vr1
    kind: vrouter
    vhostIp: 198.18.0.2
    vrfs: [{ id: 1, name: red }]
    interfaces:
      - { id: 0, name: eth0, type: physical, mac: "02:00:00:00:00:02", vrf: 0, mode: l3 }
      - { id: 1, name: vhost0, type: vhost, mac: "02:00:00:00:00:02", vrf: 0, mode: l3 }
      - { id: 3, name: tap1, type: virtual, mac: "02:00:00:00:01:01", ip: 10.1.1.3, vrf: 1, mode: l2 }
    nexthops:
      - { id: 5, type: tunnel, family: bridge, tunnel: vxlan, sip: 198.18.0.2, dip: 198.18.0.1, dmac: "02:00:00:00:00:01", vif: 0 }
    bridge:
      - { vrf: 1, mac: "02:00:00:00:09:09", nh: 5, label: 5001 }
`,
    );
    const g = await readWithGraphviz(topologyDot(loadTopologyGraph(f)));
    expect([...g.clusters.values()].filter((c) => c.parents.length === 0).map((c) => c.lines[0])).toEqual(['ovs1', 'vr1']);
    // the OVS host shows its underlay VLAN; the vRouter vif its mode
    expect(g.clusters.get('cluster:ovs1')?.lines[1]).toBe('ovs · underlay 198.18.0.1/24 · mtu 1500 · vlan 7');
    expect(nodeIn(g, 'cluster:vr1/vrf1', 'vif0/3 tap1').lines[1]).toBe('virtual · L2 · VRF 1');
    // both ends configure VXLAN with VNI 5001 towards each other: one edge with arrows both ways
    const vx = nodeIn(g, 'cluster:ovs1/br-tun', 'vx1');
    const eth0 = nodeIn(g, 'cluster:vr1/vrf0', 'vif0/0 eth0');
    const e = edgesBetween(g, vx.name, eth0.name);
    expect(e.map((x) => [x.lines, x.attrs.dir])).toEqual([[['vxlan', 'VNI 5001'], 'both']]);
  });

  it('a host model error names the topology file and the field', () => {
    const f = write(
      'mpls.yaml',
      'hosts:\n  - name: h\n    kind: ovs\n    bridges:\n      - name: br0\n        ports:\n          - { name: t, type: tunnel, tunnel: { type: mplsogre, remote_ip: 192.0.2.2 } }\n',
    );
    expect(() => loadTopologyGraph(f)).toThrow(expect.objectContaining({ code: 'ERR_TOPOLOGY_INVALID', message: expect.stringMatching(/mpls\.yaml: hosts\[0\]\.bridges\[0\]\.ports\[0\]\.tunnel\.type: /) }));
  });

  it('reads VNIs and keys from flows: matches, set_field, set_tunnel, load (not masked matches)', () => {
    expect(tunnelIdsInFlows('table=4,tun_id=0x64,actions=drop\ntun_id=7/0xff,actions=drop\nactions=set_field:0xc8->tun_id,output:2\nactions=set_tunnel:5,set_tunnel64:0x10,load:9->NXM_NX_TUN_ID[]')).toEqual([5, 9, 16, 100, 200]);
    expect(tunnelIdsInFlows(undefined)).toEqual([]);
  });
});
