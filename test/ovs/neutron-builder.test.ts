import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { validateTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { parseFlows, type OfRule } from '../../src/ovs/flow-parser.js';
import { formatMatch } from '../../src/ovs/match-format.js';
import { buildNeutronHost } from '../../src/ovs/neutron-builder.js';
import { taasFlows } from '../../src/ovs/taas.js';

const ORACLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'oracles', 'ovs', 'examples');
const canon = (r: OfRule): string =>
  `table=${r.table} priority=${r.priority} ${formatMatch(r.match)} actions=${r.actionsText.replace(/cookie=0x0,/, '')}`;

describe('Neutron builder', () => {
  const host = buildNeutronHost({
    name: 'compute1',
    localIp: '198.18.0.1/24',
    localMac: '02:00:c6:12:00:01',
    networks: [{ name: 'net1', type: 'vxlan', segmentationId: 100 }],
    ports: [
      { name: 'vm1', network: 'net1', mac: 'fa:16:3e:00:00:01', ofport: 1, portSecurity: false },
      { name: 'vm2', network: 'net1', mac: 'fa:16:3e:00:00:02', ofport: 2, portSecurity: false },
    ],
    remotes: [{ ip: '198.18.0.2', mac: '02:00:c6:12:00:02', ports: [{ network: 'net1', mac: 'fa:16:3e:00:00:99', ip: '192.0.2.99' }] }],
  });

  it('generates the br-tun tables the real agent layout has (the oracle host dump)', () => {
    const file = join(ORACLE, 'br-tun.flows');
    if (!existsSync(file)) throw new Error(`${file} is missing (../shared/oracles/ovs)`);
    // the dump also holds one rule installed by learn (hard_timeout=300): not part of the agent's own flows
    const real = parseFlows(readFileSync(file, 'utf8')).filter((r) => r.hardTimeout === 0).map(canon).sort();
    const tun = host.bridges.find((b) => b.name === 'br-tun');
    expect(parseFlows(tun?.flows ?? '').map(canon).sort()).toEqual(real);
  });

  it('generates the br-int default pipeline of the oracle host', () => {
    const real = parseFlows(readFileSync(join(ORACLE, 'br-int.flows'), 'utf8')).map(canon).sort();
    const int = host.bridges.find((b) => b.name === 'br-int');
    const ours = parseFlows(int?.flows ?? '').map(canon).filter((t) => !t.startsWith('table=25 ')).sort();
    expect(ours).toEqual(real);
  });

  it('produces a valid topology host with the VXLAN port named as Neutron does', () => {
    const topo = validateTopology({ hosts: [host] });
    if (topo.hosts[0].kind !== 'ovs') throw new Error('kind');
    const h = buildOvsHost(topo.hosts[0]);
    expect(h.port('vxlan-c6120002')?.cfg.tunnel?.remoteIp).toBe('198.18.0.2');
    expect(h.port('vm1')?.tag).toBe(1);
  });

  it('adds ARP spoofing protection and provider VLAN translation', () => {
    const h = buildNeutronHost({
      name: 'c2', localIp: '198.18.0.3/24', localMac: '02:00:c6:12:00:03',
      networks: [{ name: 'prov', type: 'vlan', segmentationId: 2001 }],
      ports: [{ name: 'vm1', network: 'prov', mac: 'fa:16:3e:00:00:01', ip: '203.0.113.5' }],
    });
    const int = h.bridges.find((b) => b.name === 'br-int')?.flows ?? '';
    expect(int).toContain('table=24,priority=2,arp,in_port=1,arp_spa=203.0.113.5,actions=goto_table:25');
    expect(int).toContain('dl_vlan=2001,actions=mod_vlan_vid:1,resubmit(,58)');
    expect(h.bridges.find((b) => b.name === 'br-ex')?.flows).toContain('dl_vlan=1,actions=mod_vlan_vid:2001,NORMAL');
  });
});

describe('taas helper', () => {
  it('builds the TaaS ingress flow (as checked against OVS in examples/ovs/taas-mirror.yaml) and the fix', () => {
    const base = { sourcePort: 2, sourceMac: 'fa:16:3e:00:00:02', localVlan: 1, taasId: 3900, mirrorPort: 10 } as const;
    const yaml = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'taas-mirror.yaml'), 'utf8');
    const fixed = readFileSync(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'taas-mirror-fixed.yaml'), 'utf8');
    const [inFlow] = taasFlows({ ...base, direction: 'IN' });
    expect(yaml).toContain(inFlow);
    expect(fixed).toContain(taasFlows({ ...base, direction: 'IN', ingressMatch: 'dl_dst' })[0]);
    expect(taasFlows({ ...base, direction: 'BOTH' })[0]).toBe('table=0,priority=20,in_port=2,actions=NORMAL,mod_vlan_vid:3900,output:10');
  });
});
