/**
 * Writes the captures of the taas-mirror scenario (deterministic: fixed
 * addresses, ports and timestamps), one per port where they are injected:
 *
 *   pcaps/vm1.pcap  compute1:vm1    pcaps/vm2.pcap  compute1:vm2    pcaps/p1.pcap  compute1:p1 (br-tun's tunnel side)
 *
 * Run: node --import tsx examples/taas-mirror/generate.ts
 * The conversation, in timestamp order (1700000000 + milliseconds):
 *   .000 vm2  ARP who-has 192.0.2.1 (broadcast: br-int learns vm2 on its port)
 *   .001 vm1  TCP SYN 192.0.2.1:40001 > 192.0.2.2:22   same host, access port to access port (VLAN 1, untagged in the pipeline)
 *   .002 p1   TCP SYN 192.0.2.99:40004 > 192.0.2.2:22  from the tunnel side: br-tun tags it VLAN 1 towards br-int
 *   .003 vm1  UDP 192.0.2.1:40002 > 192.0.2.2:9        same host again
 */
import { join } from 'node:path';

import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { writePortCaptures } from '../neutron-vxlan/generate.js';

const VM1 = { mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' };
const VM2 = { mac: 'fa:16:3e:00:00:02', ip: '192.0.2.2' };
const REMOTE = { mac: 'fa:16:3e:00:00:99', ip: '192.0.2.99' };
type Port = 'vm1' | 'vm2' | 'p1';

const eth = (src: string, dst: string): Header => ({ eth: { src, dst } });
const ip = (src: string, dst: string, proto: number, id: number): Header => ({ ipv4: { src, dst, proto, id, df: true, ttl: 64 } });

/** [milliseconds, injecting port, frame] */
export const CONVERSATION: [number, Port, Uint8Array][] = [
  [0, 'vm2', buildFrame([eth(VM2.mac, 'ff:ff:ff:ff:ff:ff'), { arp: { op: 1, sha: VM2.mac, spa: VM2.ip, tha: '00:00:00:00:00:00', tpa: VM1.ip } }])],
  [1, 'vm1', buildFrame([eth(VM1.mac, VM2.mac), ip(VM1.ip, VM2.ip, 6, 0x1001), { tcp: { sport: 40001, dport: 22, seq: 1000, flags: TCP.SYN, window: 64240 } }])],
  [2, 'p1', buildFrame([eth(REMOTE.mac, VM2.mac), ip(REMOTE.ip, VM2.ip, 6, 0x9901), { tcp: { sport: 40004, dport: 22, seq: 9000, flags: TCP.SYN, window: 64240 } }])],
  [3, 'vm1', buildFrame([eth(VM1.mac, VM2.mac), ip(VM1.ip, VM2.ip, 17, 0x1002), { udp: { sport: 40002, dport: 9 } }], Array.from({ length: 32 }, (_, i) => i))],
];

/** Writes pcaps/<port>.pcap under `dir` (default: this scenario's pcaps/). */
export async function writeCaptures(dir = join(import.meta.dirname, 'pcaps')): Promise<void> {
  await writePortCaptures(dir, ['vm1', 'vm2', 'p1'], CONVERSATION);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await writeCaptures();
