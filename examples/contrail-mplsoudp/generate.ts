/**
 * Writes the captures of the contrail-mplsoudp scenario (deterministic: fixed
 * addresses, ports and timestamps), one per port where they are injected:
 *
 *   pcaps/red1.pcap  compute1:tap-red1    pcaps/blue1.pcap  compute1:tap-blue1
 *   pcaps/red2.pcap  compute2:tap-red2    pcaps/blue2.pcap  compute2:tap-blue2
 *   pcaps/fabric2.pcap  compute2:eth0 (a frame arriving from the fabric)
 *
 * Run: node --import tsx examples/contrail-mplsoudp/generate.ts
 * The conversation, in timestamp order (1700000000 + milliseconds); VMs send
 * routed traffic to the vRouter MAC 00:00:5e:00:01:00 (their gateway's):
 *   .000 red1   ARP who-has 10.1.1.1 (the gateway: answered by proxy ARP, never leaves compute1)
 *   .001 red1   ICMP echo request to red2 10.1.1.4 (routed, MPLSoUDP label 16 to compute2)
 *   .002 red2   ICMP echo reply to red1          .003 red1  TCP SYN to blue2 10.2.2.4:80 (the policy connects the networks)
 *   .004 blue2  TCP SYN-ACK to red1              .005 red1  ICMPv6 echo request fd00:1::3 > fd00:1::4
 *   .006 red2   ICMPv6 echo reply                .007 blue1 TCP SYN fd00:2::3 > fd00:1::4:22 (IPv6 across the networks)
 *   .008 blue1  ARP who-has 10.2.2.4 (a VM behind a proxy route: answered with blue2's MAC)
 *   .009 blue1  UDP to blue2's MAC (bridged: MPLSoUDP with blue2's L2 label 19, Ethernet payload)
 *   .010 red1   UDP to 198.51.100.7 (no route in red's VRF: dropped, discard)
 *   .011 red1   ICMP echo request to red2 with TTL 1 (dropped, ttl_exceeded)
 *   .012 fabric MPLSoUDP from compute1 with label 99, which compute2 never allocated (dropped, invalid_label)
 */
import { join } from 'node:path';

import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { writePortCaptures } from '../neutron-vxlan/generate.js';

export const VR = '00:00:5e:00:01:00';
export const VM = {
  red1: { mac: '02:00:00:00:01:03', ip: '10.1.1.3', ip6: 'fd00:1::3' },
  red2: { mac: '02:00:00:00:01:04', ip: '10.1.1.4', ip6: 'fd00:1::4' },
  blue1: { mac: '02:00:00:00:02:03', ip: '10.2.2.3', ip6: 'fd00:2::3' },
  blue2: { mac: '02:00:00:00:02:04', ip: '10.2.2.4', ip6: 'fd00:2::4' },
} as const;
export type Vm = keyof typeof VM;
/** Where each capture is injected: [file name, host, port]. */
export const INJECT = [
  ['red1', 'compute1', 'tap-red1'],
  ['blue1', 'compute1', 'tap-blue1'],
  ['red2', 'compute2', 'tap-red2'],
  ['blue2', 'compute2', 'tap-blue2'],
  ['fabric2', 'compute2', 'eth0'],
] as const;
export type Source = (typeof INJECT)[number][0];

const payload = (n: number, seed: number): number[] => Array.from({ length: n }, (_, i) => (seed + i) & 0xff);
const toVr = (a: Vm): Header => ({ eth: { src: VM[a].mac, dst: VR } });
const ip4 = (a: Vm, dst: string, proto: number, id: number, ttl = 64): Header => ({ ipv4: { src: VM[a].ip, dst, proto, id, df: proto === 6, ttl } });
const ip6 = (a: Vm, dst: string, next: number): Header => ({ ipv6: { src: VM[a].ip6, dst, next, hlim: 64 } });
const arpWhoHas = (a: Vm, tpa: string): Uint8Array =>
  buildFrame([{ eth: { src: VM[a].mac, dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: VM[a].mac, spa: VM[a].ip, tha: '00:00:00:00:00:00', tpa } }]);

