/**
 * Streaming: a large generated capture (200 MB by default; set
 * VS_PCAP_STREAM_MB for another size) is read with heap + external memory
 * growing far less than its size. The file lives in a temp dir and is removed.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { batches, openCapture } from '../../src/pcap/index.js';
import { classicPcap, udpFrame } from './fixtures/capture-builder.js';

const MB = Number(process.env.VS_PCAP_STREAM_MB ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'vs-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PACKET = 8000;
const PER_BLOCK = 128; // 128 records of 16 + 8000 bytes = ~1 MiB written at a time

function generate(path: string): number {
  const header = classicPcap({ snaplen: 65535 }, []);
  const block = classicPcap({}, Array.from({ length: PER_BLOCK }, (_, i) => ({ tsSec: i, tsFrac: i, data: udpFrame(PACKET, i) }))).subarray(header.length);
  const blocks = Math.ceil((MB * 1e6) / block.length);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, header);
    for (let i = 0; i < blocks; i++) writeSync(fd, block);
  } finally {
    closeSync(fd);
  }
  return blocks * PER_BLOCK;
}

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

describe(`streaming a ${MB} MB capture`, () => {
  const path = join(dir, 'large.pcap');
  const expected = generate(path);

  it('records(): every packet, memory growth far below the file size', async () => {
    const base = used();
    let peak = 0;
    let count = 0;
    let bytes = 0;
    for await (const r of (await openCapture(path)).records()) {
      if (r.data[14] !== 0x45 || r.data[PACKET - 1] !== (r.index % PER_BLOCK)) throw new Error(`packet ${r.index} has wrong bytes`);
      count++;
      bytes += r.caplen;
      if ((count & 255) === 0) peak = Math.max(peak, used() - base);
    }
    expect(count).toBe(expected);
    expect(bytes).toBe(expected * PACKET);
    expect(peak).toBeLessThan(Math.min(64e6, (MB * 1e6) / 3));
  });

  it('batches(): every packet, memory growth far below the file size', async () => {
    const base = used();
    let peak = 0;
    let count = 0;
    let n = 0;
    for await (const { batch } of batches(await openCapture(path), { capacity: 64 })) {
      count += batch.count;
      if ((++n & 15) === 0) peak = Math.max(peak, used() - base);
    }
    expect(count).toBe(expected);
    expect(peak).toBeLessThan(Math.min(96e6, (MB * 1e6) / 2));
  });
});
