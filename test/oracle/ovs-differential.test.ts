/**
 * Differential tests against real Open vSwitch (userspace, private sandbox):
 * each shipped scenario in examples/ovs is built in OVS and in the model, the
 * same frames are injected in the same order, and every port's transmitted
 * frames must be byte-identical. Then packets are traced in both (OVS:
 * ofproto/trace) and the datapath actions must do the same thing: both
 * action lists are executed on the frame and the (port name, bytes) outputs
 * compared.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { parseActions } from '../../src/datapath/actions.js';
import { loadTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { extractFlow } from '../../src/ovs/flow.js';
import { odpExecute } from '../../src/ovs/odp-execute.js';
import type { OvsHost } from '../../src/ovs/ovs-host.js';
import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { OvsSandbox } from './ovs-sandbox.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'ovs');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const BCAST = 'ff:ff:ff:ff:ff:ff';

const eth = (src: string, dst: string, vlan?: { vid: number; pcp?: number }): Header[] =>
  vlan ? [{ eth: { src, dst } }, { vlan }] : [{ eth: { src, dst } }];
const arp = (src: string, spa: string, tpa: string, vlan?: { vid: number; pcp?: number }): Uint8Array =>
  buildFrame([...eth(src, BCAST, vlan), { arp: { op: 1, sha: src, spa, tha: '00:00:00:00:00:00', tpa } }]);
const tcp = (src: string, dst: string, ips: [string, string], dport: number, vlan?: { vid: number; pcp?: number }): Uint8Array =>
  buildFrame([...eth(src, dst, vlan), { ipv4: { src: ips[0], dst: ips[1], ttl: 64 } }, { tcp: { sport: 40000, dport, flags: TCP.SYN } }], [1, 2, 3, 4]);
const udp = (src: string, dst: string, ips: [string, string], dport: number, vlan?: { vid: number; pcp?: number }): Uint8Array =>
  buildFrame([...eth(src, dst, vlan), { ipv4: { src: ips[0], dst: ips[1], ttl: 64 } }, { udp: { sport: 5000, dport } }], [9, 9, 9]);
const icmp = (src: string, dst: string, ips: [string, string]): Uint8Array =>
  buildFrame([...eth(src, dst), { ipv4: { src: ips[0], dst: ips[1], proto: 1, ttl: 64 } }, { icmp: { type: 8, code: 0, rest: 0x00010001 } }], [7, 7]);

interface Scenario {
  file: string;
  frames: [string, Uint8Array][];
  /** Frames traced after the replay (OVS ofproto/trace vs the model). */
  traces: [string, Uint8Array][];
}

const M = (n: number): string => `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`;
const IP: [string, string] = ['192.0.2.1', '192.0.2.2'];

