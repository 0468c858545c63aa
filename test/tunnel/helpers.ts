/** Shared by the tunnel tests: batches of frames, a tiny pcap writer, paths. */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PacketBatch } from '../../src/datapath/batch.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpora = join(repoRoot, '..', 'shared', 'corpora');

export function batchOf(frames: Uint8Array[], headroom = 128): PacketBatch {
  const b = PacketBatch.create({ capacity: Math.max(1, frames.length), headroom, dataSize: frames.reduce((a, f) => a + f.length + headroom + 16, 64) });
  for (const f of frames) if (!b.append(f)) throw new Error('batch full');
  return b;
}

export function framesOf(b: PacketBatch): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.count; i++) out.push(b.packet(i).slice());
  return out;
}

/** Writes a classic microsecond pcap (LINKTYPE_ETHERNET) synchronously. */
export function writePcap(path: string, frames: Uint8Array[]): void {
  const size = 24 + frames.reduce((a, f) => a + 16 + f.length, 0);
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true);
  dv.setUint32(20, 1, true);
  let o = 24;
  frames.forEach((f, k) => {
    dv.setUint32(o, k, true);
    dv.setUint32(o + 8, f.length, true);
    dv.setUint32(o + 12, f.length, true);
    buf.set(f, o + 16);
    o += 16 + f.length;
  });
  writeFileSync(path, buf);
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
