/**
 * GSO against other implementations' captures in ../shared/corpora:
 *  - Open vSwitch's userspace TSO test (ovs-tso-expected.pcap: frames 9 and
 *    10 are the unsegmented IPv4/IPv6 super-frames, frames 1-4 / 5-8 the
 *    segments OVS expects at MSS 500): our `ovs` profile, byte for byte;
 *  - tcpdump's Linux GSO captures (gso-ipv4/ipv6, and inside VXLAN): every
 *    segment tshark-valid, with Linux's seq (+MSS) and IPv4 ID (+1) steps.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { PcapWriter } from '../../src/pcap/index.js';
import { gsoBatch, GsoType } from '../../src/offload/index.js';
import { batchOf, emptyBatch, framesOf, hex, readFrames } from '../oracle/linux-oracle.js';
import { requireTshark, tsharkDecode } from '../oracle/tshark.js';

const corpora = join(packageRoot(), '..', 'shared', 'corpora');
const work = mkdtempSync(join(tmpdir(), 'vs-gso-corpus-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('Open vSwitch TSO test', () => {
  it('segments the IPv4 and IPv6 super-frames at MSS 500 exactly as OVS expects', async () => {
    const frames = await readFrames(join(corpora, 'ovs', 'ovs-tso-expected.pcap'));
    expect(frames.length).toBe(10);
    const inb = batchOf([frames[8], frames[9]]);
    inb.gsoType[0] = GsoType.tcpv4;
    inb.gsoType[1] = GsoType.tcpv6;
    inb.gsoSize.fill(500, 0, 2);
    const out = emptyBatch(16);
    expect(gsoBatch(inb, out, { profile: 'ovs' }).outputFull).toBe(false);
    expect(hex(framesOf(out))).toEqual(hex(frames.slice(0, 8)));
  });
});

describe('tcpdump Linux GSO captures', () => {
  // name, gso_size (1448 = 1500 - 20 - 20 - 12 bytes of TCP timestamps; VXLAN inner 1398; v6 1428 / 1378 - 20)
  for (const [name, mss, type] of [
    ['gso-ipv4', 1448, GsoType.tcpv4],
    ['gso-ipv6', 1428, GsoType.tcpv6],
    ['gso-ipv4-vxlan-ipv4', 1398, GsoType.tcpv4],
    ['gso-ipv6-vxlan-ipv6', 1358, GsoType.tcpv6],
  ] as const) {
    it(`${name}: segments valid per tshark, seq +MSS, IPv4 ID +1`, async () => {
      requireTshark();
      const frames = await readFrames(join(corpora, 'tcpdump', `${name}.pcap`));
      const inb = batchOf(frames);
      for (let i = 0; i < inb.count; i++) {
        inb.gsoType[i] = type;
        inb.gsoSize[i] = mss;
      }
      const out = emptyBatch(256, 1 << 20);
      expect(gsoBatch(inb, out, { profile: 'linux' }).outputFull).toBe(false);
      expect(out.count).toBeGreaterThan(frames.length);
      const file = join(work, `${name}.pcap`);
      const w = await PcapWriter.create(file, { linkType: 1 });
      await w.writeBatch(out);
      await w.close();
      const decoded = tsharkDecode(file);
      expect(decoded.length).toBe(out.count);
      for (const f of decoded) {
        const checked = f.layers.filter((l) => l.status !== undefined);
        expect(checked.length).toBeGreaterThan(0);
        for (const l of checked) expect(`${f.number} ${l.proto} ${l.status}`).not.toMatch(/ bad$/);
      }
      // seq and ID progression on the innermost TCP/IP, from the bytes.
      const segs = framesOf(out);
      const il3 = out.innerL3[0] !== 0xffff ? out.innerL3 : out.l3;
      const il4 = out.innerL4[0] !== 0xffff ? out.innerL4 : out.l4;
      const dv = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset, f.byteLength);
      for (let k = 1; k < segs.length; k++) {
        const a = dv(segs[k - 1]);
        const b = dv(segs[k]);
        const seqA = a.getUint32(il4[k - 1] + 4);
        const seqB = b.getUint32(il4[k] + 4);
        if (seqB < seqA || seqB - seqA > mss) continue; // next super-packet
        expect(seqB - seqA).toBe(mss);
        if (segs[k][il3[k]] >> 4 === 4) expect(b.getUint16(il3[k] + 4)).toBe((a.getUint16(il3[k - 1] + 4) + 1) & 0xffff);
      }
    });
  }
});
