/**
 * Classic pcap: both magics (microsecond, nanosecond) in both byte orders,
 * the raw-IP link type aliases, checked against tshark and, for microsecond
 * files, against the pcap-parser package as a second independent decoder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { openCapture, type CaptureReader, type CaptureRecord } from '../../src/pcap/index.js';
import { classicPcap, ipv4Packet, udpFrame, type ClassicRecord } from './fixtures/capture-builder.js';
import { epochString, tsharkFrames } from './fixtures/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'vs-classic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function readAll(reader: CaptureReader): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const r of reader.records()) out.push(r);
  return out;
}

const records: ClassicRecord[] = [
  { tsSec: 1_700_000_000, tsFrac: 1, data: udpFrame(60) },
  { tsSec: 1_700_000_000, tsFrac: 999_999, data: udpFrame(1514, 0x5a) },
  { tsSec: 0xffffffff, tsFrac: 123, data: udpFrame(42), wireLength: 9000 },
  { tsSec: 1, tsFrac: 0, data: udpFrame(64) },
];

describe('classic pcap', () => {
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      const name = `${le ? 'little' : 'big'}-endian ${nano ? 'nanosecond' : 'microsecond'}`;
      it(`${name}: fields, data and offsets; tshark agrees`, async () => {
        const bytes = classicPcap({ le, nano, snaplen: 65535 }, records);
        const p = file(`${name.replace(/ /g, '-')}.pcap`, bytes);
        const reader = await openCapture(p);
        expect(reader.format).toBe('pcap');
        expect(reader.interfaces).toEqual([
          { id: 0, section: 0, localId: 0, linkType: 1, fileLinkType: 1, snaplen: 65535, tsResolution: { base: 10, exponent: nano ? 9 : 6 }, tsOffset: 0n },
        ]);
        const recs = await readAll(reader);
        const unit = nano ? 1 : 1000;
        // Hand-derived: nsec = frac * (1 for nano, 1000 for micro); offsets 24, then + 16 + caplen each.
        expect(recs.map((r) => [r.index, r.tsSec, r.tsNsec, r.caplen, r.wireLength, r.byteOffset])).toEqual([
          [0, 1_700_000_000, 1 * unit, 60, 60, 24],
          [1, 1_700_000_000, 999_999 * unit, 1514, 1514, 24 + 16 + 60],
          [2, 0xffffffff, 123 * unit, 42, 9000, 24 + 16 + 60 + 16 + 1514],
          [3, 1, 0, 64, 64, 24 + 16 + 60 + 16 + 1514 + 16 + 42],
        ]);
        recs.forEach((r, i) => expect(r.data).toEqual(records[i].data));
        expect(recs.map((r) => ({ number: r.index + 1, epoch: epochString(r.tsSec, r.tsNsec), capLen: r.caplen, len: r.wireLength }))).toEqual(
          tsharkFrames(p).map(({ number, epoch, capLen, len }) => ({ number, epoch, capLen, len })),
        );
      });
    }
  }

  it('microsecond files: the pcap-parser package decodes the same records', async () => {
    const p = file('usec-for-pcap-parser.pcap', classicPcap({ le: true }, records));
    const require = createRequire(import.meta.url);
    const pcapParser = require('pcap-parser') as {
      parse(path: string): {
        on(ev: 'packet', cb: (p: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => void): void;
        on(ev: 'end', cb: () => void): void;
        on(ev: 'error', cb: (e: Error) => void): void;
      };
    };
    const theirs = await new Promise<{ sec: number; usec: number; caplen: number; len: number; data: Buffer }[]>((resolve, reject) => {
      const out: { sec: number; usec: number; caplen: number; len: number; data: Buffer }[] = [];
      const parser = pcapParser.parse(p);
      parser.on('packet', (pk) =>
        out.push({ sec: pk.header.timestampSeconds, usec: pk.header.timestampMicroseconds, caplen: pk.header.capturedLength, len: pk.header.originalLength, data: pk.data }),
      );
      parser.on('end', () => resolve(out));
      parser.on('error', reject);
    });
    const ours = await readAll(await openCapture(p));
    expect(ours.length).toBe(theirs.length);
    ours.forEach((r, i) => {
      expect([r.tsSec, r.tsNsec, r.caplen, r.wireLength]).toEqual([theirs[i].sec, theirs[i].usec * 1000, theirs[i].caplen, theirs[i].len]);
      expect(Buffer.from(r.data).equals(theirs[i].data)).toBe(true);
    });
  });

  it.each([
    [12, 101],
    [14, 101],
    [101, 101],
    [228, 228],
    [229, 229],
    [113, 113],
    [276, 276],
  ])('link type %i in the file is read as %i', async (fileLinkType, linkType) => {
    const p = file(`lt-${fileLinkType}.pcap`, classicPcap({ linkType: fileLinkType }, [{ tsSec: 1, tsFrac: 2, data: ipv4Packet(28) }]));
    const reader = await openCapture(p);
    expect(reader.interfaces[0]).toMatchObject({ linkType, fileLinkType });
    const [r] = await readAll(reader);
    expect(r.linkType).toBe(linkType);
  });

  it('masks the FCS bits of the link type field (LT_LINKTYPE)', async () => {
    // 0x14000001: FCS present flag (bit 26) and 4 bytes of FCS (bits 28-31 = 1 -> 2 bytes units... here 0x1 << 28), link type 1.
    const p = file('fcs-bits.pcap', classicPcap({ linkType: 0x14000001 }, [{ tsSec: 1, tsFrac: 2, data: udpFrame(60) }]));
    const reader = await openCapture(p);
    expect(reader.interfaces[0].linkType).toBe(1);
    await reader.close();
  });

  it('carries microseconds >= 1e6 into the seconds', async () => {
    const p = file('usec-overflow.pcap', classicPcap({}, [{ tsSec: 1, tsFrac: 1_500_000, data: udpFrame(60) }]));
    const [r] = await readAll(await openCapture(p));
    expect([r.tsSec, r.tsNsec]).toEqual([2, 500_000_000]);
  });

  it('reads version 2.2 files (2.x minors are all read alike, as libpcap does)', async () => {
    const p = file('v22.pcap', classicPcap({ minor: 2 }, [{ tsSec: 1, tsFrac: 2, data: udpFrame(60) }]));
    expect((await readAll(await openCapture(p))).length).toBe(1);
  });

  it('reads an empty capture (header only)', async () => {
    const p = file('empty.pcap', classicPcap({}, []));
    expect(await readAll(await openCapture(p))).toEqual([]);
  });

  it('reads packets larger than the read chunk and straddling chunks', async () => {
    const big: ClassicRecord[] = Array.from({ length: 50 }, (_, i) => ({ tsSec: i, tsFrac: i, data: udpFrame(100 + ((i * 997) % 3000), i) }));
    const p = file('chunks.pcap', classicPcap({}, big));
    const recs = await readAll(await openCapture(p, { chunkSize: 257 }));
    expect(recs.length).toBe(50);
    recs.forEach((r, i) => expect(r.data).toEqual(big[i].data));
  });

  it('only iterates once, and closes the file when a loop breaks early', async () => {
    const p = file('once.pcap', classicPcap({}, records));
    const reader = await openCapture(p);
    for await (const r of reader.records()) {
      expect(r.index).toBe(0);
      break;
    }
    expect(() => reader.records()).toThrow(/only once/);
    await reader.close(); // idempotent
  });
});

describe('classic pcap bulk path (appendBuffered)', () => {
  /** The reader after its first record, and that record (appendBuffered works once records() started). */
  async function started(p: string): Promise<{ reader: CaptureReader; it: AsyncIterableIterator<CaptureRecord>; first: CaptureRecord }> {
    const reader = await openCapture(p);
    const it = reader.records();
    const r = await it.next();
    if (r.done) throw new Error('empty capture');
    return { reader, it, first: r.value };
  }

  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      it(`${le ? 'little' : 'big'}-endian ${nano ? 'nanosecond' : 'microsecond'}: the batch holds what records() yields`, async () => {
        const recs: ClassicRecord[] = [...records, { tsSec: 7, tsFrac: nano ? 1_999_999_999 : 2_500_000, data: udpFrame(70, 3) }];
        const p = file(`bulk-${le}-${nano}.pcap`, classicPcap({ le, nano, snaplen: 65535 }, recs));
        const expected = await readAll(await openCapture(p));
        const { reader, it: iter } = await started(p);
        const batch = PacketBatch.create({ capacity: 16, dataSize: 65536 });
        const bulk = reader.appendBuffered(batch, { inPort: 9, maxPackets: 16 });
        expect(bulk?.packets).toBe(recs.length - 1);
        expect(bulk?.firstIndex).toBe(1);
        expect(bulk?.endOffset).toBe(expected[expected.length - 1].byteOffset + 16 + expected[expected.length - 1].caplen);
        for (let k = 0; k < recs.length - 1; k++) {
          const r = expected[k + 1];
          expect([batch.tsSec[k], batch.tsNsec[k], batch.length[k], batch.wireLength[k], batch.inPort[k]]).toEqual([r.tsSec, r.tsNsec, r.caplen, r.wireLength, 9]);
          expect(batch.packet(k)).toEqual(r.data);
          const off = bulk?.dataOffsets[k] ?? -1;
          expect(bulk?.chunk.subarray(off, off + r.caplen)).toEqual(r.data);
        }
        // the carried fraction, hand-derived: 7 s + 2.5 s (usec 2500000) or + 1.999999999 s (nsec)
        expect([batch.tsSec[recs.length - 2], batch.tsNsec[recs.length - 2]]).toEqual(nano ? [8, 999_999_999] : [9, 500_000_000]);
        expect((await iter.next()).done).toBe(true);
      });
    }
  }

  it('stops before a record the reader refuses, which records() then refuses as before', async () => {
    const good = { tsSec: 1, tsFrac: 0, data: udpFrame(60) };
    const p = file('bulk-bad.pcap', classicPcap({}, [good, good, good, { tsSec: 2, tsFrac: 0, data: udpFrame(60), wireLength: 59 }, good]));
    const { reader, it: iter } = await started(p);
    const batch = PacketBatch.create({ capacity: 16, dataSize: 65536 });
    expect(reader.appendBuffered(batch, { inPort: 0, maxPackets: 16 })?.packets).toBe(2);
    await expect(iter.next()).rejects.toMatchObject({ code: 'ERR_CAPTURE_CAPLEN', packetIndex: 3, byteOffset: 24 + 3 * 76 });
  });

  it('keeps to maxPackets, the batch room and the time limit (exclusive or inclusive)', async () => {
    const recs = [0, 1, 2, 2, 3, 4].map((t) => ({ tsSec: 100, tsFrac: t, data: udpFrame(60) }));
    const p = file('bulk-limits.pcap', classicPcap({}, recs));
    const count = async (o: { maxPackets: number; capacity?: number; limit?: { sec: number; nsec: number; inclusive: boolean } }): Promise<number | undefined> => {
      const { reader } = await started(p);
      const batch = PacketBatch.create({ capacity: o.capacity ?? 16, dataSize: 65536 });
      const n = reader.appendBuffered(batch, { inPort: 0, maxPackets: o.maxPackets, ...(o.limit ? { limit: o.limit } : {}) })?.packets;
      await reader.close();
      return n;
    };
    expect(await count({ maxPackets: 3 })).toBe(3);
    expect(await count({ maxPackets: 16, capacity: 2 })).toBe(2);
    expect(await count({ maxPackets: 16, limit: { sec: 100, nsec: 2000, inclusive: false } })).toBe(1); // t = 1 us only
    expect(await count({ maxPackets: 16, limit: { sec: 100, nsec: 2000, inclusive: true } })).toBe(3); // t = 1, 2, 2 us
    expect(await count({ maxPackets: 16, limit: { sec: 99, nsec: 0, inclusive: true } })).toBe(0);
  });

  it('is undefined before records() was called', async () => {
    const batch = PacketBatch.create({ capacity: 4, dataSize: 8192 });
    const r = await openCapture(file('bulk-unstarted.pcap', classicPcap({}, records)));
    expect(r.appendBuffered(batch, { inPort: 0, maxPackets: 4 })).toBeUndefined();
    await r.close();
  });
});
