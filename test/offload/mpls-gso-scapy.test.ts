/**
 * Tunnel GSO inside MPLSoUDP and MPLSoGRE against scapy (test/oracle/
 * scapy_gso.py builds every expected segment from the super-packet's fields;
 * the Linux kernel oracle has no MPLS tunnels). Two paths must both give
 * scapy's frames byte for byte:
 *  - tunnel GSO: the super-packet is encapsulated first (src/tunnel encap),
 *    then segmented (inner TCP cut, outer headers copied and fixed per segment);
 *  - the offload pipeline (`linux` profile): inner segmented, then each segment encapsulated.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { encodeVirtioNetHdr, GsoType, gsoBatch, VIRTIO_NEEDS_CSUM } from '../../src/offload/index.js';
import { runOffloadPipeline } from '../../src/offload/pipeline.js';
import { createParser } from '../../src/packet/parse.js';
import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { encapBatch, type TunnelSpec } from '../../src/tunnel/index.js';
import { batchOf, emptyBatch, framesOf, hex } from '../oracle/linux-oracle.js';

interface Case {
  name: string;
  type: 'mplsoudp' | 'mplsogre';
  outerV6: boolean;
  innerV6: boolean;
  labels: number[];
  greKey?: number;
  udpChecksum: 'zero' | 'compute';
  payload: number;
  mss: number;
  flags: number;
}

const CASES: Case[] = [
  { name: 'MPLSoUDP v4, one label, inner TCPv4 3000 B / MSS 1000, CWR|FIN|PSH|ACK', type: 'mplsoudp', outerV6: false, innerV6: false, labels: [100], udpChecksum: 'zero', payload: 3000, mss: 1000, flags: 0x99 },
  { name: 'MPLSoUDP v6 (UDP checksum per segment), inner TCPv4 2049 B / MSS 512', type: 'mplsoudp', outerV6: true, innerV6: false, labels: [100], udpChecksum: 'compute', payload: 2049, mss: 512, flags: TCP.ACK | TCP.PSH },
  { name: 'MPLSoGRE v4 with key, two labels, inner TCPv6 2500 B / MSS 1200', type: 'mplsogre', outerV6: false, innerV6: true, labels: [100, 200], greKey: 0x1234, udpChecksum: 'zero', payload: 2500, mss: 1200, flags: TCP.ACK | TCP.FIN },
  { name: 'MPLSoGRE v6, one label, inner TCPv4 4000 B / MSS 1448', type: 'mplsogre', outerV6: true, innerV6: false, labels: [300], udpChecksum: 'zero', payload: 4000, mss: 1448, flags: TCP.ACK },
];

const macs = { src: '02:00:00:00:0b:01', dst: '02:00:00:00:0b:02' };
const inner = { v4: ['10.1.0.1', '10.2.0.1'], v6: ['2001:db8:1::1', '2001:db8:2::1'] } as const;
const outer = { v4: ['198.18.0.1', '198.18.0.2'], v6: ['2001:db8:ffff::1', '2001:db8:ffff::2'] } as const;

function superPacket(c: Case): { frame: Uint8Array; vnetHdr: Uint8Array; payload: Uint8Array } {
  const payload = Uint8Array.from({ length: c.payload }, (_, k) => (k * 13 + 5) & 0xff);
  const [src, dst] = c.innerV6 ? inner.v6 : inner.v4;
  const ip: Header = c.innerV6 ? { ipv6: { src, dst, hlim: 64 } } : { ipv4: { src, dst, ttl: 64, id: 0x4321, df: true } };
  const frame = buildFrame([{ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } }, ip, { tcp: { sport: 40000, dport: 5001, seq: 0xfffff000, ack: 7, flags: c.flags, window: 512, csum: 'partial' } }], payload);
  const l4 = c.innerV6 ? 54 : 34;
  const vnetHdr = encodeVirtioNetHdr({ flags: VIRTIO_NEEDS_CSUM, gsoType: c.innerV6 ? GsoType.tcpv6 : GsoType.tcpv4, hdrLen: l4 + 20, gsoSize: c.mss, csumStart: l4, csumOffset: 16 });
  return { frame, vnetHdr, payload };
}

function spec(c: Case): TunnelSpec {
  const [local, remote] = c.outerV6 ? outer.v6 : outer.v4;
  return {
    type: c.type, local, remote, srcMac: macs.src, dstMac: macs.dst, labels: c.labels, payload: 'ip', ttl: 64, mplsTtl: 64,
    ...(c.outerV6 ? {} : { ipId: 'counter' as const, ipIdStart: 0x100, df: 'clear' as const }),
    ...(c.type === 'mplsoudp' ? { srcPort: 49152, udpChecksum: c.udpChecksum } : {}),
    ...(c.greKey !== undefined ? { greKey: c.greKey } : {}),
  };
}

function scapy(cases: Case[]): string[][] {
  const input = cases.map((c) => {
    const [innerSrc, innerDst] = c.innerV6 ? inner.v6 : inner.v4;
    const [local, remote] = c.outerV6 ? outer.v6 : outer.v4;
    return {
      type: c.type, src_mac: macs.src, dst_mac: macs.dst, outer_v6: c.outerV6, local, remote, ttl: 64, ip_id: 0x100,
      udp_sport: 49152, udp_checksum: c.udpChecksum, gre_key: c.greKey ?? null, labels: c.labels, mpls_ttl: 64,
      inner_v6: c.innerV6, inner_src: innerSrc, inner_dst: innerDst, inner_ttl: 64, inner_id: 0x4321,
      sport: 40000, dport: 5001, seq: 0xfffff000, ack: 7, tcp_flags: c.flags, window: 512,
      payload: Buffer.from(superPacket(c).payload).toString('hex'), mss: c.mss,
    };
  });
  const out = execFileSync('/usr/bin/python3', [join(packageRoot(), 'test', 'oracle', 'scapy_gso.py')], { input: JSON.stringify(input), encoding: 'utf8' });
  return JSON.parse(out) as string[][];
}

describe('MPLSoUDP / MPLSoGRE GSO against scapy', () => {
  const expected = scapy(CASES);
  CASES.forEach((c, n) => {
    it(`${c.name}: tunnel GSO (encap, then segment)`, () => {
      const sp = superPacket(c);
      const inb = batchOf([sp.frame], [sp.vnetHdr]);
      encapBatch(inb, spec(c));
      createParser().parse(inb, 1);
      expect(inb.drop[0]).toBe(0);
      const out = emptyBatch(16);
      expect(gsoBatch(inb, out, { profile: 'linux' }).outputFull).toBe(false);
      expect(expected[n].length).toBe(Math.ceil(c.payload / c.mss));
      expect(hex(framesOf(out))).toEqual(expected[n]);
    });
    it(`${c.name}: offload pipeline (segment, then encap)`, () => {
      const sp = superPacket(c);
      const r = runOffloadPipeline([{ frame: sp.frame, vnetHdr: sp.vnetHdr }], {
        profile: 'linux', nic: { ipMtu: 9000, hwCsum: false }, tunnel: spec(c),
        gateway: { mac: new Uint8Array(6), ip4: new Uint8Array(4), ip6: new Uint8Array(16) },
      });
      expect(r.drops).toEqual([]);
      expect(hex(r.wire)).toEqual(expected[n]);
    });
  });
});
