/**
 * pcapng: sections in both byte orders, interfaces with their own link types
 * and time resolutions, every packet block kind, unknown blocks skipped.
 * Files are generated here and read by tshark too; both must agree, and a
 * few values are also checked against hand-derived numbers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { openCapture, type CaptureReader, type CaptureRecord } from '../../src/pcap/index.js';
import { concat, ipv4Packet, ipv6Packet, pcapng, udpFrame } from './fixtures/capture-builder.js';
import { epochString, tsharkFrames } from './fixtures/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'vs-pcapng-'));
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

const LE = true;
const BE = false;

// Section 1, little-endian: four interfaces, several resolutions.
const section1Blocks = [
  pcapng.shb(LE, { options: [{ code: 4, value: [...new TextEncoder().encode('vswitch-sim test')] }] }),
  pcapng.idb(LE, { linkType: 1, snaplen: 65535, name: 'eth0' }), // 10^-6 by default
  pcapng.idb(LE, { linkType: 101, snaplen: 0, tsresol: 9, name: 'tun0' }),
  pcapng.other(LE, 4, [0, 0, 0, 0]), // NRB: just the end record
  pcapng.idb(LE, { linkType: 229, snaplen: 0, tsresol: 0x80 | 20, tsoffset: 1000n }), // 2^-20 s, +1000 s
  pcapng.idb(LE, { linkType: 276, snaplen: 128, tsresol: 3 }), // milliseconds
  // iface 0: 1_700_000_000.123456 s in microseconds
  pcapng.epb(LE, { iface: 0, ts: 1_700_000_000_123_456n, data: udpFrame(60) }),
  // iface 1: nanoseconds
  pcapng.epb(LE, { iface: 1, ts: 1_700_000_001_000_000_007n, data: ipv4Packet(40) }),
  pcapng.other(LE, 5, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), // ISB for interface 1 (iface id, ts)
  // iface 2: 2^-20 units; 3*2^20 + 2^19 units = 3.5 s, plus tsoffset 1000 -> 1003.500000000
  pcapng.epb(LE, { iface: 2, ts: 3n * 1048576n + 524288n, data: ipv6Packet(64) }),
  pcapng.other(LE, 0x00000bad, [0x00, 0x00, 0x7e, 0xd9, 1, 2, 3, 4]), // custom block (PEN + data)
  // iface 3: milliseconds, snaplen 128, a 200-byte packet cut to 128
  pcapng.epb(LE, { iface: 3, ts: 1_700_000_002_250n, data: new Uint8Array(128).fill(0x11), wireLength: 200 }),
  pcapng.other(LE, 0x0000000a, [0x4b, 0x53, 0x4c, 0x54, 0, 0, 0, 0]), // DSB (TLS key log, empty)
  pcapng.opb(LE, { iface: 0, ts: 1_700_000_003_000_001n, data: udpFrame(64) }),
  // iface 0 again, 2^-20 fraction check does not apply; a packet with wire length > caplen
  pcapng.epb(LE, { iface: 0, ts: 1_700_000_004_999_999n, data: udpFrame(42), wireLength: 1514 }),
];
const section1 = concat(...section1Blocks);

// Section 2, big-endian: interface ids start again at 0.
const section2Blocks = [
  pcapng.shb(BE),
  pcapng.idb(BE, { linkType: 228, snaplen: 0, tsresol: 0x80 | 10 }), // 2^-10 s
  pcapng.idb(BE, { linkType: 1, snaplen: 96, tsresol: 9, tsoffset: -5n }),
  // iface 0 (file-wide 4): 1024*10 + 512 units of 2^-10 s = 10.5 s
  pcapng.epb(BE, { iface: 0, ts: 10n * 1024n + 512n, data: ipv4Packet(48) }),
  // iface 1 (file-wide 5): 1_700_000_010.000000001 s - 5 s
  pcapng.epb(BE, { iface: 1, ts: 1_700_000_010_000_000_001n, data: udpFrame(96), wireLength: 1000 }),
  // SPB on iface 0 of this section: raw IPv4
  pcapng.spb(BE, { wireLength: 48, data: ipv4Packet(48) }),
];
const section2 = concat(...section2Blocks);

/** File offsets of the packet blocks (EPB 6, OPB 2, SPB 3), from the block list. */
function packetBlockOffsets(blocks: { bytes: Uint8Array; le: boolean }[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const { bytes, le } of blocks) {
    const type = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, le);
    if (type === 6 || type === 2 || type === 3) out.push(at);
    at += bytes.length;
  }
  return out;
}

