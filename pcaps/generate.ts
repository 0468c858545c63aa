/**
 * Generates the captures shipped in pcaps/ (deterministic: same bytes every
 * run). Run `npm run pcaps` after changing it, and review what changed with
 * `vswitch-sim inspect`. Addresses are documentation ranges only
 * (192.0.2.0/24, 198.18.0.0/15, 2001:db8::/32).
 *
 * demo.pcap: one or two frames of everything the parser knows, plus the
 * faults `inspect` must name: a partial (offloaded) checksum, bad checksums,
 * a TSO frame with IPv4 total length 0, a snaplen-truncated frame, malformed
 * headers, IPv4 fragments and an ICMP error quoting a packet.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PcapWriter } from '../src/pcap/index.js';
import { TCP, buildFrame, type Header } from '../src/packet/frame-builder.js';

const here = dirname(fileURLToPath(import.meta.url));

const VM1 = '02:00:5e:00:00:01';
const VM2 = '02:00:5e:00:00:02';
const HOST1 = '02:00:5e:00:01:01';
const HOST2 = '02:00:5e:00:01:02';
const eth = (src = VM1, dst = VM2, type?: number): Header => ({ eth: { src, dst, ...(type ? { type } : {}) } });
const ip = (src: string, dst: string, extra: object = {}): Header => ({ ipv4: { src, dst, ttl: 64, id: 0x1000, df: true, ...extra } });
const payload = (n: number, seed = 1): number[] => Array.from({ length: n }, (_, k) => (k * 7 + seed) & 0xff);

interface DemoFrame {
  note: string;
  bytes: Uint8Array;
  /** Write only this many bytes (a snaplen cut); the wire length stays the frame's. */
  caplen?: number;
}

