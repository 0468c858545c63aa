/**
 * Writes the captures of the offload-faults scenario (deterministic), one
 * per VM port where they are injected:
 *
 *   pcaps/vm1.pcap  compute1:vm1 (guest checksum offload and TSO on, MTU 1450)
 *   pcaps/vm3.pcap  compute2:vm3
 *
 * A capture on a tap holds what the guest handed over: with checksum
 * offload, TCP/UDP checksum fields hold the pseudo-header sum (tcpdump:
 * "incorrect"), and with TSO a TCP frame may be larger than the MTU (a
 * super-frame the host segments: gso_size = MTU 1450 - 40 = 1410 here,
 * the frame has no MSS option).
 *
 * Run: node --import tsx examples/offload-faults/generate.ts
 * The conversation, in timestamp order (1700000000 + milliseconds):
 *   .000 vm3  ARP who-has 192.0.2.1 (compute1 learns vm3 behind the tunnel)
 *   .001 vm1  ARP reply
 *   .002 vm1  TCP 41000 > 80 [PA] seq 1, 4230 bytes (inner IP 4270): a TSO super-frame -> 3 segments of 1410, partial checksum
 *   .003 vm1  UDP 40000 > 9, 200 bytes, partial checksum
 *   .004 vm1  TCP 41000 > 80 [PA] seq 4231, 100 bytes, partial checksum
 *   .005 vm3  TCP 80 > 41000 [A] ack 4331 (full checksum: vm3 has no offloads)
 */
import { join } from 'node:path';

import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { writePortCaptures } from '../neutron-vxlan/generate.js';

const VM1 = { mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' };
const VM3 = { mac: 'fa:16:3e:00:00:03', ip: '192.0.2.3' };
type Vm = 'vm1' | 'vm3';

const payload = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (seed + i * 13) & 0xff);
const eth = (a: typeof VM1, b: typeof VM1): Header => ({ eth: { src: a.mac, dst: b.mac } });
const ip = (a: typeof VM1, b: typeof VM1, proto: number, id: number): Header => ({ ipv4: { src: a.ip, dst: b.ip, proto, id, df: true, ttl: 64 } });

/** [milliseconds, injecting VM, frame] */
export const CONVERSATION: [number, Vm, Uint8Array][] = [
  [0, 'vm3', buildFrame([{ eth: { src: VM3.mac, dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: VM3.mac, spa: VM3.ip, tha: '00:00:00:00:00:00', tpa: VM1.ip } }])],
  [1, 'vm1', buildFrame([eth(VM1, VM3), { arp: { op: 2, sha: VM1.mac, spa: VM1.ip, tha: VM3.mac, tpa: VM3.ip } }])],
  [2, 'vm1', buildFrame([eth(VM1, VM3), ip(VM1, VM3, 6, 0x1001), { tcp: { sport: 41000, dport: 80, seq: 1, ack: 1, flags: TCP.PSH | TCP.ACK, window: 502, csum: 'partial' } }], payload(4230, 1))],
  [3, 'vm1', buildFrame([eth(VM1, VM3), ip(VM1, VM3, 17, 0x1002), { udp: { sport: 40000, dport: 9, csum: 'partial' } }], payload(200, 2))],
  [4, 'vm1', buildFrame([eth(VM1, VM3), ip(VM1, VM3, 6, 0x1003), { tcp: { sport: 41000, dport: 80, seq: 4231, ack: 1, flags: TCP.PSH | TCP.ACK, window: 502, csum: 'partial' } }], payload(100, 3))],
  [5, 'vm3', buildFrame([eth(VM3, VM1), ip(VM3, VM1, 6, 0x3001), { tcp: { sport: 80, dport: 41000, seq: 1, ack: 4331, flags: TCP.ACK, window: 4096 } }])],
];

/** Writes pcaps/<vm>.pcap under `dir` (default: this scenario's pcaps/). */
export async function writeCaptures(dir = join(import.meta.dirname, 'pcaps')): Promise<void> {
  await writePortCaptures(dir, ['vm1', 'vm3'], CONVERSATION);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await writeCaptures();