describe('pcapng reader', () => {
  const path = file('multi.pcapng', concat(section1, section2));

  it('reports every interface with its link type, snaplen, resolution, offset and name', async () => {
    const reader = await openCapture(path);
    expect(reader.format).toBe('pcapng');
    // Before any packet is read, only section 1's interfaces are known.
    expect(reader.interfaces.map((i) => i.id)).toEqual([0, 1, 2, 3]);
    await readAll(reader);
    expect(reader.interfaces.map((i) => [i.id, i.section, i.linkType, i.snaplen, i.tsResolution.base, i.tsResolution.exponent, i.tsOffset, i.name])).toEqual([
      [0, 0, 1, 65535, 10, 6, 0n, 'eth0'],
      [1, 0, 101, 0, 10, 9, 0n, 'tun0'],
      [2, 0, 229, 0, 2, 20, 1000n, undefined],
      [3, 0, 276, 128, 10, 3, 0n, undefined],
      [4, 1, 228, 0, 2, 10, 0n, undefined],
      [5, 1, 1, 96, 10, 9, -5n, undefined],
    ]);
  });

  it('reads every packet block with exact timestamps (hand-derived)', async () => {
    const recs = await readAll(await openCapture(path));
    expect(recs.map((r) => [r.index, r.interfaceId, r.linkType, epochString(r.tsSec, r.tsNsec), r.caplen, r.wireLength])).toEqual([
      [0, 0, 1, '1700000000.123456000', 60, 60],
      [1, 1, 101, '1700000001.000000007', 40, 40],
      [2, 2, 229, '1003.500000000', 64, 64],
      [3, 3, 276, '1700000002.250000000', 128, 200],
      [4, 0, 1, '1700000003.000001000', 64, 64],
      [5, 0, 1, '1700000004.999999000', 42, 1514],
      [6, 4, 228, '10.500000000', 48, 48],
      [7, 5, 1, '1700000005.000000001', 96, 1000],
      [8, 4, 228, '0.000000000', 48, 48],
    ]);
    expect([...recs[1].data]).toEqual([...ipv4Packet(40)]);
    expect([...recs[8].data]).toEqual([...ipv4Packet(48)]);
  });

  it('agrees with tshark on count, interfaces, lengths and timestamps', async () => {
    const reader = await openCapture(path);
    const recs = await readAll(reader);
    const ours = recs.map((r) => ({
      epoch: epochString(r.tsSec, r.tsNsec),
      capLen: r.caplen,
      len: r.wireLength,
      interfaceId: reader.interfaces[r.interfaceId].localId,
    }));
    const theirs = tsharkFrames(path)
      .filter((f) => f.protocol !== 'PCAPNG') // tshark 4.0 lists the custom block as a frame
      .map(({ epoch, capLen, len, interfaceId }) => ({ epoch: epoch === '' ? '0.000000000' : epoch, capLen, len, interfaceId })); // SPB: no timestamp
    expect(ours).toEqual(theirs);
  });

  it('reads the same with tiny read chunks (every block straddles chunks)', async () => {
    const whole = await readAll(await openCapture(path));
    const tiny = await readAll(await openCapture(path, { chunkSize: 16 }));
    expect(tiny).toEqual(whole);
  });

  it('reads a file that is big-endian from its first section on; tshark agrees', async () => {
    const p = file(
      'be.pcapng',
      concat(
        pcapng.shb(BE),
        pcapng.idb(BE, { linkType: 1, snaplen: 65535, tsresol: 9, name: 'ens3' }),
        pcapng.other(BE, 5, new Uint8Array(12)),
        pcapng.epb(BE, { iface: 0, ts: 1_600_000_000_123_456_789n, data: udpFrame(70) }),
        pcapng.epb(BE, { iface: 0, ts: 1_600_000_001_000_000_000n, data: udpFrame(80), wireLength: 1500 }),
      ),
    );
    const reader = await openCapture(p);
    expect(reader.interfaces[0]).toMatchObject({ linkType: 1, snaplen: 65535, name: 'ens3', tsResolution: { base: 10, exponent: 9 } });
    const recs = await readAll(reader);
    const ours = recs.map((r) => ({ epoch: epochString(r.tsSec, r.tsNsec), capLen: r.caplen, len: r.wireLength }));
    expect(ours).toEqual([
      { epoch: '1600000000.123456789', capLen: 70, len: 70 },
      { epoch: '1600000001.000000000', capLen: 80, len: 1500 },
    ]);
    expect(tsharkFrames(p).map(({ epoch, capLen, len }) => ({ epoch, capLen, len }))).toEqual(ours);
    expect(recs[0].data).toEqual(udpFrame(70));
  });

  it('gives the byte offset of each packet block', async () => {
    const recs = await readAll(await openCapture(path));
    const blocks = [...section1Blocks.map((bytes) => ({ bytes, le: LE })), ...section2Blocks.map((bytes) => ({ bytes, le: BE }))];
    expect(recs.map((r) => r.byteOffset)).toEqual(packetBlockOffsets(blocks));
  });
});

