/**
 * The OVS model plugged into the datapath engine as its slow path: the same
 * frames give the same per-port bytes through the engine (cache on and off)
 * as through the model's own per-packet slow path, which the differential
 * tests hold equal to real OVS (test/oracle/ovs-differential.test.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { DatapathEngine } from '../../src/datapath/engine.js';
import { loadTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { OvsSlowPath } from '../../src/ovs/ovs-slow-path.js';
import { buildFrame } from '../../src/packet/frame-builder.js';

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