function demoFrames(): DemoFrame[] {
  const outer = (v6 = false): Header[] =>
    v6
      ? [eth(HOST1, HOST2), { ipv6: { src: '2001:db8:100::1', dst: '2001:db8:100::2' } }]
      : [eth(HOST1, HOST2), ip('198.18.0.1', '198.18.0.2', { id: 0x2000, df: false })];
  const innerTcp: Header[] = [eth(), ip('192.0.2.10', '192.0.2.20'), { tcp: { sport: 40000, dport: 80, seq: 1, flags: TCP.PSH | TCP.ACK } }];
  const f = (note: string, headers: Header[], body: number[] = []): DemoFrame => ({ note, bytes: buildFrame(headers, body) });
  return [
    f('ARP request', [eth(VM1, 'ff:ff:ff:ff:ff:ff'), { arp: { op: 1, sha: VM1, spa: '192.0.2.10', tha: '00:00:00:00:00:00', tpa: '192.0.2.20' } }]),
    f('ARP reply', [eth(VM2, VM1), { arp: { op: 2, sha: VM2, spa: '192.0.2.20', tha: VM1, tpa: '192.0.2.10' } }]),
    f('ICMP echo request', [eth(), ip('192.0.2.10', '192.0.2.20'), { icmp: { type: 8, code: 0, rest: 0x00010001 } }], payload(56)),
    f('ICMP echo reply', [eth(VM2, VM1), ip('192.0.2.20', '192.0.2.10'), { icmp: { type: 0, code: 0, rest: 0x00010001 } }], payload(56)),
    f('TCP SYN with MSS option', [eth(), ip('192.0.2.10', '192.0.2.20'), { tcp: { sport: 40000, dport: 80, flags: TCP.SYN, options: [2, 4, 0x05, 0xb4] } }]),
    f('UDP datagram', [eth(), ip('192.0.2.10', '192.0.2.20'), { udp: { sport: 5353, dport: 53 } }], payload(40)),
    f('IPv6 TCP through hop-by-hop and routing headers (pseudo-header uses the final destination)', [
      eth(),
      { ipv6: { src: '2001:db8::10', dst: '2001:db8::20' } },
      { ipv6ext: { type: 0, body: [] } },
      { ipv6ext: { type: 43, routingType: 0, segmentsLeft: 1, addresses: ['2001:db8::99'] } },
      { tcp: { sport: 40000, dport: 443, flags: TCP.ACK } },
    ], payload(20)),
    f('ICMPv6 echo request', [eth(), { ipv6: { src: '2001:db8::10', dst: '2001:db8::20' } }, { icmpv6: { type: 128, code: 0, rest: 0x00070001 } }], payload(32)),
    f('QinQ (802.1ad outer, 802.1Q inner) UDP', [eth(VM1, VM2, 0x88a8), { vlan: { vid: 100, type: 0x8100 } }, { vlan: { vid: 200 } }, ip('192.0.2.10', '192.0.2.20'), { udp: { sport: 1000, dport: 2000 } }], payload(20)),
    f('VXLAN over IPv4, outer UDP checksum zero', [...outer(), { udp: { sport: 49152, dport: 4789, csum: 'zero' } }, { vxlan: { vni: 5001 } }, ...innerTcp], payload(64)),
    f('VXLAN over IPv6, outer UDP checksum computed', [...outer(true), { udp: { sport: 49153, dport: 4789 } }, { vxlan: { vni: 5002 } }, ...innerTcp], payload(64)),
    f('MPLS over UDP, two labels, inner IPv4', [...outer(), { udp: { sport: 50000, dport: 6635, csum: 'zero' } }, { mpls: { labels: [{ label: 17 }, { label: 42 }] } }, ip('192.0.2.10', '192.0.2.20'), { icmp: { type: 8, code: 0, rest: 0x00020001 } }], payload(32)),
    f('MPLS over GRE with key, inner IPv4 UDP', [...outer(), { gre: { proto: 0x8847, key: 7 } }, { mpls: { labels: [{ label: 33 }] } }, ip('192.0.2.10', '192.0.2.20'), { udp: { sport: 1000, dport: 2000 } }], payload(24)),
    f('Geneve, inner Ethernet', [...outer(), { udp: { sport: 50001, dport: 6081, csum: 'zero' } }, { geneve: { vni: 77 } }, ...innerTcp], payload(16)),
    f('TCP with a partial checksum (guest checksum offload, captured on the tap)', [eth(), ip('192.0.2.10', '192.0.2.20'), { tcp: { sport: 40000, dport: 80, flags: TCP.ACK, csum: 'partial' } }], payload(100)),
    f('bad IPv4 header checksum', [eth(), ip('192.0.2.10', '192.0.2.20', { csum: 'bad' }), { udp: { sport: 1, dport: 2 } }], payload(8)),
    f('bad TCP checksum', [eth(), ip('192.0.2.10', '192.0.2.20'), { tcp: { sport: 40000, dport: 80, flags: TCP.ACK, csum: 'bad' } }], payload(10)),
    f('TSO super-frame: IPv4 total length 0, partial TCP checksum', [eth(), ip('192.0.2.10', '192.0.2.20', { totalLength: 0 }), { tcp: { sport: 40000, dport: 80, flags: TCP.ACK, csum: 'partial' } }], payload(3000)),
    { ...f('snaplen-truncated TCP frame (96 of its bytes captured)', [eth(), ip('192.0.2.10', '192.0.2.20'), { tcp: { sport: 40000, dport: 80, flags: TCP.ACK } }], payload(1460)), caplen: 96 },
    f('malformed: IPv4 header length 12 bytes', [eth(), ip('192.0.2.10', '192.0.2.20')], payload(20)),
    f('malformed: UDP length beyond the IP payload', [eth(), ip('192.0.2.10', '192.0.2.20'), { udp: { sport: 1, dport: 2 } }], payload(8)),
    f('IPv4 first fragment (UDP)', [eth(), ip('192.0.2.10', '192.0.2.20', { df: false, mf: true, id: 0x4242, proto: 17 })], [...buildFrame([ip('192.0.2.10', '192.0.2.20'), { udp: { sport: 7, dport: 9 } }], payload(48)).subarray(20, 20 + 24)]),
    f('IPv4 last fragment', [eth(), ip('192.0.2.10', '192.0.2.20', { df: false, fragOffset: 24, id: 0x4242, proto: 17 })], payload(32, 2)),
    f('ICMP fragmentation needed (MTU 1450) quoting the too-big packet', [eth(VM2, VM1), ip('192.0.2.1', '192.0.2.10'), { icmp: { type: 3, code: 4, rest: 1450 } }], [...buildFrame([ip('192.0.2.10', '192.0.2.20', { totalLength: 1500 }), { udp: { sport: 1000, dport: 2000, csum: 'zero' } }], [])]),
    f('UDP over IPv6 with a zero checksum', [eth(), { ipv6: { src: '2001:db8::10', dst: '2001:db8::20' } }, { udp: { sport: 1000, dport: 2000, csum: 'zero' } }], payload(16)),
  ].map((fr, k) => (k === 19 ? { ...fr, bytes: withIhl(fr.bytes, 3) } : k === 20 ? { ...fr, bytes: withUdpLength(fr.bytes, 200) } : fr));
}

/** Rewrites the IPv4 IHL of a frame with a plain Ethernet header. */
function withIhl(frame: Uint8Array, ihlWords: number): Uint8Array {
  const out = frame.slice();
  out[14] = 0x40 | ihlWords;
  return out;
}

/** Rewrites the UDP length of an Ethernet/IPv4(20)/UDP frame. */
function withUdpLength(frame: Uint8Array, len: number): Uint8Array {
  const out = frame.slice();
  out[38] = len >> 8;
  out[39] = len & 0xff;
  return out;
}

export const DEMO_NOTES = demoFrames().map((f) => f.note);

async function writeDemo(path: string): Promise<void> {
  const out = await PcapWriter.create(path, { linkType: 1 });
  const t0 = 1_700_000_000;
  for (const [k, fr] of demoFrames().entries()) {
    const data = fr.caplen ? fr.bytes.subarray(0, fr.caplen) : fr.bytes;
    await out.write(data, t0, k * 1_000_000, fr.bytes.length);
  }
  await out.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeDemo(join(here, 'demo.pcap'));
  console.log(`wrote ${join(here, 'demo.pcap')}`);
}
