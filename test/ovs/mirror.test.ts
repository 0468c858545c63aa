import { describe, expect, it } from 'vitest';

import { OvsHost } from '../../src/ovs/ovs-host.js';
import { buildFrame } from '../../src/packet/frame-builder.js';

// Hand-derived from ovs-vswitchd.conf.db(5), Mirror table: a selected packet is
// copied once per mirror to output_port (sent as NORMAL sends its VLAN there);
// select_vlan restricts by the packet's VLAN; the output port is not used by NORMAL.
function host(): OvsHost {
  const h = new OvsHost();
  h.addBridge('br0', 1);
  h.addPort('br0', { name: 'a', ofport: 1, type: 'tap', tag: 10, dpPort: 2 });
  h.addPort('br0', { name: 'b', ofport: 2, type: 'tap', tag: 10, dpPort: 3 });
  h.addPort('br0', { name: 'c', ofport: 3, type: 'tap', tag: 20, dpPort: 4 });
  h.addPort('br0', { name: 'mon', ofport: 4, type: 'tap', dpPort: 5 });
  const br = h.bridges.get('br0')!;
  br.addFlows('priority=0,actions=NORMAL');
  br.mirrors.push({ name: 'm1', selectSrc: ['a'], selectDst: ['b'], selectAll: false, selectVlan: [], outputPort: 'mon' });
  return h;
}
const f = (src: string, dst: string): Uint8Array =>
  buildFrame([{ eth: { src, dst } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);
const A = '02:00:00:00:00:0a';
const B = '02:00:00:00:00:0b';

describe('port mirrors', () => {
  it('copies ingress of a once, tagged with its VLAN on the trunk output port, and never floods to mon', () => {
    const r = host().receive('a', f(A, 'ff:ff:ff:ff:ff:ff'));
    const names = r.outputs.map((o) => o.name);
    expect(names.filter((n) => n === 'mon')).toHaveLength(1);
    const copy = r.outputs.find((o) => o.name === 'mon')!.frame;
    expect([copy[12], copy[13], copy[14], copy[15]]).toEqual([0x81, 0x00, 0x00, 10]);
  });

  it('copies egress to b (select_dst_port), once even when also selected on ingress', () => {
    const h = host();
    h.receive('b', f(B, A));
    expect(h.receive('a', f(A, B)).outputs.map((o) => o.name).sort()).toEqual(['b', 'mon']);
    const c = h.receive('c', f('02:00:00:00:00:0c', 'ff:ff:ff:ff:ff:ff'));
    expect(c.outputs.map((o) => o.name)).not.toContain('mon');
  });

  it('select_vlan filters and traffic received on the output port is dropped by NORMAL', () => {
    const h = host();
    h.bridges.get('br0')!.mirrors[0].selectVlan.push(20);
    expect(h.receive('a', f(A, 'ff:ff:ff:ff:ff:ff')).outputs.map((o) => o.name)).not.toContain('mon');
    expect(h.receive('mon', f(A, B)).outputs).toEqual([]);
  });
});
