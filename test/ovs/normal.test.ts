import { describe, expect, it } from 'vitest';

import { formatOdpActions as formatActions } from '../../src/ovs/xlate.js';
import { OvsHost } from '../../src/ovs/ovs-host.js';
import { buildFrame } from '../../src/packet/frame-builder.js';

// Expected behaviour derived by hand from ovs-vswitchd.conf.db(5) (Port table:
// vlan_mode, tag, trunks) and OVS's NORMAL: frames enter on their port's VLAN,
// leave untagged on access ports, tagged on trunks, untagged on the native
// VLAN of native-untagged ports; unknown unicast floods within the VLAN.
function host(): OvsHost {
  const h = new OvsHost();
  h.addBridge('br0', 1);
  h.addPort('br0', { name: 'a', ofport: 1, type: 'tap', tag: 10, dpPort: 2 });
  h.addPort('br0', { name: 'b', ofport: 2, type: 'tap', tag: 10, dpPort: 3 });
  h.addPort('br0', { name: 'c', ofport: 3, type: 'tap', tag: 20, dpPort: 4 });
  h.addPort('br0', { name: 't', ofport: 4, type: 'tap', trunks: [10, 20], dpPort: 5 });
  h.addPort('br0', { name: 'nu', ofport: 5, type: 'tap', tag: 20, trunks: [10], vlanMode: 'native-untagged', dpPort: 6 });
  h.bridges.get('br0')!.addFlows('priority=0,actions=NORMAL');
  return h;
}
const frame = (src: string, dst: string, vid?: number): Uint8Array =>
  buildFrame([{ eth: { src, dst } }, ...(vid !== undefined ? [{ vlan: { vid } }] : []), { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

describe('NORMAL VLAN rules', () => {
  it('floods an access frame within its VLAN: untagged to access, tagged to trunks, LOCAL tagged', () => {
    const r = host().receive('a', frame(A, 'ff:ff:ff:ff:ff:ff'));
    // b (access 10): as is; t (trunk): tag 10; nu (native 20, trunk 10): tag 10; LOCAL br0 (trunk, all VLANs): tag 10
    expect(formatActions(r.xlate.actions)).toBe('3,push_vlan(vid=10,pcp=0),5,6,1');
    expect(r.outputs.map((o) => o.name)).toEqual(['b', 't', 'nu', 'br0']);
  });

  it('drops tagged frames on access ports and VLANs a trunk does not carry', () => {
    const h = host();
    expect(h.receive('a', frame(A, B, 10)).xlate.dropReason).toBe('ovs_vlan_not_allowed');
    expect(h.receive('t', frame(A, B, 30)).xlate.dropReason).toBe('ovs_vlan_not_allowed');
    expect(h.receive('t', frame(A, B)).xlate.dropReason).toBe('ovs_vlan_not_allowed'); // VLAN 0 not in trunks
    expect(h.receive('a', frame(A, B, 0)).outputs.length).toBeGreaterThan(0); // priority-tagged is untagged
  });

  it('native-untagged: untagged input is the native VLAN, output of the native VLAN is untagged', () => {
    const h = host();
    const r = h.receive('nu', frame(A, 'ff:ff:ff:ff:ff:ff'));
    expect(r.outputs.map((o) => o.name)).toEqual(['c', 't', 'br0']);
    const back = h.receive('c', frame(B, A));
    expect(back.outputs.map((o) => o.name)).toEqual(['nu']);
    expect(back.outputs[0].frame.length).toBe(frame(B, A).length); // untagged
  });

  it('learns per VLAN and forwards to the learned port only', () => {
    const h = host();
    h.receive('b', frame(B, A));
    const r = h.receive('a', frame(A, B));
    expect(r.outputs.map((o) => o.name)).toEqual(['b']);
    expect(r.xlate.events.some((e) => e.kind === 'note' && e.text === 'forwarding to learned port')).toBe(true);
    // same MAC in another VLAN is unknown there
    expect(h.receive('c', frame(A, B)).outputs.map((o) => o.name)).toEqual(['t', 'nu', 'br0']);
  });

  it('the TaaS failure: a dl_vlan match on br-int never sees traffic between access ports', () => {
    const h = host();
    h.bridges.get('br0')!.delFlows();
    h.bridges.get('br0')!.addFlows('priority=20,dl_vlan=10,actions=NORMAL,output:c\npriority=0,actions=NORMAL');
    h.receive('b', frame(B, A));
    expect(h.receive('a', frame(A, B)).outputs.map((o) => o.name)).toEqual(['b']); // not copied to c
    expect(h.receive('t', frame(A, B, 10)).outputs.map((o) => o.name)).toEqual(['b', 'c']); // tagged on the wire: copied
  });
});

describe('learn()', () => {
  it('installs the Neutron br-tun table 20 rule', () => {
    const h = new OvsHost();
    h.addBridge('br-tun', 1);
    h.addPort('br-tun', { name: 'p1', ofport: 1, type: 'tap', dpPort: 2 });
    h.addPort('br-tun', { name: 'p2', ofport: 2, type: 'tap', dpPort: 3 });
    const br = h.bridges.get('br-tun')!;
    br.addFlows(
      'table=0,priority=1,in_port=2,actions=push_vlan:0x8100,set_field:4097->vlan_vid,goto_table:10\n' +
        'table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x0,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],output:OXM_OF_IN_PORT[]),output:1',
    );
    const r = h.receive('p2', frame('fa:16:3e:00:00:99', A));
    // the text OVS prints for this learned rule (../shared/oracles/ovs/README.md, minus the tun_id load)
    expect(r.xlate.learned).toEqual(['table=20 priority=1,vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:00:00:99 hard_timeout=300 actions=load:0->NXM_OF_VLAN_TCI[],output:2']);
    expect(br.table(20)).toHaveLength(1);
    expect(r.xlate.changedState).toBe(true);
  });
});
