/**
 * Bad input: every way a capture can be truncated or corrupt gives a
 * CaptureError with a stable code, the file, the byte offset of the header,
 * record or block at fault, and the index of the packet being read. Offsets
 * are derived by hand from the layouts (pcap: 24-byte global header, 16-byte
 * record headers; pcapng: block lengths as built).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { CaptureError } from '../../src/errors.js';
import { openCapture } from '../../src/pcap/index.js';
import { classicPcap, concat, pcapng, udpFrame } from './fixtures/capture-builder.js';
import { tsharkFrames } from './fixtures/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'vs-bad-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(bytes: Uint8Array | string): string {
  const p = join(dir, `f${n++}.cap`);
  writeFileSync(p, bytes);
  return p;
}

interface Failure {
  code: string;
  byteOffset: number;
  packetIndex: number;
  message: string;
  /** Packets delivered before the error. */
  yielded: number;
}

/** Opens and reads `path` to the end; the error it must end with. */
async function failure(path: string): Promise<Failure> {
  let yielded = 0;
  try {
    const reader = await openCapture(path);
    for await (const _ of reader.records()) yielded++;
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    const e = err as CaptureError;
    expect(e.file).toBe(path);
    expect(e.message).toContain(path);
    expect(e.message).toContain(`byte offset ${e.byteOffset}, packet index ${e.packetIndex}`);
    return { code: e.code, byteOffset: e.byteOffset, packetIndex: e.packetIndex, message: e.message, yielded };
  }
  throw new Error(`${path} was read without error (${yielded} packets)`);
}

const pkt = udpFrame(60);
const rec = (i: number, extra: Partial<{ caplen: number; wireLength: number }> = {}) => ({ tsSec: i, tsFrac: 0, data: pkt, ...extra });

describe('classic pcap bad input', () => {
  it('empty file', async () => {
    expect(await failure(file(new Uint8Array(0)))).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', byteOffset: 0, packetIndex: 0, message: expect.stringContaining('empty') });
  });

  it('truncated in the global header', async () => {
    const bytes = classicPcap({}, []).subarray(0, 10);
    expect(await failure(file(bytes))).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', byteOffset: 0, packetIndex: 0 });
  });

  it('truncated in a record header', async () => {
    // Two records, cut 7 bytes into the second header: 24 + (16 + 60) + 7.
    const bytes = classicPcap({}, [rec(1), rec(2)]).subarray(0, 24 + 76 + 7);
    expect(await failure(file(bytes))).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', byteOffset: 100, packetIndex: 1, yielded: 1 });
  });

  it('truncated in packet data', async () => {
    const bytes = classicPcap({}, [rec(1), rec(2)]).subarray(0, 24 + 76 + 16 + 30);
    const f = await failure(file(bytes));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', byteOffset: 100, packetIndex: 1, yielded: 1 });
    expect(f.message).toContain('30 bytes into a packet of captured length 60');
  });

  it('bad magic', async () => {
    expect(await failure(file('this is not a capture file at all'))).toMatchObject({ code: 'ERR_CAPTURE_BAD_MAGIC', byteOffset: 0, packetIndex: 0 });
  });

  it('truncated gzip-compressed capture: offset in decompressed bytes, index of the packet', async () => {
    const plain = classicPcap({}, [rec(1), rec(2), rec(3)]);
    const gz = gzipSync(plain);
    const f = await failure(file(gz.subarray(0, gz.length - 12))); // cut off the CRC/size trailer and the last bytes
    expect(f.code).toBe('ERR_CAPTURE_TRUNCATED');
    expect(f.packetIndex).toBe(f.yielded);
  });

  it('corrupt gzip data', async () => {
    const gz = gzipSync(classicPcap({}, [rec(1), rec(2), rec(3)]));
    gz.fill(0xff, 12, 30);
    const f = await failure(file(gz));
    expect(['ERR_CAPTURE_BAD_MAGIC', 'ERR_CAPTURE_TRUNCATED']).toContain(f.code);
  });

  it('modified pcap (Kuznetzov) magic: says so', async () => {
    const f = await failure(file(Uint8Array.of(0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0)));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_BAD_MAGIC', message: expect.stringContaining('modified pcap') });
  });

  it('unsupported version', async () => {
    expect(await failure(file(classicPcap({ major: 1, minor: 0 }, [rec(1)])))).toMatchObject({ code: 'ERR_CAPTURE_VERSION', byteOffset: 0 });
  });

  it('caplen larger than the wire length', async () => {
    const bytes = classicPcap({}, [rec(1), rec(2, { wireLength: 59 })]);
    const f = await failure(file(bytes));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN', byteOffset: 100, packetIndex: 1, yielded: 1 });
    expect(f.message).toContain('larger than the wire length 59');
  });

  it('caplen above snaplen but within 262144 is accepted with every byte, as tshark does', async () => {
    const p = file(classicPcap({ snaplen: 20 }, [rec(1)]));
    const reader = await openCapture(p);
    const got = [];
    for await (const r of reader.records()) got.push(r.caplen);
    expect(got).toEqual([60]);
    expect(tsharkFrames(p).map((f) => f.capLen)).toEqual([60]);
  });

  it('caplen above snaplen and above 262144 is refused, as tshark refuses it', async () => {
    const big = new Uint8Array(262145);
    const p = file(classicPcap({ snaplen: 65535 }, [rec(1), { tsSec: 2, tsFrac: 0, data: big }]));
    expect(await failure(p)).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN', byteOffset: 100, packetIndex: 1, yielded: 1 });
    expect(() => execFileSync('tshark', ['-r', p], { stdio: 'pipe' })).toThrow(/damaged or corrupt|cut short/); // tshark refuses the record too
  });

  it('a snaplen that allows it lets a packet above 262144 through (BIG TCP captures)', async () => {
    const big = new Uint8Array(300_000).fill(7);
    const p = file(classicPcap({ snaplen: 524288 }, [{ tsSec: 2, tsFrac: 0, data: big }]));
    const reader = await openCapture(p);
    for await (const r of reader.records()) expect(r.caplen).toBe(300_000);
  });

  it('absurd caplen is refused before anything is buffered', async () => {
    // A 16-byte record header claiming 1 GiB; the file has 10 bytes of data.
    const bytes = classicPcap({ snaplen: 0xffffffff }, [rec(1, { caplen: 0x40000000, wireLength: 0x40000000 })]).subarray(0, 24 + 16 + 10);
    const f = await failure(file(bytes));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN', byteOffset: 24, packetIndex: 0, message: expect.stringContaining('implausibly large') });
  });

  it.each([
    [999, 'unknown link type 999'],
    [105, 'LINKTYPE_IEEE802_11'],
    [50, 'LINKTYPE_PPP_HDLC'],
  ])('unsupported link type %i', async (linkType, name) => {
    const f = await failure(file(classicPcap({ linkType }, [rec(1)])));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_LINKTYPE', byteOffset: 0, packetIndex: 0, message: expect.stringContaining(name) });
  });

  it('missing file: ERR_CAPTURE_NOT_FOUND', async () => {
    const p = join(dir, 'does-not-exist.pcap');
    await expect(openCapture(p)).rejects.toMatchObject({ code: 'ERR_CAPTURE_NOT_FOUND', message: `${p}: no such file (at byte offset 0, packet index 0)` });
  });

  it('a directory: ERR_CAPTURE_OPEN', async () => {
    await expect(openCapture(dir)).rejects.toMatchObject({ code: 'ERR_CAPTURE_OPEN', message: expect.stringContaining('is a directory') });
  });
});

