/**
 * Offload edges beyond the suite: TCP GSO across IPv6 extension headers, ICMP
 * errors about VLAN-tagged frames, and the receiving host's checksum check.
 * Expected values are derived by hand (noted per case); checksums are judged
 * by tshark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { PcapWriter } from '../../src/pcap/index.js';
import { buildFrame, TCP, type Header } from '../../src/packet/frame-builder.js';
import { checkReceivedChecksums, dropName, gsoBatch, gsoPacket, GsoType, icmpFragNeeded, icmpv6PacketTooBig } from '../../src/offload/index.js';
import { batchOf, emptyBatch, framesOf, mac } from '../oracle/linux-oracle.js';
import { requireTshark, tsharkDecode } from '../oracle/tshark.js';

const work = mkdtempSync(join(tmpdir(), 'vs-offload-edges-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const eth = { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } };
const be16 = (f: Uint8Array, o: number): number => (f[o] << 8) | f[o + 1];

async function tsharkStatuses(frames: Uint8Array[], name: string): Promise<string[][]> {
  requireTshark();
  const file = join(work, `${name}.pcap`);
  const w = await PcapWriter.create(file, { linkType: 1 });
  await w.writeBatch(batchOf(frames));
  await w.close();
  return tsharkDecode(file).map((f) => f.layers.filter((l) => l.status !== undefined).map((l) => `${l.proto}:${l.status}`));
}

describe('TCP GSO over IPv6 extension headers', () => {
  const payload = Uint8Array.from({ length: 2500 }, (_, k) => k & 0xff);
  const v6 = (ext: Header[]): Uint8Array =>
    buildFrame([eth, { ipv6: { src: '2001:db8::1', dst: '2001:db8::2' } }, ...ext, { tcp: { sport: 1, dport: 2, seq: 10, flags: TCP.ACK | TCP.PSH } }], payload);

  it('hop-by-hop + destination options are copied into every segment; lengths and checksums per segment', async () => {
    // Each extension header is 8 bytes (next, length 0, 6 bytes of PadN) -> TCP at 14 + 40 + 16 = 70.
    const frame = v6([{ ipv6ext: { type: 0 } }, { ipv6ext: { type: 60 } }]);
    const inb = batchOf([frame]);
    expect(inb.l4[0]).toBe(70);
    inb.gsoType[0] = GsoType.tcpv6;
    inb.gsoSize[0] = 1000;
    const out = emptyBatch(8);
    expect(gsoPacket(inb, 0, out, {})).toEqual({ drop: 'none', segments: 3 });
    const segs = framesOf(out);
    // payload length = 16 (ext) + 20 (TCP) + 1000 / 1000 / 500
    expect(segs.map((f) => be16(f, 18))).toEqual([1036, 1036, 536]);
    for (const f of segs) expect(Buffer.from(f.subarray(54, 70))).toEqual(Buffer.from(frame.subarray(54, 70)));
    expect(segs.map((f) => new DataView(f.buffer).getUint32(74))).toEqual([10, 1010, 2010]);
    expect(segs.map((f) => f[70 + 13])).toEqual([TCP.ACK, TCP.ACK, TCP.ACK | TCP.PSH]);
    for (const st of await tsharkStatuses(segs, 'v6ext')) expect(st).toEqual(['tcp:good']);
  });

  it('a fragment header in front of TCP refuses the packet (gso_bad_headers)', () => {
    const inb = batchOf([v6([{ ipv6ext: { type: 44 } }])]);
    inb.gsoType[0] = GsoType.tcpv6;
    inb.gsoSize[0] = 1000;
    const out = emptyBatch(8);
    expect(gsoBatch(inb, out).outputFull).toBe(false);
    expect(out.count).toBe(0);
    expect(inb.drop[0]).not.toBe(0);
  });
});

describe('ICMP errors about VLAN-tagged frames keep the tag', () => {
  const opts = { srcMac: mac('00:00:5e:00:01:00'), srcIp: Uint8Array.of(192, 0, 2, 254) };
  it('IPv4 frag-needed: Eth, 802.1Q (same TCI), IPv4, ICMP 3/4; tshark-valid', async () => {
    const frame = buildFrame([eth, { vlan: { vid: 101, pcp: 3 } }, { ipv4: { src: '192.0.2.1', dst: '198.51.100.1', df: true } }, { udp: { sport: 1, dport: 2 } }], new Uint8Array(1472));
    const inb = batchOf([frame]);
    const out = emptyBatch(2);
    icmpFragNeeded(inb, 0, 1400, opts, out);
    const [e] = framesOf(out);
    // TPID 0x8100, TCI = pcp 3 << 13 | 101 = 0x6065, then 0x0800; IP at 18, ICMP at 38.
    expect([be16(e, 12), be16(e, 14), be16(e, 16)]).toEqual([0x8100, 0x6065, 0x0800]);
    expect([e[38], e[39], be16(e, 44)]).toEqual([3, 4, 1400]);
    expect(out.l3[0]).toBe(18);
    expect(e.length).toBe(18 + 576); // quote cut at 576 bytes of IP
    // (tshark also judges the quoted, cut datagram: only the error's own IP and ICMP checksums count)
    expect((await tsharkStatuses([e], 'icmp-vlan'))[0].slice(0, 2)).toEqual(['ip:good', 'icmp:good']);
  });
  it('ICMPv6 Packet Too Big under 802.1ad + 802.1Q: both tags copied', async () => {
    const frame = buildFrame(
      [{ eth: { ...eth.eth, type: 0x88a8 } }, { vlan: { vid: 10 } }, { vlan: { vid: 20 } }, { ipv6: { src: '2001:db8::1', dst: '2001:db8::2' } }, { udp: { sport: 1, dport: 2 } }],
      new Uint8Array(1400),
    );
    const inb = batchOf([frame]);
    const out = emptyBatch(2);
    icmpv6PacketTooBig(inb, 0, 1300, { ...opts, srcIp: new Uint8Array(16).fill(0x20, 0, 1) }, out);
    const [e] = framesOf(out);
    expect([be16(e, 12), be16(e, 14), be16(e, 16), be16(e, 18), be16(e, 20)]).toEqual([0x88a8, 10, 0x8100, 20, 0x86dd]);
    expect([e[62], e[63]]).toEqual([2, 0]);
    expect(e.length).toBe(22 + 1280);
    expect((await tsharkStatuses([e], 'ptb-vlan'))[0].slice(0, 1)).toEqual(['icmpv6:good']);
  });
});

describe('receiving host checksum check', () => {
  const udp6 = (csum: 'auto' | 'zero' | 'partial' | 'bad'): Uint8Array =>
    buildFrame([eth, { ipv6: { src: '2001:db8::1', dst: '2001:db8::2' } }, { udp: { sport: 1, dport: 2, csum } }], new Uint8Array(100).fill(3));
  const udp4 = (csum: 'auto' | 'zero' | 'partial' | 'bad'): Uint8Array =>
    buildFrame([eth, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' } }, { udp: { sport: 1, dport: 2, csum } }], new Uint8Array(100).fill(3));
  it('good passes; bad, still-partial and IPv6 zero UDP are dropped; IPv4 zero UDP ("none") passes', () => {
    const b = batchOf([udp4('auto'), udp4('bad'), udp4('partial'), udp4('zero'), udp6('auto'), udp6('zero'), udp6('bad')]);
    expect(checkReceivedChecksums(b)).toBe(4);
    expect(Array.from(b.drop.subarray(0, 7), (d) => dropName(d))).toEqual(['none', 'bad_l4_checksum', 'bad_l4_checksum', 'none', 'none', 'bad_l4_checksum', 'bad_l4_checksum']);
  });
});
