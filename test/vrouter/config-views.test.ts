/**
 * Agent-view configuration (errors name the offending path), table lookups
 * (longest prefix match), the controller builder's derived tables, and the
 * vRouter-style views after traffic. Expected values are derived by hand
 * from the example topology (examples/vrouter/two-computes.yaml).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { buildFrame } from '../../src/packet/frame-builder.js';
import { parseIp } from '../../src/tunnel/addr.js';
import { loadVrouterHosts, parseVrouterHost, VrouterFabric, VrouterStats, VrouterTables, type VrouterHostInput } from '../../src/vrouter/index.js';
import { dropstats, flowList, mplsDump, nhList, rtDump, vifList, vxlanDump } from '../../src/vrouter/views.js';
import { repoRoot } from '../tunnel/helpers.js';

const minimal = (): VrouterHostInput => ({
  name: 'c1',
  kind: 'vrouter',
  vhostIp: '192.0.2.1',
  interfaces: [
    { id: 0, name: 'eth0', type: 'physical', mac: '02:fa:00:00:00:01', vrf: 0 },
    { id: 3, name: 'tap1', type: 'virtual', mac: '02:00:00:00:00:03', vrf: 1, ip: '10.0.0.3' },
  ],
  vrfs: [{ id: 1, name: 'vn1' }],
  nexthops: [
    { id: 1, type: 'discard' },
    { id: 10, type: 'encap', vif: 3, vrf: 1 },
    { id: 11, type: 'encap', vif: 3, vrf: 1, family: 'bridge' },
  ],
  routes: [
    { vrf: 1, prefix: '10.0.0.0/8', nh: 1 },
    { vrf: 1, prefix: '10.0.0.0/24', nh: 1 },
    { vrf: 1, prefix: '10.0.0.3/32', nh: 10 },
    { vrf: 1, prefix: 'fd00::/64', nh: 1 },
    { vrf: 1, prefix: 'fd00::3/128', nh: 10 },
  ],
  mpls: [{ label: 16, nh: 10 }],
});

describe('agent-view configuration', () => {
  it('accepts a valid host and fills defaults (mode l2l3, MTU 1500, ports 6635 / 4789, outer TTL 64)', () => {
    const h = parseVrouterHost(minimal(), 'hosts[0]');
    expect(h.interfaces[1].mode).toBe('l2l3');
    expect(h.interfaces[1].mtu).toBe(1500);
    expect([h.mplsoudpPort, h.vxlanPort, h.outerTtl]).toEqual([6635, 4789, 64]);
  });

  it.each([
    [(h: VrouterHostInput) => (h.routes![2].nh = 99), 'hosts[0].routes[2].nh: unknown nexthop 99'],
    [(h: VrouterHostInput) => (h.routes![1].prefix = '10.0.0.0/33'), 'hosts[0].routes[1].prefix'],
    [(h: VrouterHostInput) => (h.interfaces[1].mode = 'l4' as 'l2'), 'hosts[0].interfaces[1].mode'],
    [(h: VrouterHostInput) => (h.nexthops![1] = { id: 10, type: 'encap', vif: 7 }), 'hosts[0].nexthops[1].vif: unknown vif 7'],
    [(h: VrouterHostInput) => h.mpls!.push({ label: 16, nh: 11 }), 'hosts[0].mpls[1]: duplicate label 16'],
    [(h: VrouterHostInput) => (h.interfaces[0].mac = 'zz'), 'hosts[0].interfaces[0].mac'],
  ])('names the bad field (%#)', (mutate, message) => {
    const h = minimal();
    mutate(h);
    expect(() => parseVrouterHost(h, 'hosts[0]')).toThrow(message);
    try {
      parseVrouterHost(h, 'hosts[0]');
    } catch (err) {
      expect((err as { code?: string }).code).toBe('ERR_TOPOLOGY_INVALID');
    }
  });

  it('looks up the longest prefix, IPv4 and IPv6', () => {
    const t = new VrouterTables(parseVrouterHost(minimal()));
    expect(t.lookupInet(1, parseIp('10.0.0.3', 'x'))?.prefix).toBe('10.0.0.3/32');
    expect(t.lookupInet(1, parseIp('10.0.0.9', 'x'))?.prefix).toBe('10.0.0.0/24');
    expect(t.lookupInet(1, parseIp('10.200.0.9', 'x'))?.prefix).toBe('10.0.0.0/8');
    expect(t.lookupInet(1, parseIp('11.0.0.1', 'x'))).toBeUndefined();
    expect(t.lookupInet(1, parseIp('fd00::3', 'x'))?.prefix).toBe('fd00::3/128');
    expect(t.lookupInet(1, parseIp('fd00::4', 'x'))?.prefix).toBe('fd00::/64');
    expect(t.lookupInet(2, parseIp('10.0.0.3', 'x'))).toBeUndefined();
  });

  it('names the bad field of the controller section', () => {
    const text = readFileSync(join(repoRoot, 'examples', 'vrouter', 'two-computes.yaml'), 'utf8').replace('compute: compute2, ip: 10.1.1.4', 'compute: compute9, ip: 10.1.1.4');
    const file = join(mkdtempSync(join(tmpdir(), 'vs-vrouter-')), 'bad.yaml');
    writeFileSync(file, text);
    expect(() => loadVrouterHosts(file)).toThrow('vrouterController.vms[1].compute: unknown compute "compute9"');
  });
});

describe('views of the example topology', () => {
  const fabric = new VrouterFabric(loadVrouterHosts(join(repoRoot, 'examples', 'vrouter', 'two-computes.yaml')));
  const c1 = fabric.host('compute1');
  const c2 = fabric.host('compute2');
  // red1 -> blue2, routed (10.1.1.3 -> 10.2.2.4 through the vRouter MAC), then the answer.
  const fwd = buildFrame([{ eth: { src: '02:00:00:00:01:03', dst: '00:00:5e:00:01:00' } }, { ipv4: { src: '10.1.1.3', dst: '10.2.2.4' } }, { udp: { sport: 1111, dport: 53 } }], [1, 2, 3, 4]);
  const rev = buildFrame([{ eth: { src: '02:00:00:00:02:04', dst: '00:00:5e:00:01:00' } }, { ipv4: { src: '10.2.2.4', dst: '10.1.1.3' } }, { udp: { sport: 53, dport: 1111 } }], [1, 2, 3, 4]);
  fabric.sendFrom('tap-red1', fwd);
  fabric.sendFrom('tap-blue2', rev);

  it('rt --dump: routes of VRF 1 with labels allocated by the hosting compute', () => {
    const text = rtDump(c1, 1);
    // compute2 allocates red2 16 (L3) / 17 (L2), blue2 18 / 19.
    expect(text).toMatch(/^10\.1\.1\.4\/32\s+32\s+LP\s+16\s+\d+\s+2:0:0:0:1:4$/m);
    expect(text).toMatch(/^10\.2\.2\.4\/32\s+32\s+LP\s+18\s+/m);
    expect(text).toMatch(/^10\.1\.1\.1\/32\s+32\s+P\s+-\s+2\s+-$/m);
    expect(rtDump(c1, 1, 'bridge')).toMatch(/^\d+\s+2:0:0:0:1:4\s+L\s+17\s+/m);
  });

  it('mpls --dump and vxlan --dump list every label and VNI', () => {
    expect(mplsDump(c2).split('\n').filter((l) => /^\s+\d+\s+\d+$/.test(l))).toHaveLength(6);
    expect(vxlanDump(c2)).toMatch(/^\s+5001\s+\d+$/m);
  });

  it('nh --list shows tunnels with Sip/Dip and type', () => {
    expect(nhList(c1)).toMatch(/Type:Tunnel[\s\S]*Flags:Valid, MPLSoUDP,[\s\S]*Sip:192\.0\.2\.11 Dip:192\.0\.2\.12/);
  });

  it('vif --list counts the packets; flow -l pairs forward and reverse flows', () => {
    expect(vifList(c1)).toMatch(/vif0\/3\s+OS: tap-red1[\s\S]*?RX packets:1 {2}bytes:46[\s\S]*?TX packets:1 {2}bytes:46/);
    const flows = flowList(c1);
    expect(flows).toMatch(/10\.1\.1\.3:1111/);
    expect(flows).toMatch(/<=>/);
    expect(dropstats(c1)).toMatch(/^Invalid Label\s+0$/m);
  });
});

describe('VrouterStats JSON (a replay report holds it)', () => {
  it('round-trips vif counters, drops and flows', () => {
    const a = new VrouterStats();
    a.rx(3, 90);
    a.tx(0, 122);
    a.drop('discard', 3);
    const f = a.flow({ vrf: 1, proto: 6, src: '10.1.1.3', dst: '10.2.2.4', sport: 41000, dport: 80, nh: 14, action: 'F', tunnelSport: 50000 }, 54);
    a.flow({ vrf: 1, proto: 6, src: '10.2.2.4', dst: '10.1.1.3', sport: 80, dport: 41000, nh: 10, action: 'F', tunnelSport: 0 }, 54);
    const j = a.toJson(new Map([[0, 'eth0'], [3, 'tap-red1']]));
    expect(j.vifs).toEqual([
      { id: 0, name: 'eth0', rxPackets: 0, rxBytes: 0, txPackets: 1, txBytes: 122, drops: 0 },
      { id: 3, name: 'tap-red1', rxPackets: 1, rxBytes: 90, txPackets: 0, txBytes: 0, drops: 1 },
    ]);
    expect(j.drops).toEqual({ discard: 1 });
    expect(j.flows.map((x) => [x.index, x.reverse])).toEqual([[1, 2], [2, 1]]);
    const b = new VrouterStats();
    b.load(JSON.parse(JSON.stringify(j)));
    expect(b.toJson(new Map([[0, 'eth0'], [3, 'tap-red1']]))).toEqual(j);
    // a flow added after loading gets the next index and pairs with a loaded one
    const c = b.flow({ vrf: 1, proto: 17, src: '10.1.1.3', dst: '10.2.2.4', sport: 1, dport: 2, nh: 14, action: 'F', tunnelSport: 0 }, 60);
    expect(c.index).toBe(3);
    expect(f.index).toBe(1);
  });
});
