/**
 * Writes the captures of the vxlan-over-vlan-gso scenario (deterministic):
 *
 *   pcaps/vm1.pcap  compute1:vm1 (checksum offload and TSO, segment size 1398)
 *   pcaps/vm3.pcap  compute2:vm3
 *
 * vm1's super-frame is the Linux oracle's tap input
 * (../shared/oracles/linux/examples/vxlan-gso-v4-noudpcsum/in.pcap: TCP
 * 192.0.2.1:40000 > 192.0.2.2:5001, seq 1000, ack 8192, [PA], window 502,
 * IPv4 ID 0x1234, DF, TTL 64, 20,000 bytes of payload (i & 0xff), partial
 * checksum; the kernel was handed gso_size 1398) with the VMs' MAC
 * addresses, so the segments can be compared with the kernel's byte for byte.
 *
 * Run: node --import tsx examples/vxlan-over-vlan-gso/generate.ts
 *   .000 vm3  ARP who-has 192.0.2.1 (compute1 learns vm3 behind the tunnel)
 *   .001 vm1  the 20,054-byte TSO super-frame
 */
import { join } from 'node:path';

import { buildFrame, TCP } from '../../src/packet/frame-builder.js';
import { writePortCaptures } from '../neutron-vxlan/generate.js';

const VM1 = { mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' };
const VM3 = { mac: 'fa:16:3e:00:00:03', ip: '192.0.2.3' };
type Vm = 'vm1' | 'vm3';

/** The oracle's frame (oracle_pkt.py defaults) from vm1's MAC to vm3's. */
export const SUPER_FRAME = buildFrame(
  [
    { eth: { src: VM1.mac, dst: VM3.mac } },
    { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 6, id: 0x1234, df: true, ttl: 64 } },
    { tcp: { sport: 40000, dport: 5001, seq: 1000, ack: 8192, flags: TCP.PSH | TCP.ACK, window: 502, csum: 'partial' } },
  ],
  Array.from({ length: 20000 }, (_, i) => i & 0xff),
);

/** [milliseconds, injecting VM, frame] */
export const CONVERSATION: [number, Vm, Uint8Array][] = [
  [0, 'vm3', buildFrame([{ eth: { src: VM3.mac, dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: VM3.mac, spa: VM3.ip, tha: '00:00:00:00:00:00', tpa: VM1.ip } }])],
  [1, 'vm1', SUPER_FRAME],
];

/** Writes pcaps/<vm>.pcap under `dir` (default: this scenario's pcaps/). */
export async function writeCaptures(dir = join(import.meta.dirname, 'pcaps')): Promise<void> {
  await writePortCaptures(dir, ['vm1', 'vm3'], CONVERSATION);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await writeCaptures();
