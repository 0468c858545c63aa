/**
 * The OVS model plugged into the datapath engine as its slow path: the same
 * frames give the same per-port bytes through the engine (cache on and off)
 * as through the model's own per-packet slow path, which the differential
 * tests hold equal to real OVS (test/oracle/ovs-differential.test.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { DatapathEngine } from '../../src/datapath/engine.js';
import { KEY_FIELDS } from '../../src/datapath/flow-key.js';
import { loadTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { OvsSlowPath } from '../../src/ovs/ovs-slow-path.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { readClassicPcap } from '../oracle/ovs-sandbox.js';
import { recircTunnelKey } from '../tunnel/helpers.js';

const M = (n: number): string => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const udp = (src: number, dst: string, dport: number, vid?: number): Uint8Array =>
  buildFrame([{ eth: { src: M(src), dst } }, ...(vid !== undefined ? [{ vlan: { vid } }] : []), { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 17 } }, { udp: { sport: 1000 + dport, dport } }], [1, 2]);

const FRAMES: [string, Uint8Array][] = [
  ['a', udp(0x0a, 'ff:ff:ff:ff:ff:ff', 1)],
  ['b', udp(0x0b, M(0x0a), 2)],
  ['a', udp(0x0a, M(0x0b), 3)],
  ['a', udp(0x0a, M(0x0b), 3)],
  ['a', udp(0x0a, M(0x0b), 4)],
  ['t', udp(0x21, M(0x0c), 5, 20)],
  ['c', udp(0x0c, M(0x21), 6)],
  ['t', udp(0x21, M(0x0c), 7, 20)],
  ['a', udp(0x0a, M(0x0b), 8, 10)],
  ['nu', udp(0x50, M(0x0a), 9, 10)],
];

function host() {
  const topo = loadTopology(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'vlan-mix.yaml'));
  if (topo.hosts[0].kind !== 'ovs') throw new Error('kind');
  return buildOvsHost(topo.hosts[0]);
}

describe('OVS model as the engine slow path', () => {
  for (const cache of [true, false]) {
    it(`gives the model's per-port bytes (cache ${cache ? 'on' : 'off'})`, async () => {
      const expected = new Map<number, string[]>();
      const ref = host();
      for (const [p, f] of FRAMES) {
        for (const o of ref.receive(p, f).outputs) expected.set(o.port, [...(expected.get(o.port) ?? []), Buffer.from(o.frame).toString('hex')]);
      }
      const h = host();
      const engine = DatapathEngine.create({ slowPath: new OvsSlowPath(h), inProcess: true, cache });
      try {
        const got = new Map<number, string[]>();
        // one packet per batch: learning must be seen by the next packet, as in OVS
        for (const [p, f] of FRAMES) {
          const b = PacketBatch.create();
          b.append(f, { inPort: h.port(p)!.dpPort });
          const r = await engine.process(b);
          r.forEachOutput((port, bytes) => got.set(port, [...(got.get(port) ?? []), Buffer.from(bytes).toString('hex')]));
        }
        expect(got).toEqual(expected);
        expect([...expected.values()].flat().length).toBeGreaterThan(8);
      } finally {
        await engine.close();
      }
    });
  }
});

/**
 * Underlay-to-VM through the engine: VXLAN frames on p0 take tnl_pop +
 * recirc in the engine and are followed into the inner packet by the model's
 * own per-packet path; VM-to-underlay frames take tnl_push with the source
 * port pinned by tnl/egress_port_range (the engine's flow hash is not OVS's).
 */
