/** Shared by the tunnel tests: batches of frames, a tiny pcap writer, paths. */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PacketBatch } from '../../src/datapath/batch.js';
import { KEY_FIELDS } from '../../src/datapath/flow-key.js';

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

/**
 * The 144-byte flow key of a packet recirculated after tnl_pop: recirc_id,
 * tun_id (one byte: ids below 256) and the IPv4 tunnel endpoints as
 * IPv4-mapped IPv6 (::ffff:a.b.c.d), every other field zero.
 */
export function recircTunnelKey(recircId: number, tunId: number, src: readonly number[], dst: readonly number[]): Uint8Array {
  if (recircId > 0xff || tunId > 0xff) throw new RangeError('recircTunnelKey: ids below 256');
  const k = new Uint8Array(144);
  const at = (f: keyof typeof KEY_FIELDS): number => KEY_FIELDS[f][0];
  k[at('recirc_id')] = recircId;
  k[at('tun_id')] = tunId;
  k.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...src], at('tun_src'));
  k.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...dst], at('tun_dst'));
  return k;
}
