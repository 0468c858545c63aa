/**
 * Edge ports on their own: the underlay VLAN tag pushed at the NIC and
 * stripped on a captured underlay frame, the port MTU at a tap, a guest's
 * partial checksum completed on the way out (in software, or by a NIC,
 * correctly or with the BCM5719 fault), ports without settings untouched.
 * Expected bytes: the 802.1Q tag is 81 00 + TCI (RFC/IEEE layout, written by
 * hand); a complete checksum is what the frame builder computes with its own
 * RFC 1071 code (not the native completion under test).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { loadTopology } from '../../src/model/load-topology.js';
import type { NicFault } from '../../src/offload/pipeline.js';
import { buildFrame, type CsumMode, type Header } from '../../src/packet/frame-builder.js';
import { edgePortSettings, PortEdges, type EdgePortSettings } from '../../src/replay/port-edges.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const eth: Header = { eth: { src: 'fa:16:3e:00:00:01', dst: 'fa:16:3e:00:00:03' } };
const udp = (csum: CsumMode, n = 200): Uint8Array =>
  buildFrame([eth, { ipv4: { src: '192.0.2.1', dst: '192.0.2.3', proto: 17, id: 7, df: true, ttl: 64 } }, { udp: { sport: 40000, dport: 9, csum } }], Array.from({ length: n }, (_, i) => i & 0xff));

const nic = (hwCsum: boolean, faults: NicFault[] = []): EdgePortSettings => ({
  kind: 'nic',
  mtu: 1500,
  nic: { hwCsum, tso: false, faults },
});

describe('PortEdges', () => {
  it('passes frames of ports it has no settings for unchanged', () => {
    const e = new PortEdges();
    const f = udp('partial');
    expect(e.ingress('h', 'vm1', f)).toEqual({ frames: [f], drops: [] });
    expect(e.egress('h', 'p0', f)).toEqual({ frames: [f], drops: [] });
  });

  it('NIC: pushes the underlay VLAN tag on the way out; strips it from a captured wire frame; other VLANs are dropped', () => {
    const e = new PortEdges(new Map([['h:p0', { ...nic(false), vlan: 100 }]]));
    const f = udp('auto');
    const out = e.egress('h', 'p0', f).frames[0];
    expect(hex(out)).toBe(hex(f.subarray(0, 12)) + '81000064' + hex(f.subarray(12)));
    expect(e.ingress('h', 'p0', out)).toEqual({ frames: [f], drops: [] });
    const other = buildFrame([eth, { vlan: { vid: 200 } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.3', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);
    expect(e.ingress('h', 'p0', other)).toEqual({ frames: [], drops: ['underlay_vlan_mismatch'] });
  });

  it('tap: a frame larger than the port MTU is dropped at output and counted', () => {
    const e = new PortEdges(new Map([['h:vm1', { kind: 'tap', mtu: 1500 } as EdgePortSettings]]));
    expect(e.egress('h', 'vm1', udp('auto', 1472)).frames.length).toBe(1); // IP 1500
    expect(e.egress('h', 'vm1', udp('auto', 1473))).toEqual({ frames: [], drops: ['port_mtu_exceeded'] });
    expect(e.counters.mtuDrops).toBe(1);
  });

  it('a guest\'s partial checksum is completed in software towards a NIC without HW checksum and a tap without offload', () => {
    const ports = new Map<string, EdgePortSettings>([
      ['h:vm1', { kind: 'tap', csum: true, tso: false }],
      ['h:vm2', { kind: 'tap', csum: false, tso: false }],
      ['h:p0', nic(false)],
    ]);
    const e = new PortEdges(ports);
    const partial = udp('partial');
    expect(e.ingress('h', 'vm1', partial).frames[0]).toBe(partial); // the switch gets what the guest handed over
    expect(e.counters.guestPartialCsum).toBe(1);
    expect(hex(e.egress('h', 'p0', partial).frames[0])).toBe(hex(udp('auto')));
    expect(hex(e.egress('h', 'vm2', partial).frames[0])).toBe(hex(udp('auto')));
    expect(e.counters).toMatchObject({ softwareCsum: 2, nicCsum: 0 });
  });

  it('a NIC with HW checksum completes it; the BCM5719 fault writes a wrong one and is counted', () => {
    const good = new PortEdges(new Map<string, EdgePortSettings>([['h:vm1', { kind: 'tap', csum: true }], ['h:p0', nic(true)]]));
    good.ingress('h', 'vm1', udp('partial'));
    expect(hex(good.egress('h', 'p0', udp('partial')).frames[0])).toBe(hex(udp('auto')));
    expect(good.counters).toMatchObject({ nicCsum: 1, faults: {} });
    const bcm = new PortEdges(new Map<string, EdgePortSettings>([['h:vm1', { kind: 'tap', csum: true }], ['h:p0', nic(true, ['bad-hw-csum'])]]));
    bcm.ingress('h', 'vm1', udp('partial'));
    const wire = bcm.egress('h', 'p0', udp('partial')).frames[0];
    expect(hex(wire.subarray(0, 40))).toBe(hex(udp('auto').subarray(0, 40))); // headers up to the UDP checksum unchanged
    expect(hex(wire.subarray(40, 42))).not.toBe(hex(udp('auto').subarray(40, 42)));
    expect(bcm.counters.faults).toEqual({ 'bad-hw-csum': 1 });
  });

  it('edgePortSettings reads tap offloads and MTU, and the NIC model of the underlay port', () => {
    const s = edgePortSettings(loadTopology(join(packageRoot(), 'examples', 'offload-faults', 'topology-bcm5719.yaml')));
    expect(s.get('compute1:vm1')).toEqual({ kind: 'tap', csum: true, tso: true, mtu: 1450 });
    expect(s.get('compute1:vm2')).toEqual({ kind: 'tap', csum: false, tso: false });
    expect(s.get('compute1:p0')).toEqual({ kind: 'nic', mtu: 1500, stack: 'ovs-userspace', nic: { hwCsum: true, tso: false, faults: ['bad-hw-csum'] } });
    expect(s.get('compute2:p0')).toEqual({ kind: 'nic', mtu: 1500, stack: 'ovs-userspace', nic: { hwCsum: false, tso: false, faults: [] } });
  });
});
