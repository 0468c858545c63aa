/**
 * The offload / MTU edge-case suite at library level (src/offload/pipeline.ts):
 * one case per line of behaviour, each with its input, the expected output
 * and the reason. Inputs are the Linux oracle's frames (../shared/oracles/linux
 * examples); expected values are derived by hand from SEMANTICS.md (noted per
 * case) or are the kernel's own output.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../../src/datapath/batch.js';
import { PacketFlag } from '../../../src/datapath/batch-layout.js';
import { createParser } from '../../../src/packet/parse.js';
import { fragmentIpv4, Reassembler } from '../../../src/offload/index.js';
import { runOffloadPipeline, type PipelineConfig } from '../../../src/offload/pipeline.js';
import { batchOf, emptyBatch, exampleDir, framesOf, hex, mac, readFrames, readInput } from '../../oracle/linux-oracle.js';

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

  it('8. bad-hw-csum fault: the wire checksum is wrong (receiver drops bad_l4_checksum) and the frame is marked', async () => {
    const dir = exampleDir('csum-complete');
    const input = await readInput(dir, 'in-tcp4');
    const r = runOffloadPipeline(
      [{ frame: input.frame, vnetHdr: input.vnetHdr }],
      cfg({ tunnel: undefined, nic: { ipMtu: 1500, hwCsum: true, faults: ['bad-hw-csum'] } }),
    );
    const [good] = await readFrames(join(dir, 'out-tcp4.pcap'));
    expect(r.faulted).toEqual([0]);
    expect(be16(r.wire[0], 50)).not.toBe(be16(good, 50));
    expect(hex([r.wire[0].subarray(0, 50)])).toEqual(hex([good.subarray(0, 50)]));
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
});
