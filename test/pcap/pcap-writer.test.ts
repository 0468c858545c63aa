/**
 * PcapWriter: nanosecond classic pcap that tshark reads back unchanged, the
 * header bytes as the format defines them, temp-name-then-rename, abort,
 * batches with dropped packets, bounded buffering.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { LinkType, PcapWriter, openCapture, type CaptureRecord } from '../../src/pcap/index.js';
import { udpFrame } from './fixtures/capture-builder.js';
import { epochString, tsharkFrames } from './fixtures/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'vs-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const r of (await openCapture(path)).records()) out.push(r);
  return out;
}

describe('PcapWriter', () => {
  it('writes the nanosecond pcap header: magic a1b23c4d, 2.4, snaplen, link type', async () => {
    const p = join(dir, 'header.pcap');
    const w = await PcapWriter.create(p, { linkType: LinkType.LINUX_SLL2, snaplen: 1000 });
    await w.close();
    const b = readFileSync(p);
    // Little-endian fields: magic 0xa1b23c4d -> 4d 3c b2 a1; version 2 4; zone 0; sigfigs 0; 1000 = e8 03; 276 = 14 01.
    expect([...b]).toEqual([0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xe8, 0x03, 0, 0, 0x14, 0x01, 0, 0]);
  });

  it('round-trips through tshark: count, lengths, nanosecond timestamps', async () => {
    const p = join(dir, 'roundtrip.pcap');
    const w = await PcapWriter.create(p, { snaplen: 1600 });
    const packets: [Uint8Array, number, number, number | undefined][] = [
      [udpFrame(60), 1_700_000_000, 1, undefined],
      [udpFrame(1514), 1_700_000_000, 999_999_999, undefined],
      [udpFrame(100), 0xffffffff, 123_456_789, 9000], // captured 100 of 9000
      [udpFrame(2000), 5, 0, undefined], // cut to the 1600-byte snaplen, wire length 2000
    ];
    for (const [d, s, ns, wl] of packets) await w.write(d, s, ns, wl);
    expect(w.count).toBe(4);
    await w.close();
    const stderr = execFileSync('tshark', ['-r', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(stderr).not.toMatch(/tshark:/);
    const expected = [
      { epoch: '1700000000.000000001', capLen: 60, len: 60 },
      { epoch: '1700000000.999999999', capLen: 1514, len: 1514 },
      { epoch: '4294967295.123456789', capLen: 100, len: 9000 },
      { epoch: '5.000000000', capLen: 1600, len: 2000 },
    ];
    expect(tsharkFrames(p).map(({ epoch, capLen, len }) => ({ epoch, capLen, len }))).toEqual(expected);
    const recs = await readAll(p);
    expect(recs.map((r) => ({ epoch: epochString(r.tsSec, r.tsNsec), capLen: r.caplen, len: r.wireLength }))).toEqual(expected);
    expect(recs[3].data).toEqual(packets[3][0].subarray(0, 1600));
  });

  it('writes under a temporary name in the same directory and renames on close', async () => {
    const sub = mkdtempSync(join(dir, 'tmpname-'));
    const p = join(sub, 'out.pcap');
    writeFileSync(p, 'previous contents');
    const w = await PcapWriter.create(p);
    await w.write(udpFrame(60), 1, 2);
    expect(w.tempPath.startsWith(sub)).toBe(true);
    expect(existsSync(w.tempPath)).toBe(true);
    expect(readFileSync(p, 'utf8')).toBe('previous contents'); // untouched until close
    await w.close();
    expect(existsSync(w.tempPath)).toBe(false);
    expect(readdirSync(sub)).toEqual(['out.pcap']);
    expect((await readAll(p)).length).toBe(1);
  });

  it('abort() removes the temporary file and leaves no output', async () => {
    const sub = mkdtempSync(join(dir, 'abort-'));
    const p = join(sub, 'out.pcap');
    const w = await PcapWriter.create(p, { bufferSize: 64 });
    for (let i = 0; i < 10; i++) await w.write(udpFrame(60), i, 0); // some already flushed
    await w.abort();
    expect(readdirSync(sub)).toEqual([]);
    await w.abort(); // idempotent
    expect(() => w.write(udpFrame(60), 1, 0)).toThrow(expect.objectContaining({ code: 'ERR_CAPTURE_WRITE' }));
  });

  it('writeBatch skips dropped packets and keeps timestamps and wire lengths', async () => {
    const batch = PacketBatch.create({ capacity: 4, dataSize: 8192 });
    batch.append(udpFrame(60, 1), { tsSec: 10, tsNsec: 1, wireLength: 60 });
    batch.append(udpFrame(70, 2), { tsSec: 11, tsNsec: 2, wireLength: 70 });
    batch.append(udpFrame(80, 3), { tsSec: 12, tsNsec: 3, wireLength: 1000 });
    batch.drop[1] = 1; // dropped: not written
    const p = join(dir, 'batch.pcap');
    const w = await PcapWriter.create(p);
    await w.writeBatch(batch);
    await w.close();
    const recs = await readAll(p);
    expect(recs.map((r) => [r.tsSec, r.tsNsec, r.caplen, r.wireLength, r.data[60]])).toEqual([
      [10, 1, 60, 60, undefined],
      [12, 3, 80, 1000, 3],
    ]);
  });

  it('keeps order and content with a tiny buffer and packets larger than it', async () => {
    const p = join(dir, 'small-buffer.pcap');
    const w = await PcapWriter.create(p, { bufferSize: 100 });
    const sizes = Array.from({ length: 200 }, (_, i) => 42 + ((i * 37) % 300));
    for (let i = 0; i < sizes.length; i++) await w.write(udpFrame(sizes[i], i & 0xff), i, i);
    await w.close();
    const recs = await readAll(p);
    expect(recs.map((r) => r.caplen)).toEqual(sizes);
    recs.forEach((r, i) => expect(r.data).toEqual(udpFrame(sizes[i], i & 0xff)));
    expect(tsharkFrames(p).length).toBe(200);
  });

  it('append() returns a Promise only when a full buffer is being written, and keeps every packet', async () => {
    const p = join(dir, 'append.pcap');
    // buffer 1000 bytes: the 24-byte header plus 16 + 100 bytes per packet; the 9th packet does not fit (24 + 9 * 116 = 1068)
    const w = await PcapWriter.create(p, { bufferSize: 1000 });
    const waits: number[] = [];
    for (let i = 0; i < 30; i++) {
      const wait = w.append(udpFrame(100, i), 1700000000, i);
      if (wait) {
        waits.push(i);
        await wait;
      }
    }
    await w.close();
    // after the first flush the buffer holds 8 packets (8 * 116 = 928 <= 1000), so it flushes at 8, 16, 24
    expect(waits).toEqual([8, 16, 24]);
    const recs = await readAll(p);
    expect(recs.map((r) => r.tsNsec)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    recs.forEach((r, i) => expect(r.data).toEqual(udpFrame(100, i)));
    expect(tsharkFrames(p).length).toBe(30);
  });

  it('appendPackets() writes the bytes append() writes, packet by packet, with their own timestamps, whatever the buffer size; tshark reads them', async () => {
    const b = PacketBatch.create({ capacity: 64, dataSize: 65536 });
    const sizes = [60, 1514, 42, 300, 9000, 64, 128];
    const tsSecOf = sizes.map((_, k) => 1_700_000_000 + k);
    const tsNsecOf = sizes.map((_, k) => (k * 123_456_789) % 1e9);
    sizes.forEach((n, k) => b.append(udpFrame(n, k), { tsSec: tsSecOf[k], tsNsec: tsNsecOf[k] }));
    const index = Uint32Array.from([6, 0, 1, 4, 2, 5, 3, 0]);
    const tsSec = Uint32Array.from(index, (i) => tsSecOf[i]);
    const tsNsec = Uint32Array.from(index, (i) => tsNsecOf[i]);
    for (const bufferSize of [64, 2000, 1 << 20]) {
      const one = join(dir, `one-${bufferSize}.pcap`);
      const bulk = join(dir, `bulk-${bufferSize}.pcap`);
      const w1 = await PcapWriter.create(one, { bufferSize, snaplen: 5000 });
      for (let k = 0; k < index.length; k++) await w1.write(b.packet(index[k]), tsSec[k], tsNsec[k]);
      await w1.close();
      const w2 = await PcapWriter.create(bulk, { bufferSize, snaplen: 5000 });
      await w2.appendPackets({ batches: [b], chunk: null, index, count: index.length });
      expect(w2.count).toBe(index.length);
      await w2.close();
      expect(readFileSync(bulk).equals(readFileSync(one))).toBe(true);
    }
    // the same packets from two batches, by chunk
    const b2 = PacketBatch.create({ capacity: 64, dataSize: 65536 });
    sizes.forEach((n, k) => b2.append(udpFrame(n, k), { tsSec: tsSecOf[k], tsNsec: tsNsecOf[k] }));
    const chunked = join(dir, 'bulk-chunked.pcap');
    const w3 = await PcapWriter.create(chunked, { bufferSize: 2000, snaplen: 5000 });
    await w3.appendPackets({ batches: [b, b2], chunk: Uint32Array.from(index, (_, k) => k % 2), index, count: index.length });
    await w3.close();
    expect(readFileSync(chunked).equals(readFileSync(join(dir, 'one-2000.pcap')))).toBe(true);
    const frames = tsharkFrames(join(dir, 'bulk-2000.pcap'));
    expect(frames.map((f) => [f.capLen, f.len])).toEqual(Array.from(index, (i) => [Math.min(sizes[i], 5000), sizes[i]]));
    expect(frames.map((f) => f.epoch)).toEqual(Array.from(index, (_, k) => epochString(tsSec[k], tsNsec[k])));
  });

  it('validates its arguments', async () => {
    const w = await PcapWriter.create(join(dir, 'args.pcap'));
    expect(() => w.write(udpFrame(60), -1, 0)).toThrow(RangeError);
    expect(() => w.write(udpFrame(60), 1, 1e9)).toThrow(RangeError);
    expect(() => w.write(udpFrame(60), 1, 0, 59)).toThrow(RangeError);
    // appendPackets() takes timestamps from the TS columns: a column written past PacketBatch.append's checks is named
    const b = PacketBatch.create({ capacity: 4, dataSize: 4096 });
    b.append(udpFrame(60));
    b.append(udpFrame(60));
    b.tsNsec[1] = 1e9;
    expect(() => w.appendPackets({ batches: [b], chunk: null, index: Uint32Array.from([0, 1]), count: 2 })).toThrow(
      expect.objectContaining({ code: 'ERR_VS_BAD_ARGUMENT', message: expect.stringContaining("entry 1 of the list: its packet's TS_NSEC is 10^9 or more") }),
    );
    expect(() => w.appendPackets({ batches: [b], chunk: null, index: Uint32Array.from([2]), count: 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_VS_BAD_ARGUMENT', message: expect.stringContaining("entry 0 of the list: its index is past its batch's packets") }),
    );
    await w.abort();
    await expect(PcapWriter.create(join(dir, 'x.pcap'), { snaplen: 0 })).rejects.toThrow(RangeError);
  });

  it('reports an unwritable destination as ERR_CAPTURE_WRITE', async () => {
    await expect(PcapWriter.create(join(dir, 'no-such-dir', 'out.pcap'))).rejects.toMatchObject({ code: 'ERR_CAPTURE_WRITE' });
  });

  it('refuses use after close', async () => {
    const w = await PcapWriter.create(join(dir, 'closed.pcap'));
    await w.close();
    expect(() => w.write(udpFrame(60), 1, 0)).toThrow(expect.objectContaining({ code: 'ERR_CAPTURE_WRITE' }));
    await expect(w.close()).rejects.toMatchObject({ code: 'ERR_CAPTURE_WRITE' });
  });
});
