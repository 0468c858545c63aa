/**
 * Writes the captures of the mtu-mismatch scenario (deterministic), one
 * folder per topology:
 *
 *   pcaps/9000-net/vm1.pcap, vm3.pcap   for topology.yaml (vm3 at MTU 8950 sends large datagrams to vm1 at 1500)
 *   pcaps/1500-net/vm1.pcap, vm3.pcap   for topology-reverse.yaml (vm1 at MTU 8950 sends large datagrams to vm3)
 *
 * Run: node --import tsx examples/mtu-mismatch/generate.ts
 * Each conversation, in timestamp order (1700000000 + milliseconds); BIG is the VM at MTU 8950, SMALL the other:
 *   .000 SMALL ARP who-has BIG            .001 BIG ARP reply
 *   .002 BIG   UDP 40000 > 9, 8000 bytes, DF (inner IP 8028, VXLAN outer IP 8078)
 *   .003 BIG   UDP 40000 > 9, 1400 bytes, DF (inner IP 1428, outer 1478)
 *   .004 SMALL UDP 9 > 40000, 100 bytes (a reply that always fits)
 */
import { join } from 'node:path';

import { buildFrame, type Header } from '../../src/packet/frame-builder.js';
import { writePortCaptures } from '../neutron-vxlan/generate.js';

const VM = {
  vm1: { mac: 'fa:16:3e:00:00:01', ip: '192.0.2.1' },
  vm3: { mac: 'fa:16:3e:00:00:03', ip: '192.0.2.3' },
} as const;
type Vm = keyof typeof VM;

const payload = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
const eth = (a: Vm, b: Vm): Header => ({ eth: { src: VM[a].mac, dst: VM[b].mac } });
const udp = (a: Vm, b: Vm, id: number, sport: number, dport: number, n: number): Uint8Array =>
  buildFrame([eth(a, b), { ipv4: { src: VM[a].ip, dst: VM[b].ip, proto: 17, id, df: true, ttl: 64 } }, { udp: { sport, dport } }], payload(n, id & 0xff));

/** [milliseconds, injecting VM, frame] with `big` the VM at MTU 8950. */
export function conversation(big: Vm, small: Vm): [number, Vm, Uint8Array][] {
  return [
    [0, small, buildFrame([{ eth: { src: VM[small].mac, dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: VM[small].mac, spa: VM[small].ip, tha: '00:00:00:00:00:00', tpa: VM[big].ip } }])],
    [1, big, buildFrame([eth(big, small), { arp: { op: 2, sha: VM[big].mac, spa: VM[big].ip, tha: VM[small].mac, tpa: VM[small].ip } }])],
    [2, big, udp(big, small, 0x2001, 40000, 9, 8000)],
    [3, big, udp(big, small, 0x2002, 40000, 9, 1400)],
    [4, small, udp(small, big, 0x3001, 9, 40000, 100)],
  ];
}

/** Writes pcaps/{9000-net,1500-net}/<vm>.pcap under `dir` (default: this scenario's pcaps/). */
export async function writeCaptures(dir = join(import.meta.dirname, 'pcaps')): Promise<void> {
  for (const [sub, big, small] of [['9000-net', 'vm3', 'vm1'], ['1500-net', 'vm1', 'vm3']] as [string, Vm, Vm][]) {
    await writePortCaptures(join(dir, sub), ['vm1', 'vm3'], conversation(big, small));
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await writeCaptures();
