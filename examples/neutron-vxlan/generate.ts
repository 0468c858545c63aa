/**
 * Writes the captures of the neutron-vxlan scenario (deterministic: fixed
 * addresses, ports and timestamps), one per VM port where they are injected:
 *
 *   pcaps/vm1.pcap  compute1:vm1    pcaps/vm2.pcap  compute1:vm2    pcaps/vm3.pcap  compute2:vm3
 *   pcaps/vm4.pcap  compute1:vm4    pcaps/vm5.pcap  compute2:vm5    (vm4, vm5: the second network)
 *
 * Run: node --import tsx examples/neutron-vxlan/generate.ts
 * The conversation, in timestamp order (1700000000 + milliseconds):
 *   .000 vm3  ARP who-has 192.0.2.1 (broadcast: crosses the tunnel, flooded on compute1)
 *   .001 vm1  ARP reply to vm3           .002 vm1  ICMP echo request to vm3
 *   .003 vm3  ICMP echo reply to vm1     .004 vm1  UDP 40000 > 9 (discard) to vm2 (vm2 not learned yet: flooded, vm3 gets a copy too)
 *   .005 vm2  UDP 9 > 40000 to vm1       .006 vm1  TCP SYN to vm2:80
 *   .007 vm2  TCP SYN-ACK to vm1         .008 vm3  TCP SYN to vm2:22 (l2pop entry on compute2 -> tunnel)
 *   .009 vm4  ARP who-has 198.51.100.5 (broadcast on net2: reaches vm5 only, VNI 200)
 *   .010 vm5  ARP reply to vm4           .011 vm4  UDP 40001 > 9 to vm5
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { PcapWriter } from '../../src/pcap/pcap-writer.js';

const VM = {
  vm1: { mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' },
  vm2: { mac: 'fa:16:3e:00:00:02', ip: '192.0.2.2' },
  vm3: { mac: 'fa:16:3e:00:00:03', ip: '192.0.2.3' },
  vm4: { mac: 'fa:16:3e:00:00:04', ip: '198.51.100.4' },
  vm5: { mac: 'fa:16:3e:00:00:05', ip: '198.51.100.5' },
} as const;
type Vm = keyof typeof VM;

const payload = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
const ip = (a: Vm, b: Vm, proto: number, id: number): Header => ({ ipv4: { src: VM[a].ip, dst: VM[b].ip, proto, id, df: true, ttl: 64 } });
const eth = (a: Vm, b: Vm | 'broadcast'): Header => ({ eth: { src: VM[a].mac, dst: b === 'broadcast' ? 'ff:ff:ff:ff:ff:ff' : VM[b].mac } });

/** [milliseconds, injecting VM, frame] */
export const CONVERSATION: [number, Vm, Uint8Array][] = [
  [0, 'vm3', buildFrame([eth('vm3', 'broadcast'), { arp: { op: 1, sha: VM.vm3.mac, spa: VM.vm3.ip, tha: '00:00:00:00:00:00', tpa: VM.vm1.ip } }])],
  [1, 'vm1', buildFrame([eth('vm1', 'vm3'), { arp: { op: 2, sha: VM.vm1.mac, spa: VM.vm1.ip, tha: VM.vm3.mac, tpa: VM.vm3.ip } }])],
  [2, 'vm1', buildFrame([eth('vm1', 'vm3'), ip('vm1', 'vm3', 1, 0x1001), { icmp: { type: 8, code: 0, rest: 0x00420001 } }], payload(56, 1))],
  [3, 'vm3', buildFrame([eth('vm3', 'vm1'), ip('vm3', 'vm1', 1, 0x3001), { icmp: { type: 0, code: 0, rest: 0x00420001 } }], payload(56, 1))],
  [4, 'vm1', buildFrame([eth('vm1', 'vm2'), ip('vm1', 'vm2', 17, 0x1002), { udp: { sport: 40000, dport: 9 } }], payload(40, 2))],
  [5, 'vm2', buildFrame([eth('vm2', 'vm1'), ip('vm2', 'vm1', 17, 0x2001), { udp: { sport: 9, dport: 40000 } }], payload(80, 3))],
  [6, 'vm1', buildFrame([eth('vm1', 'vm2'), ip('vm1', 'vm2', 6, 0x1003), { tcp: { sport: 41000, dport: 80, seq: 1000, flags: TCP.SYN, window: 64240 } }])],
  [7, 'vm2', buildFrame([eth('vm2', 'vm1'), ip('vm2', 'vm1', 6, 0x2002), { tcp: { sport: 80, dport: 41000, seq: 5000, ack: 1001, flags: TCP.SYN | TCP.ACK, window: 65160 } }])],
  [8, 'vm3', buildFrame([eth('vm3', 'vm2'), ip('vm3', 'vm2', 6, 0x3002), { tcp: { sport: 42000, dport: 22, seq: 7000, flags: TCP.SYN, window: 64240 } }])],
  [9, 'vm4', buildFrame([eth('vm4', 'broadcast'), { arp: { op: 1, sha: VM.vm4.mac, spa: VM.vm4.ip, tha: '00:00:00:00:00:00', tpa: VM.vm5.ip } }])],
  [10, 'vm5', buildFrame([eth('vm5', 'vm4'), { arp: { op: 2, sha: VM.vm5.mac, spa: VM.vm5.ip, tha: VM.vm4.mac, tpa: VM.vm4.ip } }])],
  [11, 'vm4', buildFrame([eth('vm4', 'vm5'), ip('vm4', 'vm5', 17, 0x4001), { udp: { sport: 40001, dport: 9 } }], payload(24, 4))],
];

/** Writes pcaps/<vm>.pcap under `dir` (default: this scenario's pcaps/). */
export async function writeCaptures(dir = join(import.meta.dirname, 'pcaps')): Promise<void> {
  await writePortCaptures(dir, Object.keys(VM) as Vm[], CONVERSATION);
}

/**
 * Writes `dir`/<port>.pcap for each of `ports` (creating `dir`): the frames of
 * `conversation` that port injects, in order, at 1700000000 s + their
 * milliseconds. Shared by the scenario generators.
 */
export async function writePortCaptures<P extends string>(dir: string, ports: readonly P[], conversation: readonly (readonly [number, P, Uint8Array])[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const port of ports) {
    const w = await PcapWriter.create(join(dir, `${port}.pcap`));
    for (const [ms, who, frame] of conversation) if (who === port) await w.write(frame, 1700000000, ms * 1e6);
    await w.close();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await writeCaptures();
