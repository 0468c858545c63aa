/**
 * The offload / MTU edge-case suite at library level (src/offload/pipeline.ts):
 * one case per line of behaviour, each with its input, the expected output
 * and the reason. Inputs are the Linux oracle's frames (../shared/oracles/linux
 * examples); expected values are derived by hand from SEMANTICS.md (noted per
 * case) or are the kernel's own output.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { PacketBatch } from '../../../src/datapath/batch.js';
import { PacketFlag } from '../../../src/datapath/batch-layout.js';
import { createParser } from '../../../src/packet/parse.js';
import { buildFrame, TCP } from '../../../src/packet/frame-builder.js';
import { PcapWriter } from '../../../src/pcap/index.js';
import { encodeVirtioNetHdr, fragmentIpv4, GsoType, Reassembler, VIRTIO_NEEDS_CSUM } from '../../../src/offload/index.js';
import { runOffloadPipeline, type PipelineConfig } from '../../../src/offload/pipeline.js';
import { receiveAtHost } from '../../../src/offload/receive.js';
import { batchOf, emptyBatch, exampleDir, framesOf, hex, mac, readFrames, readInput } from '../../oracle/linux-oracle.js';
import { requireTshark, tsharkDecode } from '../../oracle/tshark.js';

const work = mkdtempSync(join(tmpdir(), 'vs-offload-mtu-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const vxlanRx = { vxlan: { vnis: [100] } };
const vm = { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' };
/** A guest TCP/IPv4 super-packet (partial checksum) with its virtio_net_hdr. */
function tsoFrame(payload: number, gsoSize: number, flags = TCP.ACK | TCP.PSH): { frame: Uint8Array; vnetHdr: Uint8Array } {
  const data = Uint8Array.from({ length: payload }, (_, k) => (k * 7 + 3) & 0xff);
  const frame = buildFrame(
    [{ eth: vm }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', id: 0x1234, df: true } }, { tcp: { sport: 40000, dport: 5001, seq: 1000, ack: 1, flags, csum: 'partial' } }],
    data,
  );
  const vnetHdr = encodeVirtioNetHdr({ flags: VIRTIO_NEEDS_CSUM, gsoType: GsoType.tcpv4, hdrLen: 54, gsoSize, csumStart: 34, csumOffset: 16 });
  return { frame, vnetHdr };
}
/** A guest UDP/IPv4 datagram of `ipLen` bytes, complete checksums. */
function udpFrame(ipLen: number, df = true): Uint8Array {
  return buildFrame([{ eth: vm }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', id: 7, df } }, { udp: { sport: 4000, dport: 5000 } }], new Uint8Array(ipLen - 28).fill(0x5a));
}

const gateway = { mac: mac('00:00:5e:00:01:00'), ip4: Uint8Array.of(192, 0, 2, 254), ip6: Uint8Array.from(Buffer.from('20010db8000100000000000000000001', 'hex')) };
const vxlan = { type: 'vxlan' as const, local: '198.18.0.1', remote: '198.18.0.2', vni: 100, srcPort: 49152 };
const cfg = (over: Partial<PipelineConfig> = {}): PipelineConfig => ({
  profile: 'vrouter',
  nic: { ipMtu: 1500, hwCsum: false },
  tunnel: vxlan,
  gateway,
  ...over,
});
const be16 = (f: Uint8Array, o: number): number => (f[o] << 8) | f[o + 1];
const first = async (name: string): Promise<Uint8Array> => (await readFrames(join(exampleDir(name), 'in.pcap')))[0];

describe('offload-mtu edge cases', () => {
  it('1. 1500-byte DF frame, VXLAN over a 1500 underlay: dropped, ICMP frag-needed mtu 1450 (1500 - 50) from the gateway', async () => {
    const r = runOffloadPipeline([{ frame: await first('frag-needed-v4') }], cfg());
    expect(r.wire).toEqual([]);
    expect(r.drops).toEqual([{ input: 0, reason: 'mtu_exceeded_df' }]);
    expect(r.toGuest.length).toBe(1);
    const icmp = r.toGuest[0];
    expect([icmp[34], icmp[35], be16(icmp, 40)]).toEqual([3, 4, 1450]);
    expect([...icmp.subarray(26, 34)]).toEqual([192, 0, 2, 254, 192, 0, 2, 1]);
  });

  it('2. the same with DF clear: inner fragments (1444 + 76 bytes, as Linux mtu-vxlan), each encapsulated', async () => {
    const r = runOffloadPipeline([{ frame: await first('fragment-v4') }], cfg({ profile: 'linux' }));
    expect(r.drops).toEqual([]);
    // (1450 - 20) & ~7 = 1424 data bytes + 20 = 1444; 1480 - 1424 = 56 + 20 = 76.
    expect(r.wire.map((f) => be16(f, 50 + 16))).toEqual([1444, 76]);
    for (const f of r.wire) expect(be16(f, 16)).toBeLessThanOrEqual(1500);
  });

  it('3. TSO super-packet over VXLAN (vRouter): gso_size shrunk so every segment + 50 bytes fits 1500', async () => {
    const input = await readInput(exampleDir('gso-bridge-v4'));
    const r = runOffloadPipeline([{ frame: input.frame, vnetHdr: input.vnetHdr }], cfg());
    // segment IP length at MSS 1448 would be 1488 > 1450: gso_size 1448 - 38 = 1410 -> ceil(20000 / 1410) = 15 segments.
    expect(r.wire.length).toBe(15);
    r.wire.forEach((f, k) => {
      expect(be16(f, 16)).toBe(k < 14 ? 1500 : 20 + 8 + 8 + 14 + 40 + (20000 - 14 * 1410));
      expect(new DataView(f.buffer).getUint32(50 + 34 + 4)).toBe(1000 + 1410 * k); // inner seq
      expect(be16(f, 50 + 18)).toBe(0x1234 + k); // inner IPv4 ID
    });
  });

  it('5. IPv6 inner: Packet Too Big, never below 1280 (underlay 1300 -> inner 1250 -> 1280)', async () => {
    const r = runOffloadPipeline([{ frame: await first('ptb-v6') }], cfg({ nic: { ipMtu: 1300, hwCsum: false } }));
    expect(r.drops).toEqual([{ input: 0, reason: 'mtu_exceeded_ipv6' }]);
    const p = r.toGuest[0];
    expect([p[54], p[55]]).toEqual([2, 0]);
    expect(new DataView(p.buffer).getUint32(58)).toBe(1280);
    expect(p.length).toBe(14 + 1280);
  });

  it('6. payload = MSS passes as one frame; MSS + 1 makes two', async () => {
    const input = await readInput(exampleDir('gso-bridge-v4'));
    const hdr = Uint8Array.from(input.vnetHdr);
    const plain = cfg({ tunnel: undefined, profile: 'linux', nic: { ipMtu: 65535, hwCsum: false } });
    hdr[4] = 20000 & 0xff;
    hdr[5] = 20000 >> 8;
    expect(runOffloadPipeline([{ frame: input.frame, vnetHdr: hdr }], plain).wire.length).toBe(1);
    hdr[4] = 19999 & 0xff;
    hdr[5] = 19999 >> 8;
    expect(runOffloadPipeline([{ frame: input.frame, vnetHdr: hdr }], plain).wire.length).toBe(2);
  });

  for (const hwCsum of [false, true]) {
    it(`7. partial checksum, NIC ${hwCsum ? 'with HW_CSUM: completed by the NIC model' : 'without HW_CSUM: completed in software'} (= Linux's frame)`, async () => {
      const dir = exampleDir('csum-complete');
      const input = await readInput(dir, 'in-tcp4');
      const r = runOffloadPipeline([{ frame: input.frame, vnetHdr: input.vnetHdr }], cfg({ tunnel: undefined, nic: { ipMtu: 1500, hwCsum } }));
      expect(hex(r.wire)).toEqual(hex(await readFrames(join(dir, 'out-tcp4.pcap'))));
      expect(r.faulted).toEqual([]);
    });
  }

  it('8. bad-hw-csum fault: the receiving host drops bad_l4_checksum, and the report names the fault', async () => {
    const dir = exampleDir('csum-complete');
    const input = await readInput(dir, 'in-tcp4');
    const r = runOffloadPipeline(
      [{ frame: input.frame, vnetHdr: input.vnetHdr }],
      cfg({ tunnel: undefined, nic: { ipMtu: 1500, hwCsum: true, faults: ['bad-hw-csum'] } }),
    );
    const [good] = await readFrames(join(dir, 'out-tcp4.pcap'));
    expect(r.faulted).toEqual([0]);
    expect(r.faults).toEqual([{ wire: 0, fault: 'bad-hw-csum' }]);
    expect(be16(r.wire[0], 50)).not.toBe(be16(good, 50));
    expect(hex([r.wire[0].subarray(0, 50)])).toEqual(hex([good.subarray(0, 50)]));
    expect(receiveAtHost(r.wire)).toMatchObject({ delivered: [], drops: [{ input: 0, reason: 'bad_l4_checksum' }] });
    // Control: the same NIC without the fault delivers Linux's frame.
    const ok = runOffloadPipeline([{ frame: input.frame, vnetHdr: input.vnetHdr }], cfg({ tunnel: undefined, nic: { ipMtu: 1500, hwCsum: true } }));
    expect(hex(receiveAtHost(ok.wire).delivered)).toEqual(hex([good]));
  });

  it('8b. nested-mplsogre-csum fault: only MPLSoGRE frames are wrong, marked, and dropped by the receiver', () => {
    const t = tsoFrame(3000, 1000);
    const mplsogre = { type: 'mplsogre' as const, local: '198.18.0.1', remote: '198.18.0.2', labels: [100] };
    const nic = { ipMtu: 1500, hwCsum: true, faults: ['nested-mplsogre-csum' as const] };
    const r = runOffloadPipeline([t], cfg({ tunnel: mplsogre, nic }));
    expect(r.wire.length).toBe(3); // 3000 / 1000
    expect(r.faults).toEqual([0, 1, 2].map((wire) => ({ wire, fault: 'nested-mplsogre-csum' })));
    const rx = receiveAtHost(r.wire, { decap: { mplsogre: {}, labels: [{ label: 100, payload: 'ip' }] } });
    expect(rx.drops).toEqual([0, 1, 2].map((input) => ({ input, reason: 'bad_l4_checksum' })));
    // The same NIC carrying VXLAN is not affected.
    const v = runOffloadPipeline([t], cfg({ nic }));
    expect(v.faults).toEqual([]);
    expect(receiveAtHost(v.wire, { decap: vxlanRx }).delivered.length).toBe(3);
  });

  it('8c. vxlan-vlan-gso fault: NIC-segmented VXLAN over a VLAN underlay is corrupted; untagged or unsegmented is not', () => {
    const t = tsoFrame(3000, 1000);
    const nic = { ipMtu: 1500, hwCsum: true, tso: true, faults: ['vxlan-vlan-gso' as const] };
    const tagged = { ...vxlan, vlan: 100 };
    const r = runOffloadPipeline([t], cfg({ profile: 'linux', tunnel: tagged, nic }));
    expect(r.wire.length).toBe(3);
    expect(r.faults.map((f) => f.fault)).toEqual(['vxlan-vlan-gso', 'vxlan-vlan-gso', 'vxlan-vlan-gso']);
    expect(receiveAtHost(r.wire, { decap: vxlanRx }).drops.map((d) => d.reason)).toEqual(['bad_l4_checksum', 'bad_l4_checksum', 'bad_l4_checksum']);
    const untagged = runOffloadPipeline([t], cfg({ profile: 'linux', nic }));
    expect(untagged.faults).toEqual([]);
    expect(receiveAtHost(untagged.wire, { decap: vxlanRx }).delivered.length).toBe(3);
    // vRouter segments in software: the NIC's TSO (and its bug) is never used for overlay traffic.
    const vr = runOffloadPipeline([t], cfg({ tunnel: tagged, nic }));
    expect(vr.faults).toEqual([]);
    expect(receiveAtHost(vr.wire, { decap: vxlanRx }).delivered.length).toBe(3);
  });

  it('9. fragmented VXLAN arriving: reassembled into the original outer packet, which parses as VXLAN', async () => {
    const sent = runOffloadPipeline([{ frame: await first('fragment-v4') }], cfg({ nic: { ipMtu: 1600, hwCsum: false } }));
    expect(sent.wire.length).toBe(1);
    const outer = batchOf(sent.wire);
    const frags = emptyBatch(8);
    expect(fragmentIpv4(outer, 0, 1000, frags).fragments).toBe(2);
    createParser().parse(frags, 1);
    const ra = new Reassembler();
    const whole = emptyBatch(4);
    expect(ra.feed(frags, 1, 0, whole).held).toBe(true);
    expect(ra.feed(frags, 0, 1, whole).emitted).toBe(true);
    expect(hex(framesOf(whole))).toEqual(hex(sent.wire));
    createParser().parse(whole, 1);
    expect(whole.flags[0] & PacketFlag.TUNNEL).not.toBe(0);
  });

  it('10. overlapping fragments: the whole datagram is dropped (reasm_overlap)', async () => {
    const b = batchOf([await first('fragment-v4')]);
    const frags = emptyBatch(8);
    fragmentIpv4(b, 0, 1000, frags); // 0..976, 976..1480
    fragmentIpv4(b, 0, 600, frags); // 0..576, 576..1152, 1152..1480
    createParser().parse(frags, 1);
    const ra = new Reassembler();
    const out = emptyBatch(4);
    expect(ra.feed(frags, 0, 0, out).held).toBe(true);
    const r = ra.feed(frags, 3, 0, out);
    expect(r.drop).toBe('reasm_overlap');
    expect(r.droppedFragments).toBe(2);
    expect(ra.datagrams).toBe(0);
    expect(out.count).toBe(0);
  });

  it('12. guest offload off: complete checksums, frame within MTU: the wire frame is the input', async () => {
    const frame = (await readFrames(join(exampleDir('csum-complete'), 'out-udp4.pcap')))[0];
    const r = runOffloadPipeline([{ frame }], cfg({ tunnel: undefined }));
    expect(hex(r.wire)).toEqual(hex([frame]));
    expect(r.drops).toEqual([]);
    expect(PacketBatch).toBeDefined();
  });

  it('3b. a real 64 KB TSO super-packet over VXLAN (vRouter): 47 segments, each fits, seq/ID/flags as Linux, tshark-valid', async () => {
    // IPv4 total length 65535 = 20 + 20 + 65495 bytes of payload, MSS 1448. Segment IP length at 1448 would
    // be 1488 > 1450 (1500 - 50), so gso_size shrinks to 1410: ceil(65495 / 1410) = 47, the last 65495 - 46 * 1410 = 635.
    const t = tsoFrame(65495, 1448, TCP.ACK | TCP.PSH | TCP.FIN);
    expect(t.frame.length).toBe(14 + 65535);
    const r = runOffloadPipeline([t], cfg());
    expect(r.drops).toEqual([]);
    expect(r.wire.length).toBe(47);
    r.wire.forEach((f, k) => {
      const dv = new DataView(f.buffer);
      expect(be16(f, 16)).toBe(k < 46 ? 1500 : 20 + 8 + 8 + 14 + 20 + 20 + 635); // outer IP length
      expect(be16(f, 18)).toBe(k); // outer IPv4 ID: vRouter counter from 0, one per segment
      expect(be16(f, 50 + 18)).toBe(0x1234 + k); // inner IPv4 ID + k
      expect(dv.getUint32(50 + 34 + 4)).toBe(1000 + 1410 * k); // inner seq + k * 1410
      expect(f[50 + 34 + 13]).toBe(k < 46 ? TCP.ACK : TCP.ACK | TCP.PSH | TCP.FIN); // FIN/PSH last only
    });
    requireTshark();
    const file = join(work, 'tso64k.pcap');
    const w = await PcapWriter.create(file, { linkType: 1 });
    await w.writeBatch(batchOf(r.wire));
    await w.close();
    const decoded = tsharkDecode(file);
    expect(decoded.length).toBe(47);
    for (const f of decoded) {
      expect(f.layers.filter((l) => l.proto === 'tcp' || l.proto === 'ip').map((l) => l.status)).toEqual(['good', 'good', 'good']);
      expect(f.layers.find((l) => l.proto === 'udp')?.status).toBe('absent'); // VXLAN over IPv4: zero UDP checksum
    }
    expect(receiveAtHost(r.wire, { decap: vxlanRx }).delivered.length).toBe(47);
  });

  it('4. VXLAN over a VLAN-tagged underlay: the tag counts against a frame limit, not against the IP MTU', () => {
    const tagged = { ...vxlan, vlan: 100 };
    const frame = udpFrame(1450); // 1450 + 50 = 1500: exactly the IP MTU
    // IP MTU 1500: fits; the wire frame is 14 + 4 + 1500 = 1518 bytes.
    const ipOnly = runOffloadPipeline([{ frame }], cfg({ tunnel: tagged }));
    expect(ipOnly.wire.map((f) => f.length)).toEqual([1518]);
    expect(be16(ipOnly.wire[0], 12)).toBe(0x8100);
    // A 1518 frame limit (room for the tag) gives the same.
    expect(runOffloadPipeline([{ frame }], cfg({ tunnel: tagged, nic: { ipMtu: 1500, frameLimit: 1518, hwCsum: false } })).wire.length).toBe(1);
    // A 1514 frame limit (sized for untagged frames): IP limit 1514 - 18 = 1496, inner 1446: dropped, ICMP says 1446.
    const r = runOffloadPipeline([{ frame }], cfg({ tunnel: tagged, nic: { ipMtu: 1500, frameLimit: 1514, hwCsum: false } }));
    expect(r.wire).toEqual([]);
    expect(r.drops).toEqual([{ input: 0, reason: 'mtu_exceeded_df' }]);
    expect([r.toGuest[0][34], r.toGuest[0][35], be16(r.toGuest[0], 40)]).toEqual([3, 4, 1446]);
    // Untagged underlay with the same 1514 limit: 1514 - 14 = 1500, inner 1450 fits.
    expect(runOffloadPipeline([{ frame }], cfg({ nic: { ipMtu: 1500, frameLimit: 1514, hwCsum: false } })).wire.map((f) => f.length)).toEqual([1514]);
  });

  it('6b. 1-byte gso_size: one segment per payload byte, seq + 1 each, every checksum valid at the receiver', () => {
    const t = tsoFrame(10, 1);
    const r = runOffloadPipeline([t], cfg({ tunnel: undefined, profile: 'linux' }));
    expect(r.wire.length).toBe(10);
    r.wire.forEach((f, k) => {
      expect(be16(f, 16)).toBe(41); // 20 + 20 + 1
      expect(new DataView(f.buffer).getUint32(38)).toBe(1000 + k);
      expect(f[54]).toBe(t.frame[54 + k]);
    });
    expect(receiveAtHost(r.wire).delivered.length).toBe(10);
  });

  it('6c. USO: 128 segments pass (1024 bytes at gso_size 8); 129 are refused (gso_too_many_segments)', () => {
    const uso = (payload: number): { frame: Uint8Array; vnetHdr: Uint8Array } => ({
      frame: buildFrame([{ eth: vm }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', id: 1 } }, { udp: { sport: 4000, dport: 5000, csum: 'partial' } }], new Uint8Array(payload).fill(1)),
      vnetHdr: encodeVirtioNetHdr({ flags: VIRTIO_NEEDS_CSUM, gsoType: GsoType.udpL4, hdrLen: 42, gsoSize: 8, csumStart: 34, csumOffset: 6 }),
    });
    const plain = cfg({ tunnel: undefined, profile: 'linux' });
    const ok = runOffloadPipeline([uso(1024)], plain);
    expect(ok.wire.length).toBe(128);
    ok.wire.forEach((f, k) => {
      expect(be16(f, 38)).toBe(16); // UDP length 8 + 8
      expect(be16(f, 18)).toBe(1 + k); // IPv4 ID + k
    });
    expect(receiveAtHost(ok.wire).delivered.length).toBe(128);
    const over = runOffloadPipeline([uso(1025)], plain);
    expect(over.wire).toEqual([]);
    expect(over.drops).toEqual([{ input: 0, reason: 'gso_too_many_segments' }]);
  });

  describe('11. zero outer UDP checksum over IPv6 (RFC 6935/6936)', () => {
    const v6 = { ...vxlan, local: '2001:db8:ffff::1', remote: '2001:db8:ffff::2' };
    const frame = udpFrame(200);
    it('sent as zero, receiver without the allowance: dropped (zero_udp_checksum_ipv6)', () => {
      const r = runOffloadPipeline([{ frame }], cfg({ tunnel: { ...v6, udpChecksum: 'zero' } }));
      expect(be16(r.wire[0], 14 + 40 + 6)).toBe(0);
      expect(receiveAtHost(r.wire, { decap: vxlanRx }).drops).toEqual([{ input: 0, reason: 'zero_udp_checksum_ipv6' }]);
    });
    it('sent as zero, receiver with allowZeroUdpChecksumIpv6: delivered, inner frame unchanged', () => {
      const r = runOffloadPipeline([{ frame }], cfg({ tunnel: { ...v6, udpChecksum: 'zero' } }));
      const rx = receiveAtHost(r.wire, { decap: { ...vxlanRx, allowZeroUdpChecksumIpv6: true } });
      expect(rx.drops).toEqual([]);
      expect(hex(rx.delivered)).toEqual(hex([frame]));
    });
    it('default over IPv6 (computed checksum): delivered by a strict receiver', () => {
      const r = runOffloadPipeline([{ frame }], cfg({ tunnel: v6 }));
      expect(be16(r.wire[0], 14 + 40 + 6)).not.toBe(0);
      expect(hex(receiveAtHost(r.wire, { decap: vxlanRx }).delivered)).toEqual(hex([frame]));
    });
  });
});
