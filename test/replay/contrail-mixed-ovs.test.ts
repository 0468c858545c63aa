/**
 * A mixed topology: a Neutron OVS compute host (compute1 of
 * examples/neutron-vxlan, VTEP 198.18.0.1, net1 = VNI 100, with l2pop
 * entries for vm3 behind 198.18.0.2) and, in compute2's place, a Contrail
 * vRouter compute node on 198.18.0.2 whose network has VNI 100 and hosts
 * vm3. The fabric carries frames by IP, so OVS's VXLAN frames reach the
 * vRouter's physical vif, which decapsulates them (VNI 100 -> VRF-translate
 * -> bridge lookup of vm3's MAC) and delivers them to tap-vm3.
 *
 * Expected (from examples/neutron-vxlan/generate.ts): of vm1's packets, the
 * ARP reply and the ping are for vm3 (br-tun table 20 sends them to
 * 198.18.0.2, VNI 100); the datagram and the SYN for vm2 (never seen, as
 * only vm1's capture is replayed) are flooded by br-int and br-tun table 22
 * to the tunnel too, and the vRouter, which does not flood unknown unicast,
 * drops them: no bridge entry for vm2's MAC (l2_no_route).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { packageRoot } from '../../src/datapath/native.js';
import { replay } from '../../src/replay/replay.js';
import { requireTshark } from '../oracle/tshark.js';
import { summary } from './contrail-scenario.js';

describe('replay: an OVS host and a vRouter host on one fabric', () => {
  it('carries OVS VXLAN to the vRouter, which decapsulates by VNI and delivers to the VM', async () => {
    requireTshark();
    const neutron = join(packageRoot(), 'examples', 'neutron-vxlan');
    const doc = parse(readFileSync(join(neutron, 'topology.yaml'), 'utf8')) as { hosts: unknown[] };
    const tmp = mkdtempSync(join(tmpdir(), 'vs-mixed-'));
    const topology = join(tmp, 'mixed.yaml');
    writeFileSync(
      topology,
      stringify({
        version: 1,
        hosts: [doc.hosts[0]],
        vrouterController: {
          tunnelPreference: ['VXLAN'],
          computes: [{ name: 'compute2', ip: '198.18.0.2', mac: '02:00:c6:12:00:02' }],
          networks: [{ name: 'net1', subnet: '192.0.2.0/24', vni: 100 }],
          vms: [{ name: 'vm3', network: 'net1', compute: 'compute2', ip: '192.0.2.3', mac: 'fa:16:3e:00:00:03' }],
        },
      }),
    );
    const out = join(tmp, 'out');
    const r = await replay({ topology, inputs: [{ host: 'compute1', port: 'vm1', file: join(neutron, 'pcaps', 'vm1.pcap') }], outDir: out });
    expect(summary(join(out, 'compute2-tap-vm3.pcap'))).toEqual([
      'ARP fa:16:3e:00:00:01 fa:16:3e:00:00:03 192.0.2.1 is at fa:16:3e:00:00:01',
      'ICMP 192.0.2.1 192.0.2.3 Echo (ping) request id=0x0042, seq=1/256, ttl=64',
    ]);
    expect(r.tunnels).toEqual([{ from: 'compute1', to: 'compute2', type: 'vxlan', vni: 100, packets: 4 }]);
    expect(r.ports.find((p) => p.host === 'compute2' && p.port === 'eth0')).toMatchObject({ rx: 4, drops: 2 });
    expect(r.drops.map((d) => [d.reason, d.count, d.example.host, d.example.index, d.example.viaUnderlay])).toEqual([['l2_no_route', 2, 'compute2', 2, true]]);
    const vr = r.vrouters?.find((v) => v.host === 'compute2');
    expect(vr?.vifs.find((v) => v.name === 'tap-vm3')).toMatchObject({ txPackets: 2 });
    expect(r.engines.map((e) => e.host)).toEqual(['compute1', 'compute2']);
  }, 60_000);
});
