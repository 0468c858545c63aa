import { describe, expect, it } from 'vitest';

import { FlowSyntaxError } from '../../src/ovs/flow-syntax-error.js';
import { parseFlow, parseFlows } from '../../src/ovs/flow-parser.js';

// Expected values below are derived by hand from the ovs-fields(7) and
// ovs-actions(7) definitions (e.g. dl_vlan=N is vlan_tci=(0x1000|N)/0x1fff).
describe('ovs-ofctl flow syntax', () => {
  it('parses every match field and the shorthands', () => {
    const r = parseFlow(
      'table=3,priority=7,in_port=2,dl_src=fa:16:3e:00:00:01/ff:ff:ff:00:00:00,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,' +
        'dl_vlan=12,tcp,nw_src=10.0.0.0/8,nw_dst=192.0.2.1,nw_ttl=64,tp_src=1000,tp_dst=0x50/0xfff0,tun_id=0x64,metadata=0x1/0xf,reg3=7 actions=drop',
    );
    expect(r).toBeDefined();
    const m = r!.match;
    expect(r!.table).toBe(3);
    expect(r!.priority).toBe(7);
    expect(m.get('in_port')).toEqual({ value: 2n, mask: 0xffffffffn });
    expect(m.get('dl_src')).toEqual({ value: 0xfa163e000000n, mask: 0xffffff000000n });
    expect(m.get('dl_dst')).toEqual({ value: 0x010000000000n, mask: 0x010000000000n });
    expect(m.get('vlan_tci')).toEqual({ value: 0x100cn, mask: 0x1fffn });
    expect(m.get('dl_type')?.value).toBe(0x800n);
    expect(m.get('nw_proto')?.value).toBe(6n);
    expect(m.get('nw_src')).toEqual({ value: 0x0a000000n, mask: 0xff000000n });
    expect(m.get('nw_dst')).toEqual({ value: 0xc0000201n, mask: 0xffffffffn });
    expect(m.get('nw_ttl')?.value).toBe(64n);
    expect(m.get('tp_src')?.value).toBe(1000n);
    expect(m.get('tp_dst')).toEqual({ value: 0x50n, mask: 0xfff0n });
    expect(m.get('tun_id')?.value).toBe(0x64n);
    expect(m.get('metadata')).toEqual({ value: 1n, mask: 0xfn });
    expect(m.get('reg3')?.value).toBe(7n);
  });

  it('parses vlan_tci masks, arp fields, udp/icmp shorthands and named in_port', () => {
    const a = parseFlow('priority=1,vlan_tci=0x0001/0x0fff,arp,arp_tpa=192.0.2.99,arp_spa=192.0.2.0/24,in_port=vm1 actions=NORMAL')!;
    expect(a.match.get('vlan_tci')).toEqual({ value: 1n, mask: 0xfffn });
    expect(a.match.get('dl_type')?.value).toBe(0x806n);
    expect(a.match.get('nw_dst')?.value).toBe(0xc0000263n);
    expect(a.match.get('nw_src')).toEqual({ value: 0xc0000200n, mask: 0xffffff00n });
    expect(a.inPortName).toBe('vm1');
    expect(parseFlow('udp,udp_dst=53 actions=drop')!.match.get('nw_proto')?.value).toBe(17n);
    expect(parseFlow('icmp,icmp_type=8 actions=drop')!.match.get('tp_src')?.value).toBe(8n);
    expect(parseFlow('ipv6,ipv6_dst=2001:db8::1 actions=drop')!.match.get('ipv6_dst')?.value).toBe(0x20010db8000000000000000000000001n);
    expect(parseFlow('dl_vlan=0xffff actions=drop')!.match.get('vlan_tci')).toEqual({ value: 0n, mask: 0xffffn });
    expect(parseFlow('vlan_vid=0x1fff actions=drop')!.match.get('vlan_tci')).toEqual({ value: 0x1fffn, mask: 0x1fffn });
  });

  it('ignores dump-flows counters and the reply header', () => {
    const rules = parseFlows(
      'OFPST_FLOW reply (OF1.3) (xid=0x2):\n' +
        ' cookie=0x0, duration=1.944s, table=0, n_packets=0, n_bytes=0, priority=65535,dl_vlan=4095 actions=drop\n' +
        ' cookie=0x0, duration=0.339s, table=20, n_packets=0, n_bytes=0, hard_timeout=300, priority=1,vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:00:00:99 actions=load:0->NXM_OF_VLAN_TCI[],load:0x64->NXM_NX_TUN_ID[],output:2\n',
    );
    expect(rules).toHaveLength(2);
    expect(rules[0].priority).toBe(65535);
    expect(rules[0].matchText).toBe('dl_vlan=4095');
    expect(rules[1].table).toBe(20);
    expect(rules[1].hardTimeout).toBe(300);
    expect(rules[1].actions.map((a) => a.action.type)).toEqual(['load', 'load', 'output']);
  });

  it('parses every action', () => {
    const r = parseFlow(
      'actions=output:1,NORMAL,FLOOD,ALL,IN_PORT,LOCAL,mod_vlan_vid:5,strip_vlan,push_vlan:0x8100,pop_vlan,mod_dl_src:02:00:00:00:00:01,' +
        'mod_dl_dst:02:00:00:00:00:02,mod_nw_src:10.0.0.1,mod_nw_dst:10.0.0.2,mod_tp_src:1,mod_tp_dst:2,dec_ttl,set_field:4097->vlan_vid,' +
        'load:0x2->NXM_OF_ARP_OP[],move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],resubmit(,22),resubmit(3,4),resubmit:5,goto_table:10,' +
        'write_metadata:0x5/0xff,set_tunnel:0x64,note:01.02,3,4',
    )!;
    expect(r.actions.map((a) => a.action.type)).toEqual([
      'output', 'normal', 'flood', 'all', 'in_port', 'local', 'mod_vlan_vid', 'strip_vlan', 'push_vlan', 'strip_vlan', 'set_field',
      'set_field', 'set_field', 'set_field', 'set_field', 'set_field', 'dec_ttl', 'set_field', 'load', 'move', 'resubmit', 'resubmit',
      'resubmit', 'goto_table', 'write_metadata', 'set_field', 'note', 'output', 'output',
    ]);
    expect(r.actions[20].action).toEqual({ type: 'resubmit', table: 22 });
    expect(r.actions[21].action).toEqual({ type: 'resubmit', port: 3, table: 4 });
    const sf = r.actions[17].action;
    expect(sf.type === 'set_field' && sf.value).toBe(4097n);
  });

  it('parses Neutron br-tun learn()', () => {
    const r = parseFlow(
      'table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x0,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1',
    )!;
    const l = r.actions[0].action;
    expect(l.type).toBe('learn');
    if (l.type !== 'learn') return;
    expect(l.table).toBe(20);
    expect(l.hardTimeout).toBe(300);
    expect(l.specs.map((s) => s.kind)).toEqual(['match_field', 'match_field', 'load_value', 'load_field', 'output']);
    expect(l.specs[0].kind === 'match_field' && [l.specs[0].dst.ofs, l.specs[0].dst.nbits]).toEqual([0, 12]);
    expect(r.actions[1].action).toEqual({ type: 'output', port: 1 });
  });

  it('points at the column of the bad token', () => {
    const line = 'priority=1,dl_vlan=5000 actions=drop';
    try {
      parseFlow(line);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FlowSyntaxError);
      expect((e as FlowSyntaxError).column).toBe(line.indexOf('dl_vlan') + 1);
    }
    const bad = 'priority=1 actions=output:1,frobnicate:3';
    expect(() => parseFlow(bad)).toThrow(/column 29/);
    expect(() => parseFlow('priority=1,bogus=3 actions=drop')).toThrow(/unknown match field "bogus" \(column 12\)/);
    expect(() => parseFlow('priority=1')).toThrow(/missing "actions="/);
    expect(() => parseFlows('priority=1 actions=drop\nfoo actions=drop')).toThrow(/line 2/);
  });
});