/** [milliseconds, source capture, frame] */
export const CONVERSATION: [number, Source, Uint8Array][] = [
  [0, 'red1', arpWhoHas('red1', '10.1.1.1')],
  [1, 'red1', buildFrame([toVr('red1'), ip4('red1', VM.red2.ip, 1, 0x0101), { icmp: { type: 8, code: 0, rest: 0x00310001 } }], payload(48, 1))],
  [2, 'red2', buildFrame([toVr('red2'), ip4('red2', VM.red1.ip, 1, 0x0201), { icmp: { type: 0, code: 0, rest: 0x00310001 } }], payload(48, 1))],
  [3, 'red1', buildFrame([toVr('red1'), ip4('red1', VM.blue2.ip, 6, 0x0102), { tcp: { sport: 41000, dport: 80, seq: 1000, flags: TCP.SYN, window: 64240 } }])],
  [4, 'blue2', buildFrame([toVr('blue2'), ip4('blue2', VM.red1.ip, 6, 0x0401), { tcp: { sport: 80, dport: 41000, seq: 9000, ack: 1001, flags: TCP.SYN | TCP.ACK, window: 65160 } }])],
  [5, 'red1', buildFrame([toVr('red1'), ip6('red1', VM.red2.ip6, 58), { icmpv6: { type: 128, code: 0, rest: 0x00320001 } }], payload(32, 5))],
  [6, 'red2', buildFrame([toVr('red2'), ip6('red2', VM.red1.ip6, 58), { icmpv6: { type: 129, code: 0, rest: 0x00320001 } }], payload(32, 5))],
  [7, 'blue1', buildFrame([toVr('blue1'), ip6('blue1', VM.red2.ip6, 6), { tcp: { sport: 42000, dport: 22, seq: 7000, flags: TCP.SYN, window: 64800 } }])],
  [8, 'blue1', arpWhoHas('blue1', VM.blue2.ip)],
  [9, 'blue1', buildFrame([{ eth: { src: VM.blue1.mac, dst: VM.blue2.mac } }, ip4('blue1', VM.blue2.ip, 17, 0x0301), { udp: { sport: 40001, dport: 9 } }], payload(24, 9))],
  [10, 'red1', buildFrame([toVr('red1'), ip4('red1', '198.51.100.7', 17, 0x0103), { udp: { sport: 40002, dport: 53 } }], payload(16, 10))],
  [11, 'red1', buildFrame([toVr('red1'), ip4('red1', VM.red2.ip, 1, 0x0104, 1), { icmp: { type: 8, code: 0, rest: 0x00330001 } }], payload(48, 1))],
  [
    12,
    'fabric2',
    buildFrame(
      [
        { eth: { src: '02:fa:00:00:00:11', dst: '02:fa:00:00:00:12' } },
        { ipv4: { src: '192.0.2.11', dst: '192.0.2.12', proto: 17, id: 0x7777, ttl: 64 } },
        { udp: { sport: 50000, dport: 6635, csum: 'zero' } },
        { mpls: { labels: [{ label: 99, ttl: 63 }] } },
        ip4('red1', VM.red2.ip, 1, 0x0105, 63),
        { icmp: { type: 8, code: 0, rest: 0x00310003 } },
      ],
      payload(48, 1),
    ),
  ],
];

/** Writes one pcap per source of a conversation (at 1700000000 s + its milliseconds) under `dir`. */
export async function writeConversation(dir: string, conversation: readonly (readonly [number, Source, Uint8Array])[]): Promise<void> {
  await writePortCaptures(dir, INJECT.map(([src]) => src), conversation);
}

/** Writes pcaps/<source>.pcap under `dir` (default: this scenario's pcaps/). */
export async function writeCaptures(dir = join(import.meta.dirname, 'pcaps')): Promise<void> {
  await writeConversation(dir, CONVERSATION);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await writeCaptures();
