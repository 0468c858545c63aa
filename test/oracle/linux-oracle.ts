/**
 * Helpers of the Linux-kernel oracle tests: where the oracle scripts and their
 * shipped examples live (../shared/oracles/linux next to the repository),
 * reading their pcaps and in.json, batching frames, comparing with masks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PacketBatch } from '../../src/datapath/batch.js';
import { packageRoot } from '../../src/datapath/native.js';
import { openCapture } from '../../src/pcap/index.js';
import { createParser } from '../../src/packet/parse.js';
import { applyVirtioNetHdr } from '../../src/offload/index.js';

/** The oracle folder; throws with a clear message when it is missing. */
export function oracleDir(): string {
  const dir = join(packageRoot(), '..', 'shared', 'oracles', 'linux');
  if (!existsSync(join(dir, 'README.md')))
    throw new Error(`the Linux oracle folder ${dir} is missing: the tests need ../shared/oracles/linux next to the repository`);
  return dir;
}

export function exampleDir(name: string): string {
  return join(oracleDir(), 'examples', name);
}

/** Every frame of a pcap, in order. */
export async function readFrames(path: string): Promise<Uint8Array[]> {
  const reader = await openCapture(path);
  const out: Uint8Array[] = [];
  for await (const r of reader.records()) out.push(Uint8Array.from(r.data));
  return out;
}

export interface OracleInput {
  frame: Uint8Array;
  vnetHdr: Uint8Array;
}

/** in.pcap's one frame and in.json's virtio_net_hdr bytes (`hex`). */
export async function readInput(dir: string, stem = 'in'): Promise<OracleInput> {
  const frames = await readFrames(join(dir, `${stem}.pcap`));
  if (frames.length !== 1) throw new Error(`${dir}/${stem}.pcap: expected one frame, found ${frames.length}`);
  const meta = JSON.parse(readFileSync(join(dir, `${stem}.json`), 'utf8')) as { virtio_net_hdr: { hex: string } };
  return { frame: frames[0], vnetHdr: Uint8Array.from(Buffer.from(meta.virtio_net_hdr.hex, 'hex')) };
}

/** A batch big enough for `frames` (or `bytes` of output), parsed, with vnet headers applied when given. */
export function batchOf(frames: Uint8Array[], vnet?: (Uint8Array | undefined)[]): PacketBatch {
  const bytes = frames.reduce((n, f) => n + f.length + 256, 0);
  const b = PacketBatch.create({ capacity: Math.max(frames.length, 1), dataSize: bytes + 4096, headroom: 128 });
  frames.forEach((f, k) => {
    if (!b.append(f)) throw new Error('batch too small');
    const h = vnet?.[k];
    if (h) applyVirtioNetHdr(b, k, h);
  });
  createParser().parse(b, 1);
  return b;
}

export function emptyBatch(capacity: number, dataSize = capacity * 2048 + 65536): PacketBatch {
  return PacketBatch.create({ capacity, dataSize, headroom: 128 });
}

/** The live (not dropped) frames of a batch, copied. */
export function framesOf(b: PacketBatch): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.count; i++) if (b.drop[i] === 0) out.push(Uint8Array.from(b.packet(i)));
  return out;
}

/** Copies of frames with the byte ranges [off, off+len) zeroed: kernel-randomised fields only. */
export function mask(frames: Uint8Array[], ranges: [number, number][]): Uint8Array[] {
  return frames.map((f) => {
    const c = Uint8Array.from(f);
    for (const [o, l] of ranges) c.fill(0, o, Math.min(o + l, c.length));
    return c;
  });
}

/** Hex of a frame, for readable diffs. */
export function hex(frames: Uint8Array[]): string[] {
  return frames.map((f) => Buffer.from(f).toString('hex'));
}

/** Decrements the IPv4 TTL (with checksum) or IPv6 hop limit at l3 and rewrites the MACs, as a router does. */
export function route(frame: Uint8Array, l3: number, dmac: Uint8Array, smac: Uint8Array): Uint8Array {
  const f = Uint8Array.from(frame);
  f.set(dmac, 0);
  f.set(smac, 6);
  if (f[l3] >> 4 === 4) {
    f[l3 + 8] -= 1;
    // RFC 1624: TTL is the high byte of the word at offset 8.
    const old = (f[l3 + 10] << 8) | f[l3 + 11];
    let s = (~old & 0xffff) + (~0x0100 & 0xffff);
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    const ck = ~s & 0xffff;
    f[l3 + 10] = ck >> 8;
    f[l3 + 11] = ck & 0xff;
  } else {
    f[l3 + 7] -= 1;
  }
  return f;
}

export function mac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':').map((x) => parseInt(x, 16)));
}