describe('OVS model as the engine slow path: VXLAN receive (tnl_pop, recirc)', () => {
  const PINNED = 40000;
  function neutronHost() {
    const topo = loadTopology(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'neutron-vxlan-host.yaml'));
    const cfg = topo.hosts[0];
    if (cfg.kind !== 'ovs') throw new Error('kind');
    cfg.underlay.egress_port_range = [PINNED, PINNED];
    return buildOvsHost(cfg);
  }
  const pcap = join(import.meta.dirname, '..', '..', '..', 'shared', 'oracles', 'ovs', 'examples', 'in-test.pcap');

  for (const cache of [true, false]) it(`gives the per-port bytes of the model for the oracle capture (6 frames from vm1, 4 VXLAN frames on p0; cache ${cache ? 'on' : 'off'})`, async () => {
    if (!existsSync(pcap)) throw new Error(`${pcap} is missing: the OVS oracle files come from ../shared/oracles/ovs`);
    const byMac: Record<string, string> = { 'fa:16:3e:00:00:01': 'vm1', 'fa:16:3e:00:00:02': 'vm2' };
    const frames = readClassicPcap(readFileSync(pcap)).map((f): [string, Uint8Array] => {
      const src = Array.from(f.subarray(6, 12), (x) => x.toString(16).padStart(2, '0')).join(':');
      return [byMac[src] ?? 'p0', f];
    });
    const ref = neutronHost();
    const expected = new Map<string, string[]>();
    for (const [p, f] of frames) for (const o of ref.receive(p, f).outputs) expected.set(o.name, [...(expected.get(o.name) ?? []), Buffer.from(o.frame).toString('hex')]);
    const h = neutronHost();
    const sp = new OvsSlowPath(h);
    const engine = DatapathEngine.create({ slowPath: sp, inProcess: true, cache });
    try {
      const got = new Map<string, string[]>();
      for (const [p, f] of frames) {
        const b = PacketBatch.create();
        b.append(f, { inPort: h.port(p)!.dpPort });
        const r = await engine.process(b);
        r.forEachOutput((port, bytes) => {
          const name = h.portByDp(port)?.name ?? String(port);
          got.set(name, [...(got.get(name) ?? []), Buffer.from(bytes).toString('hex')]);
        });
      }
      expect(got).toEqual(expected);
      // ../shared/oracles/ovs/README.md: vm1 3, vm2 6, p0 6 frames transmitted by real OVS
      expect([got.get('vm1')?.length, got.get('vm2')?.length, got.get('p0')?.length]).toEqual([3, 6, 6]);
      // every encapsulated frame carries the pinned source port (outer UDP at 14 + 20)
      for (const x of got.get('p0') ?? []) expect(parseInt(x.slice(68, 72), 16)).toBe(PINNED);
    } finally {
      await engine.close();
    }
  });

  it('answers a VXLAN frame with tnl_pop + recirc, then matches recirc_id and the tunnel metadata', () => {
    const h = neutronHost();
    const sp = new OvsSlowPath(h);
    // outer 198.18.0.2 -> 198.18.0.1 UDP 4789, VNI 0x64 (the br-tun flows' tun_id for local VLAN 1)
    const inner = buildFrame([{ eth: { src: 'fa:16:3e:00:00:99', dst: 'fa:16:3e:00:00:01' } }, { ipv4: { src: '192.0.2.99', dst: '192.0.2.1', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);
    const outer = buildFrame([{ eth: { src: '02:00:c6:12:00:02', dst: '02:00:c6:12:00:01' } }, { ipv4: { src: '198.18.0.2', dst: '198.18.0.1', proto: 17 } }, { udp: { sport: 54321, dport: 4789 } }, { vxlan: { vni: 0x64 } }], inner);
    const key = new Uint8Array(144);
    const first = sp.translate({ seq: 0, inPort: h.port('p0')!.dpPort, key, packet: outer });
    expect(first.actions).toMatchObject([{ type: 'tnl_pop', tunnelPort: 4789 }, { type: 'recirc', id: 1 }]);
    // recirculated: recirc_id 1, tun_id 0x64, tun_src/tun_dst ::ffff:198.18.0.2 / ::ffff:198.18.0.1
    const rk = recircTunnelKey(1, 0x64, [198, 18, 0, 2], [198, 18, 0, 1]);
    const at = (f: keyof typeof KEY_FIELDS): number => KEY_FIELDS[f][0];
    sp.translate({ seq: 1, inPort: h.port('p0')!.dpPort, key: rk, packet: inner }); // learns the remote MAC
    const again = sp.translate({ seq: 2, inPort: h.port('p0')!.dpPort, key: rk, packet: inner });
    expect(again.mask).toBeDefined();
    const m = again.mask!;
    expect([...m.subarray(at('recirc_id'), at('recirc_id') + 4)]).toEqual([255, 255, 255, 255]);
    expect(m[at('tun_id')]).toBe(255);
    expect([...m.subarray(at('tun_src') + 12, at('tun_src') + 16)]).toEqual([255, 255, 255, 255]);
    // br-int VLAN 1 access port vm1 (no learned port for fa:16:3e:00:00:01: flooded to vm1 and vm2 untagged)
    const outs = (again.actions as { type: string; port?: number }[]).filter((a) => a.type === 'output').map((a) => h.portByDp(a.port!)?.name);
    expect(outs).toContain('vm1');
    // an unknown remote: no tunnel port, dropped
    rk[at('tun_src') + 15] = 9;
    expect(sp.translate({ seq: 3, inPort: h.port('p0')!.dpPort, key: rk, packet: inner }).actions).toEqual([{ type: 'drop', reason: 'ovs_table_miss' }]);
  });
});

/** Runs frames through a fresh host's model and through the engine; per-port hex frames of each. */
async function modelVsEngine(load: () => ReturnType<typeof buildOvsHost>, frames: [string, Uint8Array][], cache: boolean) {
  const ref = load();
  const expected = new Map<string, string[]>();
  for (const [p, f] of frames) for (const o of ref.receive(p, f).outputs) expected.set(o.name, [...(expected.get(o.name) ?? []), Buffer.from(o.frame).toString('hex')]);
  const h = load();
  const engine = DatapathEngine.create({ slowPath: new OvsSlowPath(h), inProcess: true, cache });
  const got = new Map<string, string[]>();
  try {
    for (const [p, f] of frames) {
      const b = PacketBatch.create();
      b.append(f, { inPort: h.port(p)!.dpPort });
      (await engine.process(b)).forEachOutput((port, bytes) => {
        const name = h.portByDp(port)?.name ?? String(port);
        got.set(name, [...(got.get(name) ?? []), Buffer.from(bytes).toString('hex')]);
      });
    }
  } finally {
    await engine.close();
  }
  return { expected, got };
}

/**
 * VXLAN output through the engine with OVS's default tnl/egress_port_range:
 * the native tnl_push hashes the frame as OVS's miniflow_hash_5tuple does, so
 * the outer source ports are the ones real OVS 3.1 sent for the oracle
 * capture (../shared/oracles/ovs/README.md, p0 table: 51361 35125 38025 52306
 * 54372 60096), not only the model's.
 */
describe('OVS model as the engine slow path: VXLAN source ports as OVS picks them (range not pinned)', () => {
  const pcap = join(import.meta.dirname, '..', '..', '..', 'shared', 'oracles', 'ovs', 'examples', 'in-test.pcap');
  for (const cache of [true, false]) it(`oracle capture: bytes equal the model's and the observed source ports (cache ${cache ? 'on' : 'off'})`, async () => {
    if (!existsSync(pcap)) throw new Error(`${pcap} is missing: the OVS oracle files come from ../shared/oracles/ovs`);
    const byMac: Record<string, string> = { 'fa:16:3e:00:00:01': 'vm1', 'fa:16:3e:00:00:02': 'vm2' };
    const frames = readClassicPcap(readFileSync(pcap)).map((f): [string, Uint8Array] => {
      const src = Array.from(f.subarray(6, 12), (x) => x.toString(16).padStart(2, '0')).join(':');
      return [byMac[src] ?? 'p0', f];
    });
    const load = () => {
      const cfg = loadTopology(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'neutron-vxlan-host.yaml')).hosts[0];
      if (cfg.kind !== 'ovs') throw new Error('kind');
      return buildOvsHost(cfg);
    };
    const { expected, got } = await modelVsEngine(load, frames, cache);
    expect(got).toEqual(expected);
    expect((got.get('p0') ?? []).map((x) => parseInt(x.slice(68, 72), 16))).toEqual([51361, 35125, 38025, 52306, 54372, 60096]);
  });
});

/**
 * Ethernet over GRE through the engine (examples/ovs/gre-host.yaml): VM
 * frames take clone(tnl_push(GRE template), output), GRE frames from the
 * underlay tnl_pop + recirc; the bytes equal the model's per-packet path
 * (which test/oracle/ovs-differential.test.ts holds equal to real OVS).
 */
describe('OVS model as the engine slow path: GRE both directions', () => {
  const load = () => {
    const cfg = loadTopology(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'gre-host.yaml')).hosts[0];
    if (cfg.kind !== 'ovs') throw new Error('kind');
    return buildOvsHost(cfg);
  };
  const vmFrame = (src: string, dst: string, ips: [string, string], dport: number): Uint8Array =>
    buildFrame([{ eth: { src, dst } }, { ipv4: { src: ips[0], dst: ips[1], proto: 17 } }, { udp: { sport: 5000, dport } }], [9, 9, 9]);
  const greIn = (key: number, inner: Uint8Array): Uint8Array =>
    buildFrame([{ eth: { src: '02:00:c6:12:00:02', dst: '02:00:c6:12:00:01' } }, { ipv4: { src: '198.18.0.2', dst: '198.18.0.1', ttl: 64 } }, { gre: { proto: 0x6558, key } }], inner);
  const FR: [string, Uint8Array][] = [
    ['vm1', vmFrame('fa:16:3e:00:00:01', 'fa:16:3e:00:00:99', ['192.0.2.1', '192.0.2.99'], 22)],
    ['vm2', vmFrame('fa:16:3e:00:00:02', 'fa:16:3e:00:00:98', ['192.0.2.2', '192.0.2.98'], 53)],
    ['vm1', vmFrame('fa:16:3e:00:00:01', 'fa:16:3e:00:00:99', ['192.0.2.1', '192.0.2.99'], 22)],
    ['p0', greIn(0x64, vmFrame('fa:16:3e:00:00:99', 'fa:16:3e:00:00:01', ['192.0.2.99', '192.0.2.1'], 40001))],
    ['p0', greIn(0x65, vmFrame('fa:16:3e:00:00:98', 'fa:16:3e:00:00:02', ['192.0.2.98', '192.0.2.2'], 40002))],
    ['p0', greIn(0x64, vmFrame('fa:16:3e:00:00:99', 'fa:16:3e:00:00:01', ['192.0.2.99', '192.0.2.1'], 40001))],
    ['p0', greIn(0x66, vmFrame('fa:16:3e:00:00:97', 'fa:16:3e:00:00:02', ['192.0.2.97', '192.0.2.2'], 40003))],
  ];
  for (const cache of [true, false]) it(`per-port bytes equal the model's (cache ${cache ? 'on' : 'off'})`, async () => {
    const { expected, got } = await modelVsEngine(load, FR, cache);
    expect(got).toEqual(expected);
    // derived from the flows: 3 VM frames out as GRE, keys 0x64/0x65 delivered, key 0x66 dropped
    expect([got.get('p0')?.length, got.get('vm1')?.length, got.get('vm2')?.length]).toEqual([3, 2, 1]);
    // GRE key at 14 + 20 + 4: vm1's frames carry 0x64, vm2's 0x65
    expect((got.get('p0') ?? []).map((x) => x.slice(76, 84))).toEqual(['00000064', '00000065', '00000064']);
  });
});