describe('pcapng time resolutions', () => {
  // [if_tsresol byte, timestamp in units, epoch derived by hand]
  const agreed: [number, bigint, string][] = [
    [0, 1_700_000_000n, '1700000000.000000000'], // 10^0: seconds
    [1, 17_000_000_005n, '1700000000.500000000'], // 10^-1: 1_700_000_000.5 s
    [6, 1n, '0.000001000'],
    [9, 999_999_999n, '0.999999999'],
    [12, 1_000_000_000_001_000n, '1000.000000001'], // picoseconds: 1000 ps = 1 ns
    [0x80 | 0, 7n, '7.000000000'], // 2^0
    [0x80 | 1, 3n, '1.500000000'], // 2^-1: 3/2 s
    [0x80 | 10, 1n, '0.000976562'], // 1/1024 s = 976562.5 ns, truncated
    [0x80 | 20, (1n << 20n) * 5n + 1n, '5.000000953'], // 5 s + 1/2^20 s = 953.67 ns
    [0x80 | 30, (1n << 30n) * 3n + (1n << 29n), '3.500000000'],
  ];
  it.each(agreed)('if_tsresol %i, ts %s (hand-derived, tshark agrees)', async (resol, ts, expected) => {
    const p = file(`res-${resol}-${ts}.pcapng`, concat(pcapng.shb(LE), pcapng.idb(LE, { linkType: 1, tsresol: resol }), pcapng.epb(LE, { iface: 0, ts, data: udpFrame(60) })));
    const [r] = await readAll(await openCapture(p));
    expect(epochString(r.tsSec, r.tsNsec)).toBe(expected);
    expect(tsharkFrames(p)[0].epoch).toBe(expected);
  });

  // tshark 4.0 multiplies (ts % units) by 1e9 in 64 bits: it overflows here
  // and prints 1.001937910 and 3.013460736. The hand-derived values stand.
  const overflowInTshark: [number, bigint, string][] = [
    [12, 1_500_000_000_001n, '1.500000000'], // 1.5 s + 1 ps
    [0x80 | 40, (1n << 40n) * 3n + (1n << 39n), '3.500000000'],
  ];
  it.each(overflowInTshark)('if_tsresol %i, ts %s (hand-derived; tshark 4.0 overflows)', async (resol, ts, expected) => {
    const p = file(`res-${resol}-${ts}.pcapng`, concat(pcapng.shb(LE), pcapng.idb(LE, { linkType: 1, tsresol: resol }), pcapng.epb(LE, { iface: 0, ts, data: udpFrame(60) })));
    const [r] = await readAll(await openCapture(p));
    expect(epochString(r.tsSec, r.tsNsec)).toBe(expected);
  });
});
