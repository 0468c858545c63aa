/**
 * Writes the captures of the contrail-mplsogre scenario (deterministic: fixed
 * addresses, ports and timestamps), one per port where they are injected:
 *
 *   pcaps/red1.pcap  compute1:tap-red1    pcaps/blue1.pcap  compute1:tap-blue1
 *   pcaps/red2.pcap  compute2:tap-red2    pcaps/blue2.pcap  compute2:tap-blue2
 *   pcaps/fabric2.pcap  compute2:eth0 (frames arriving from the fabric)
 *
 * Run: node --import tsx examples/contrail-mplsogre/generate.ts
 * The conversation, in timestamp order (1700000000 + milliseconds):
 *   .000 red1   ARP who-has 10.1.1.4 (red2, a proxy route: answered with red2's own MAC)
 *   .001 red1   ICMP echo request to red2's MAC (bridged: MPLSoGRE with red2's L2 label 17, Ethernet payload)
 *   .002 red2   ICMP echo reply to red1's MAC (bridged, red1's L2 label 17 on compute1)
 *   .003 red1   TCP SYN to blue2 10.2.2.4:80 via the vRouter MAC (routed: blue2's L3 label 18)
 *   .004 blue2  TCP SYN-ACK to red1 (red1's L3 label 16)
 *   .005 red1   UDP to blue2, 1500-byte IPv4 with DF: more than the overlay MTU (1500 - 28 = 1472):
 *               answered with ICMP "fragmentation needed" (MTU 1472) from the gateway 10.1.1.1
 *   .006 red1   the same datagram without DF: fragmented to 1468 + 52 bytes, each in its own MPLSoGRE packet
 *   .007 red1   ICMPv6 echo request fd00:1::3 > fd00:1::4 (routed; not IPv4: the outer ID comes from the counter)
 *   .008 red2   ICMPv6 echo reply
 *   .009 blue1  ARP who-has 10.2.2.99 (no such VM: the subnet route floods it; compute2's flood label 21)
 *   .010 fabric GRE with the sequence-number flag (S) from compute1 (dropped: vRouter accepts only C and K)
 *   .011 fabric MPLSoGRE from compute1 with label 99, which compute2 never allocated (dropped, invalid_label)
 */
import { join } from 'node:path';

import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { INJECT, VM, VR, writeConversation, type Source, type Vm } from '../contrail-mplsoudp/generate.js';

/** The same VMs, injection points and vRouter MAC as the MPLSoUDP scenario (the same networks, another tunnel). */
export { INJECT, VM, VR };

const payload = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
const eth = (a: Vm, dst: string): Header => ({ eth: { src: VM[a].mac, dst } });
const ip4 = (a: Vm, dst: string, proto: number, id: number, df = false): Header => ({ ipv4: { src: VM[a].ip, dst, proto, id, df, ttl: 64 } });
const ip6 = (a: Vm, dst: string, next: number): Header => ({ ipv6: { src: VM[a].ip6, dst, next, hlim: 64 } });
const arpWhoHas = (a: Vm, tpa: string): Uint8Array =>
  buildFrame([{ eth: { src: VM[a].mac, dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: VM[a].mac, spa: VM[a].ip, tha: '00:00:00:00:00:00', tpa } }]);
/** A frame from compute1's eth0 to compute2's: outer IPv4 / GRE (`gre`) / one MPLS label / an inner IPv4 ping. */
const fromFabric = (gre: { seq?: number }, label: number, id: number): Uint8Array =>
  buildFrame(
    [
      { eth: { src: '02:fa:00:00:00:11', dst: '02:fa:00:00:00:12' } },
      { ipv4: { src: '192.0.2.11', dst: '192.0.2.12', proto: 47, id, ttl: 64 } },
      { gre: { proto: 0x8847, ...gre } },
      { mpls: { labels: [{ label, ttl: 63 }] } },
      { ipv4: { src: VM.red1.ip, dst: VM.red2.ip, proto: 1, id, ttl: 63 } },
      { icmp: { type: 8, code: 0, rest: 0x00510001 } },
    ],
    payload(32, 7),
  );

/** [milliseconds, source capture, frame] */
export const CONVERSATION: [number, Source, Uint8Array][] = [
  [0, 'red1', arpWhoHas('red1', VM.red2.ip)],
  [1, 'red1', buildFrame([eth('red1', VM.red2.mac), ip4('red1', VM.red2.ip, 1, 0x0101), { icmp: { type: 8, code: 0, rest: 0x00410001 } }], payload(48, 1))],
  [2, 'red2', buildFrame([eth('red2', VM.red1.mac), ip4('red2', VM.red1.ip, 1, 0x0201), { icmp: { type: 0, code: 0, rest: 0x00410001 } }], payload(48, 1))],
  [3, 'red1', buildFrame([eth('red1', VR), ip4('red1', VM.blue2.ip, 6, 0x0102, true), { tcp: { sport: 41000, dport: 80, seq: 1000, flags: TCP.SYN, window: 64240 } }])],
  [4, 'blue2', buildFrame([eth('blue2', VR), ip4('blue2', VM.red1.ip, 6, 0x0401, true), { tcp: { sport: 80, dport: 41000, seq: 9000, ack: 1001, flags: TCP.SYN | TCP.ACK, window: 65160 } }])],
  [5, 'red1', buildFrame([eth('red1', VR), ip4('red1', VM.blue2.ip, 17, 0x0103, true), { udp: { sport: 40003, dport: 9 } }], payload(1472, 5))],
  [6, 'red1', buildFrame([eth('red1', VR), ip4('red1', VM.blue2.ip, 17, 0x0104), { udp: { sport: 40003, dport: 9 } }], payload(1472, 6))],
  [7, 'red1', buildFrame([eth('red1', VR), ip6('red1', VM.red2.ip6, 58), { icmpv6: { type: 128, code: 0, rest: 0x00420001 } }], payload(32, 7))],
  [8, 'red2', buildFrame([eth('red2', VR), ip6('red2', VM.red1.ip6, 58), { icmpv6: { type: 129, code: 0, rest: 0x00420001 } }], payload(32, 7))],
  [9, 'blue1', arpWhoHas('blue1', '10.2.2.99')],
  [10, 'fabric2', fromFabric({ seq: 1 }, 16, 0x5001)],
  [11, 'fabric2', fromFabric({}, 99, 0x5002)],
];

/** Writes pcaps/<source>.pcap under `dir` (default: this scenario's pcaps/). */
export async function writeCaptures(dir = join(import.meta.dirname, 'pcaps')): Promise<void> {
  await writeConversation(dir, CONVERSATION);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await writeCaptures();
