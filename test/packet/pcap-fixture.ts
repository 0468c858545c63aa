/**
 * Test helpers: a tiny classic-pcap reader (independent of src/pcap) and a
 * loader that puts a capture's frames into packet batches.
 */
import { readFileSync } from 'node:fs';

import { PacketBatch } from '../../src/datapath/batch.js';

export interface PcapFrame {
  data: Uint8Array;
  wireLength: number;
}

export interface Pcap {
  linkType: number;
  frames: PcapFrame[];
}

/** Reads a pcapng file's enhanced and simple packet blocks (the first interface's link type). */
function readPcapng(file: string, buf: Buffer, dv: DataView): Pcap {
  const le = dv.getUint32(8, true) === 0x1a2b3c4d;
  let linkType = -1;
  const frames: PcapFrame[] = [];
  for (let off = 0; off + 12 <= buf.length; ) {
    const type = dv.getUint32(off, le);
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || off + len > buf.length) throw new Error(`${file}: bad pcapng block at ${off}`);
    if (type === 1 && linkType < 0) linkType = dv.getUint16(off + 8, le);
    if (type === 6) {
      const incl = dv.getUint32(off + 20, le);
      frames.push({ data: new Uint8Array(buf.buffer, buf.byteOffset + off + 28, incl), wireLength: dv.getUint32(off + 24, le) });
    } else if (type === 3) {
      const orig = dv.getUint32(off + 8, le);
      frames.push({ data: new Uint8Array(buf.buffer, buf.byteOffset + off + 12, Math.min(orig, len - 16)), wireLength: orig });
    }
    off += len;
  }
  return { linkType, frames };
}

/** Reads a classic pcap file (either byte order, micro- or nanosecond) or a pcapng file. */
export function readPcap(file: string): Pcap {
  const buf = readFileSync(file);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, true);
  if (magic === 0x0a0d0d0a) return readPcapng(file, buf, dv);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`${file}: not a classic pcap file (magic 0x${magic.toString(16)})`);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  const frames: PcapFrame[] = [];
  for (let off = 24; off + 16 <= buf.length; ) {
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (off + 16 + incl > buf.length) throw new Error(`${file}: record at ${off} runs past the end`);
    frames.push({ data: new Uint8Array(buf.buffer, buf.byteOffset + off + 16, incl), wireLength: orig });
    off += 16 + incl;
  }
  return { linkType, frames };
}

/** One batch holding every frame (sized to fit). */
export function batchOf(frames: PcapFrame[], headroom = 0): PacketBatch {
  const dataSize = frames.reduce((n, f) => n + f.data.length + headroom + 8, 0) + 8;
  const batch = PacketBatch.create({ capacity: Math.max(1, frames.length), dataSize, headroom });
  for (const f of frames) {
    if (!batch.append(f.data, { wireLength: f.wireLength })) throw new Error('batch sized too small');
  }
  return batch;
}
