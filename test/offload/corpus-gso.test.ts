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
import { batchOf, emptyBatch, framesOf, hex, mask, readFrames } from '../oracle/linux-oracle.js';
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

/** One's-complement sum of bytes, folded (0xffff when a checksum over them verifies). */
function onesSum(b: Uint8Array): number {
  let s = 0;
  for (let k = 0; k + 1 < b.length; k += 2) s += (b[k] << 8) | b[k + 1];
  if (b.length & 1) s += b[b.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

describe('Open vSwitch tunnel TSO tests (ovs-tunnel-tso-expected.pcap)', () => {
  // 48 frames: 12 tunnels (GRE / VXLAN / Geneve x outer v4 / v6 x inner v4 / v6), 4 segments of MSS 500
  // each. The super-packet OVS segmented is rebuilt from each tunnel's segments (first segment's headers +
  // the four payloads, lengths set, outer UDP / GRE checksum flags kept), segmented with the `ovs` profile
  // and compared byte for byte. GRE with the C bit: OVS's file has 7 of its 8 GRE checksums wrong (it sums
  // before the inner TCP checksum is written, corpora README), so that field is masked and ours is checked
  // to verify (RFC 2784: the sum over GRE header and payload folds to 0xffff).
  it('every tunnel variant segments to OVS frames (GRE checksum field checked separately)', async () => {
    const frames = await readFrames(join(corpora, 'ovs', 'ovs-tunnel-tso-expected.pcap'));
    expect(frames.length).toBe(48);
    const b = batchOf(frames);
    const groups = new Map<string, number[]>();
    for (let i = 0; i < b.count; i++) {
      expect(b.drop[i]).toBe(0);
      const f = frames[i];
      const oL3 = b.l3[i];
      const proto = f[oL3] >> 4 === 4 ? f[oL3 + 9] : f[oL3 + 6];
      const port = proto === 17 ? (f[b.l4[i] + 2] << 8) | f[b.l4[i] + 3] : 0;
      const key = `outer v${f[oL3] >> 4} ${proto === 47 ? 'gre' : `udp ${port}`} inner v${f[b.innerL3[i]] >> 4}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    }
    expect(groups.size).toBe(12);
    let greCsum = 0;
    for (const [key, idx] of groups) {
      expect(idx.length, key).toBe(4);
      const seqOf = (i: number): number => new DataView(frames[i].buffer).getUint32(b.innerL4[i] + 4);
      idx.sort((x, y) => seqOf(x) - seqOf(y));
      const i0 = idx[0];
      const il3 = b.innerL3[i0];
      const il4 = b.innerL4[i0];
      const hdrLen = il4 + (frames[i0][il4 + 12] >> 4) * 4;
      const parts = [frames[i0].subarray(0, hdrLen), ...idx.map((i) => frames[i].subarray(hdrLen))];
      const sup = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        sup.set(p, o);
        o += p.length;
      }
      const dv = new DataView(sup.buffer);
      const setIpLen = (l3: number): void => {
        if (sup[l3] >> 4 === 4) dv.setUint16(l3 + 2, sup.length - l3);
        else dv.setUint16(l3 + 4, sup.length - l3 - 40);
      };
      setIpLen(b.l3[i0]);
      setIpLen(il3);
      const outerProto = sup[b.l3[i0]] >> 4 === 4 ? sup[b.l3[i0] + 9] : sup[b.l3[i0] + 6];
      if (outerProto === 17) dv.setUint16(b.l4[i0] + 4, sup.length - b.l4[i0]);
      const gre = outerProto === 47 && (sup[b.l4[i0]] & 0x80) !== 0 ? b.l4[i0] : -1;
      const inb = batchOf([sup]);
      inb.gsoType[0] = sup[il3] >> 4 === 4 ? GsoType.tcpv4 : GsoType.tcpv6;
      inb.gsoSize[0] = 500;
      const out = emptyBatch(8);
      expect(gsoBatch(inb, out, { profile: 'ovs' }).outputFull).toBe(false);
      const got = framesOf(out);
      const want = idx.map((i) => frames[i]);
      if (gre >= 0) {
        for (const g of got) expect(onesSum(g.subarray(gre)), `${key}: our GRE checksum`).toBe(0xffff);
        greCsum += want.filter((w) => onesSum(w.subarray(gre)) !== 0xffff).length;
        expect(hex(mask(got, [[gre + 4, 2]])), key).toEqual(hex(mask(want, [[gre + 4, 2]])));
      } else {
        expect(hex(got), key).toEqual(hex(want));
      }
    }
    expect(greCsum).toBe(7); // the README's caveat, so the mask hides nothing else
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
