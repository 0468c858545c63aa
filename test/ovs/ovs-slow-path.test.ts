import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { KEY_FIELDS } from '../../src/datapath/flow-key.js';
import { loadTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { OvsHost } from '../../src/ovs/ovs-host.js';
import { OvsSlowPath, wildcardsToKeyMask } from '../../src/ovs/ovs-slow-path.js';
import { buildFrame } from '../../src/packet/frame-builder.js';

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
  it('refuses GRE output with a clear error (the engine has no Ethernet-over-GRE template; the upcall fails)', () => {
    const topo = loadTopology(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'gre-host.yaml'));
    if (topo.hosts[0].kind !== 'ovs') throw new Error('kind');
    const h = buildOvsHost(topo.hosts[0]);
    const f = buildFrame([{ eth: { src: 'fa:16:3e:00:00:01', dst: 'fa:16:3e:00:00:99' } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.99', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);
    expect(() => new OvsSlowPath(h).translate({ seq: 0, inPort: h.port('vm1')!.dpPort, key: new Uint8Array(144), packet: f })).toThrow(/GRE output is not in the datapath engine/);
    // the model's own slow path sends it: one GRE frame on p0 (14 + 20 + 8 bytes of outer header)
    const out = h.receive('vm1', f).outputs;
    expect(out.map((o) => [o.name, o.frame.length])).toEqual([['p0', f.length + 42]]);
  });
});