const LE = true;
const shb = pcapng.shb(LE);
const idb = pcapng.idb(LE, { linkType: 1 });
const epb = (i: number, o: Partial<Parameters<typeof pcapng.epb>[1]> = {}) => pcapng.epb(LE, { iface: 0, ts: BigInt(i), data: pkt, ...o });
const head = concat(shb, idb); // 28 + 20 bytes
const EPB_LEN = 32 + 60; // 92

describe('pcapng bad input', () => {
  it('truncated in a block header', async () => {
    const bytes = concat(head, epb(1), epb(2)).subarray(0, head.length + EPB_LEN + 5);
    expect(await failure(file(bytes))).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', byteOffset: head.length + EPB_LEN, packetIndex: 1, yielded: 1 });
  });

  it('truncated in packet data', async () => {
    const bytes = concat(head, epb(1), epb(2)).subarray(0, head.length + EPB_LEN + 40);
    expect(await failure(file(bytes))).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', byteOffset: head.length + EPB_LEN, packetIndex: 1, yielded: 1 });
  });

  it('truncated in a skipped block', async () => {
    const nrb = pcapng.other(LE, 4, new Uint8Array(64));
    const bytes = concat(head, epb(1), nrb).subarray(0, head.length + EPB_LEN + 40);
    expect(await failure(file(bytes))).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', byteOffset: head.length + EPB_LEN, packetIndex: 1, yielded: 1 });
  });

  it('truncated in the section header', async () => {
    expect(await failure(file(shb.subarray(0, 20)))).toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', byteOffset: 0, packetIndex: 0 });
  });

  it('block length not a multiple of 4', async () => {
    const bad = pcapng.idb(LE, { linkType: 1, length: 22 });
    const f = await failure(file(concat(shb, bad, epb(1))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_BAD_BLOCK', byteOffset: 28, packetIndex: 0, message: expect.stringContaining('not a multiple of 4') });
  });

  it('trailing length differs from the leading length (packet block)', async () => {
    const f = await failure(file(concat(head, epb(1), epb(2, { trailer: 96 }))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_BAD_BLOCK', byteOffset: head.length + EPB_LEN, packetIndex: 1, yielded: 1, message: expect.stringContaining('trailing length 96') });
  });

  it('trailing length differs from the leading length (skipped block)', async () => {
    const isb = pcapng.other(LE, 5, new Uint8Array(12), { trailer: 20 });
    const f = await failure(file(concat(head, isb, epb(1))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_BAD_BLOCK', byteOffset: head.length, packetIndex: 0, yielded: 0 });
  });

  it('block length smaller than its minimum', async () => {
    // An EPB needs 32 bytes; a generic block 12.
    const shortEpb = concat(Uint8Array.of(6, 0, 0, 0, 28, 0, 0, 0), new Uint8Array(16), Uint8Array.of(28, 0, 0, 0));
    expect(await failure(file(concat(head, shortEpb)))).toMatchObject({ code: 'ERR_CAPTURE_BAD_BLOCK', byteOffset: head.length, message: expect.stringContaining('minimum 32') });
    const tiny = Uint8Array.of(4, 0, 0, 0, 8, 0, 0, 0);
    expect(await failure(file(concat(head, tiny)))).toMatchObject({ code: 'ERR_CAPTURE_BAD_BLOCK', byteOffset: head.length, message: expect.stringContaining('minimum 12') });
  });

  it('captured length does not fit its block', async () => {
    const f = await failure(file(concat(head, epb(1, { caplen: 61, wireLength: 100 }))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_BAD_BLOCK', byteOffset: head.length, packetIndex: 0, message: expect.stringContaining('cannot hold') });
  });

  it('bad byte-order magic in a section header', async () => {
    const f = await failure(file(concat(pcapng.shb(LE, { bom: 0x11223344 }), idb, epb(1))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_BAD_MAGIC', byteOffset: 0, packetIndex: 0 });
    const second = await failure(file(concat(head, epb(1), pcapng.shb(LE, { bom: 0x11223344 }))));
    expect(second).toMatchObject({ code: 'ERR_CAPTURE_BAD_MAGIC', byteOffset: head.length + EPB_LEN, packetIndex: 1, yielded: 1 });
  });

  it('unsupported pcapng version', async () => {
    expect(await failure(file(concat(pcapng.shb(LE, { major: 2 }), idb, epb(1))))).toMatchObject({ code: 'ERR_CAPTURE_VERSION', byteOffset: 0 });
  });

  it('packet of an interface the section did not describe', async () => {
    // Interface 0 exists in section 1; section 2 has none, so its EPB names an unknown one.
    const f = await failure(file(concat(head, epb(1), epb(2, { iface: 1 }))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_INTERFACE', byteOffset: head.length + EPB_LEN, packetIndex: 1, yielded: 1 });
    const g = await failure(file(concat(head, epb(1), shb, epb(2))));
    expect(g).toMatchObject({ code: 'ERR_CAPTURE_INTERFACE', byteOffset: head.length + EPB_LEN + shb.length, packetIndex: 1, yielded: 1 });
  });

  it('simple packet block with no interface', async () => {
    const f = await failure(file(concat(shb, pcapng.spb(LE, { wireLength: 60, data: pkt }))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_INTERFACE', byteOffset: 28, packetIndex: 0 });
  });

  it('packet of an unsupported link type (the interface alone is not an error)', async () => {
    const usb = pcapng.idb(LE, { linkType: 220 });
    const p = file(concat(head, usb, epb(1), epb(2, { iface: 1 })));
    const reader = await openCapture(p);
    expect(reader.interfaces.map((i) => i.linkType)).toEqual([1, 220]);
    await reader.close();
    const f = await failure(p);
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_LINKTYPE', byteOffset: head.length + usb.length + EPB_LEN, packetIndex: 1, yielded: 1 });
    expect(f.message).toContain('LINKTYPE_USB_LINUX_MMAPPED');
  });

  it('caplen larger than the wire length', async () => {
    const f = await failure(file(concat(head, epb(1, { wireLength: 50 }))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN', byteOffset: head.length, packetIndex: 0 });
  });

  it('absurd caplen', async () => {
    const f = await failure(file(concat(head, epb(1, { caplen: 0x7fffffff, wireLength: 0x7fffffff }))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_CAPLEN', byteOffset: head.length, packetIndex: 0, message: expect.stringContaining('implausibly large') });
  });

  it('an option overrunning its block', async () => {
    const bad = pcapng.idb(LE, { linkType: 1, options: [{ code: 2, value: [0x41, 0x42, 0x43, 0x44] }] });
    bad[18] = 200; // the option's length field (block offset 16 + 2)
    const f = await failure(file(concat(shb, bad, epb(1))));
    expect(f).toMatchObject({ code: 'ERR_CAPTURE_BAD_BLOCK', byteOffset: 28, message: expect.stringContaining('overruns') });
  });
});
