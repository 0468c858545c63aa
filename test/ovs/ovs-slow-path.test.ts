import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { KEY_FIELDS } from '../../src/datapath/flow-key.js';
import { loadTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { OvsHost } from '../../src/ovs/ovs-host.js';
import { OvsSlowPath, wildcardsToKeyMask } from '../../src/ovs/ovs-slow-path.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { recircTunnelKey } from '../tunnel/helpers.js';

// Offsets come from native/flow_key.h via KEY_FIELDS; values are hand-derived:
// dl_dst is wire order, vlan_tci host (little-endian) order, IPv4 at bytes 12..15 of nw_dst.
describe('OVS slow path for the engine', () => {
  it('maps consulted fields into the native megaflow mask', () => {
    const m = wildcardsToKeyMask(new Map([['dl_dst', 0xffffffffffffn], ['vlan_tci', 0x1fffn], ['nw_dst', 0xffffff00n]]));
    const [dst] = KEY_FIELDS.dl_dst;
    expect([...m.subarray(dst, dst + 6)]).toEqual([255, 255, 255, 255, 255, 255]);
    const [vt] = KEY_FIELDS.vlan_tci;
    expect([m[vt], m[vt + 1]]).toEqual([0xff, 0x1f]);
    const [nd] = KEY_FIELDS.nw_dst;
    expect([...m.subarray(nd + 12, nd + 16)]).toEqual([255, 255, 255, 0]);
    const [src] = KEY_FIELDS.dl_src;
    expect([...m.subarray(src, src + 6)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('answers upcalls: actions, a mask when nothing was learned, version bumps on learning', () => {
    const h = new OvsHost();
    h.addBridge('br0', 1);
    h.addPort('br0', { name: 'a', ofport: 1, type: 'tap', tag: 10, dpPort: 2 });
    h.addPort('br0', { name: 'b', ofport: 2, type: 'tap', tag: 10, dpPort: 3 });
    h.bridges.get('br0')!.addFlows('priority=0,actions=NORMAL');
    const sp = new OvsSlowPath(h);
    const f = buildFrame([{ eth: { src: '02:00:00:00:00:0a', dst: '02:00:00:00:00:0b' } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);
    const up = { seq: 0, inPort: 2, key: new Uint8Array(144), packet: f };
    const first = sp.translate(up);
    expect(sp.version).toBe(2); // learned 02:..:0a
    expect(first.mask).toBeUndefined();
    const again = sp.translate({ ...up, seq: 1 });
    expect(again.mask).toBeDefined();
    // unknown destination: flood VLAN 10 to b (untagged) and to the LOCAL port br0 (trunk: tagged)
    expect(again.actions).toEqual([{ type: 'output', port: 3 }, { type: 'push_vlan', vid: 10, pcp: 0 }, { type: 'output', port: 1 }]);
    const drop = sp.translate({ ...up, inPort: 3, packet: buildFrame([{ eth: { src: '02:00:00:00:00:0b', dst: '02:00:00:00:00:0a' } }, { vlan: { vid: 10 } }]) });
    expect(drop.actions).toEqual([{ type: 'drop', reason: 'ovs_vlan_not_allowed' }]);
  });
});

describe('OVS slow path: GRE ports', () => {
  const load = (): OvsHost => {
    const topo = loadTopology(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'gre-host.yaml'));
    if (topo.hosts[0].kind !== 'ovs') throw new Error('kind');
    return buildOvsHost(topo.hosts[0]);
  };
  const inner = buildFrame([{ eth: { src: 'fa:16:3e:00:00:01', dst: 'fa:16:3e:00:00:99' } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.99', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);

  it('answers GRE output with clone(tnl_push(Ethernet-over-GRE template), output)', () => {
    const h = load();
    const t = new OvsSlowPath(h).translate({ seq: 0, inPort: h.port('vm1')!.dpPort, key: new Uint8Array(144), packet: inner });
    const acts = t.actions as { type: string; actions?: { type: string; template?: Uint8Array; port?: number }[] }[];
    expect(acts.map((a) => a.type)).toEqual(['clone']);
    const [push, out] = acts[0].actions!;
    expect(push.type).toBe('tnl_push');
    // template type 4 (Ethernet over GRE), 42 header bytes; GRE at 34: K bit, 0x6558, key 0x64 (set_field:0x64->tun_id)
    const tpl = push.template!;
    expect([tpl[4], tpl[12] | (tpl[13] << 8)]).toEqual([4, 42]);
    expect(Buffer.from(tpl.subarray(32 + 34, 32 + 42)).toString('hex')).toBe('2000655800000064');
    expect(h.portByDp(out.port!)?.name).toBe('p0');
  });

  it('answers a GRE frame for the VTEP with tnl_pop + recirc (a GRE receiver), and the popped packet by key', () => {
    const h = load();
    const sp = new OvsSlowPath(h);
    const outer = buildFrame([{ eth: { src: '02:00:c6:12:00:02', dst: '02:00:c6:12:00:01' } }, { ipv4: { src: '198.18.0.2', dst: '198.18.0.1', ttl: 64 } }, { gre: { proto: 0x6558, key: 0x65 } }], inner);
    const first = sp.translate({ seq: 0, inPort: h.port('p0')!.dpPort, key: new Uint8Array(144), packet: outer });
    expect(first.actions).toMatchObject([{ type: 'tnl_pop', tunnelPort: 47 }, { type: 'recirc', id: 1 }]);
    // receiver flags (u32 at 4): gre (128), inner VLAN tags kept (no 32)
    const rx = (first.actions as readonly { receiver?: Uint8Array }[])[0].receiver!;
    expect(rx[4]).toBe(128);
    const rk = recircTunnelKey(1, 0x65, [198, 18, 0, 2], [198, 18, 0, 1]);
    // gre-host.yaml: in_port=3,tun_id=0x65 -> output:2 (vm2)
    const popped = sp.translate({ seq: 1, inPort: h.port('p0')!.dpPort, key: rk, packet: inner });
    expect(popped.actions).toEqual([{ type: 'output', port: h.port('vm2')!.dpPort }]);
  });
});