const SCENARIOS: Scenario[] = [
  {
    file: 'vlan-mix.yaml',
    frames: [
      ['a', arp(M(0x0a), '192.0.2.10', '192.0.2.11')],
      ['b', tcp(M(0x0b), M(0x0a), IP, 22)],
      ['a', tcp(M(0x0a), M(0x0b), IP, 22)],
      ['t', arp(M(0x21), '192.0.2.21', '192.0.2.22', { vid: 20 })],
      ['t', arp(M(0x31), '192.0.2.31', '192.0.2.32', { vid: 30 })],
      ['t', arp(M(0x41), '192.0.2.41', '192.0.2.42')],
      ['a', tcp(M(0x0a), M(0x0b), IP, 23, { vid: 10 })],
      ['nu', tcp(M(0x50), M(0x0a), IP, 80)],
      ['nu', tcp(M(0x51), M(0x0a), IP, 81, { vid: 10 })],
      ['nt', udp(M(0x60), M(0x0b), IP, 53)],
      ['c', udp(M(0x0c), M(0x50), IP, 53)],
      ['a', udp(M(0x0a), M(0x0b), IP, 54, { vid: 0, pcp: 3 })],
      ['t', udp(M(0x22), BCAST, IP, 67, { vid: 10, pcp: 5 })],
    ],
    traces: [
      ['a', tcp(M(0x0a), M(0x0b), IP, 22)],
      ['t', udp(M(0x22), M(0x77), IP, 67, { vid: 20 })],
      ['nu', udp(M(0x50), M(0x0c), IP, 67)],
    ],
  },
  {
    file: 'taas-mirror.yaml',
    frames: [
      ['vm2', arp('fa:16:3e:00:00:02', '192.0.2.2', '192.0.2.2')],
      ['vm1', tcp('fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', IP, 22)],
      ['p1', tcp('fa:16:3e:00:00:99', 'fa:16:3e:00:00:02', ['192.0.2.99', '192.0.2.2'], 40004)],
    ],
    traces: [
      ['vm1', tcp('fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', IP, 22)],
      ['p1', tcp('fa:16:3e:00:00:99', 'fa:16:3e:00:00:02', ['192.0.2.99', '192.0.2.2'], 40004)],
    ],
  },
  {
    file: 'taas-mirror-fixed.yaml',
    frames: [
      ['vm2', arp('fa:16:3e:00:00:02', '192.0.2.2', '192.0.2.2')],
      ['vm1', tcp('fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', IP, 22)],
      ['p1', tcp('fa:16:3e:00:00:99', 'fa:16:3e:00:00:02', ['192.0.2.99', '192.0.2.2'], 40004)],
    ],
    traces: [['vm1', tcp('fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', IP, 22)]],
  },
  {
    file: 'resubmit-pipeline.yaml',
    frames: [
      ['in1', tcp(M(1), M(2), IP, 80)],
      ['in1', udp(M(1), M(2), IP, 53)],
      ['in1', arp(M(1), '192.0.2.1', '192.0.2.2')],
      ['in2', tcp(M(3), M(4), IP, 443)],
      ['in1', icmp(M(1), M(2), IP)],
      ['in1', tcp(M(1), M(2), IP, 81)],
    ],
    traces: [
      ['in1', tcp(M(1), M(2), IP, 80)],
      ['in1', udp(M(1), M(2), IP, 53)],
      ['in2', tcp(M(3), M(4), IP, 443)],
    ],
  },
  {
    file: 'learn-br-tun.yaml',
    frames: [
      ['vm1', arp(M(0x01), '192.0.2.1', '192.0.2.99')],
      ['fab1', tcp(M(0x99), M(0x01), ['192.0.2.99', '192.0.2.1'], 22)],
      ['vm1', tcp(M(0x01), M(0x99), ['192.0.2.1', '192.0.2.99'], 22)],
      ['vm1', tcp(M(0x01), M(0x98), ['192.0.2.1', '192.0.2.98'], 22)],
      ['fab2', udp(M(0x98), M(0x02), ['192.0.2.98', '192.0.2.2'], 53)],
      ['vm2', udp(M(0x02), M(0x98), ['192.0.2.2', '192.0.2.98'], 53)],
    ],
    traces: [
      ['vm1', tcp(M(0x01), M(0x99), ['192.0.2.1', '192.0.2.99'], 22)],
      ['fab1', tcp(M(0x99), M(0x02), ['192.0.2.99', '192.0.2.2'], 22)],
    ],
  },
];

/** Runs the datapath actions on the frame; outputs as sorted "port:hex" strings. */
function effect(frame: Uint8Array, actionsText: string, names: (dp: number) => string): string[] {
  return odpExecute(frame, parseActions(actionsText)).map((o) => `${names(o.port)}:${hex(o.frame)}`).sort();
}

function modelTrace(host: OvsHost, port: string, frame: Uint8Array): string[] {
  const p = host.port(port);
  if (!p) throw new Error(`no port ${port}`);
  const r = host.translate(p, extractFlow(frame, p.ofport), false);
  return odpExecute(frame, r.actions).map((o) => `${host.portByDp(o.port)?.name ?? o.port}:${hex(o.frame)}`).sort();
}

describe('OVS model vs real Open vSwitch', () => {
  for (const sc of SCENARIOS) {
    it(`${sc.file}: per-port outputs byte-identical, trace datapath actions equivalent`, () => {
      const topo = loadTopology(join(EXAMPLES, sc.file));
      const hostCfg = topo.hosts[0];
      if (hostCfg.kind !== 'ovs') throw new Error('expected an ovs host');
      const model = buildOvsHost(hostCfg);
      const modelOut = new Map<string, string[]>();
      const sb = OvsSandbox.start();
      try {
        sb.build(hostCfg);
        for (const [port, frame] of sc.frames) {
          sb.inject(port, frame);
          for (const o of model.receive(port, frame).outputs) modelOut.set(o.name, [...(modelOut.get(o.name) ?? []), hex(o.frame)]);
        }
        const dpNames = sb.dpPortNames();
        for (const [port, frame] of sc.traces) {
          const bridge = model.port(port)?.bridge.name ?? '';
          const ovs = effect(frame, sb.traceActions(bridge, `in_port=${port}`, frame), (dp) => dpNames.get(dp) ?? String(dp));
          expect(modelTrace(model, port, frame), `trace ${port} ${hex(frame)}`).toEqual(ovs);
        }
        sb.stop();
        const ports = hostCfg.bridges.flatMap((b) => [b.name, ...b.ports.filter((p) => p.type !== 'patch').map((p) => p.name)]);
        for (const name of ports) {
          expect(modelOut.get(name) ?? [], `frames sent on ${name}`).toEqual(sb.txFrames(name).map(hex));
        }
      } finally {
        sb.stop();
        sb.remove();
      }
    }, 60_000);
  }
});
