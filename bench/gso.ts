/**
 * GSO throughput (payload Gbit/s) for 64 KB super-packets at MSS 1448 and
 * 8948, plain and inside VXLAN, and checksum completion GB/s, each next to a
 * memcpy of the same bytes in the same run. Short by default; VS_BENCH_SECONDS
 * sets the time per case (default 0.5 s).
 *   node --import tsx bench/gso.ts
 */
import { PacketBatch } from '../src/datapath/batch.js';
import { createParser } from '../src/packet/parse.js';
import { encapBatch } from '../src/tunnel/index.js';
import { applyVirtioNetHdr, completeChecksums, gsoBatch } from '../src/offload/index.js';

const seconds = Number(process.env.VS_BENCH_SECONDS ?? '0.5');
const PAYLOAD = 65000;

function superPacket(mss: number): { frame: Uint8Array; hdr: Uint8Array } {
  const f = new Uint8Array(14 + 20 + 20 + PAYLOAD);
  const v = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]);
  v.setUint8(14, 0x45);
  v.setUint16(16, 40 + PAYLOAD);
  v.setUint16(20, 0x4000);
  v.setUint8(22, 64);
  v.setUint8(23, 6);
  f.set([192, 0, 2, 1, 192, 0, 2, 2], 26);
  v.setUint16(34, 40000);
  v.setUint16(36, 5001);
  v.setUint8(46, 0x50);
  v.setUint8(47, 0x18);
  for (let k = 54; k < f.length; k++) f[k] = k & 0xff;
  const hdr = Uint8Array.of(1, 1, 54, 0, mss & 0xff, mss >> 8, 34, 0, 16, 0);
  return { frame: f, hdr };
}

function timeIt(fn: () => number): number {
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(seconds * 1e9));
  let now = t0;
  while (now < end) {
    bytes += fn();
    now = process.hrtime.bigint();
  }
  return bytes / (Number(now - t0) / 1e9);
}

const parser = createParser();
for (const vxlan of [false, true]) {
  for (const mss of [1448, 8948]) {
    const { frame, hdr } = superPacket(mss);
    const inb = PacketBatch.create({ capacity: 1, dataSize: frame.length + 512, headroom: 128 });
    inb.append(frame);
    applyVirtioNetHdr(inb, 0, hdr);
    if (vxlan) encapBatch(inb, { type: 'vxlan', local: '198.18.0.1', remote: '198.18.0.2', vni: 100, srcPort: 49152 });
    parser.parse(inb, 1);
    const out = PacketBatch.create({ capacity: 64, dataSize: 64 * 9200 + 65536, headroom: 64 });
    const gso = timeIt(() => {
      new DataView(out.buffer).setUint32(12, 0, true); // HEADER.count (batch-layout.ts)
      new DataView(out.buffer).setUint32(24, 0, true); // HEADER.dataUsed
      gsoBatch(inb, out, { profile: 'linux' });
      return PAYLOAD;
    });
    const src = inb.packet(0);
    const dst = new Uint8Array(src.length + 4096);
    const mem = timeIt(() => {
      dst.set(src);
      return PAYLOAD;
    });
    console.log(`gso ${vxlan ? 'vxlan' : 'plain'} mss ${mss}: ${((gso * 8) / 1e9).toFixed(2)} Gbit/s payload   memcpy ${((mem * 8) / 1e9).toFixed(2)} Gbit/s`);
  }
}
{
  const { frame } = superPacket(0);
  const b = PacketBatch.create({ capacity: 1, dataSize: frame.length + 512, headroom: 128 });
  b.append(frame);
  const hdr = Uint8Array.of(1, 0, 0, 0, 0, 0, 34, 0, 16, 0);
  const csum = timeIt(() => {
    applyVirtioNetHdr(b, 0, hdr);
    completeChecksums(b);
    return frame.length - 34;
  });
  const dst = new Uint8Array(frame.length);
  const mem = timeIt(() => {
    dst.set(frame);
    return frame.length - 34;
  });
  console.log(`checksum completion: ${(csum / 1e9).toFixed(2)} GB/s   memcpy ${(mem / 1e9).toFixed(2)} GB/s`);
}
