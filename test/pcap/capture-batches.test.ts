/**
 * batches(): records packed into PacketBatches, split on link type,
 * capacity and data room; a single large packet (an 80 KB BIG TCP frame)
 * gets a batch big enough.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { batches, openCapture, type CaptureBatch } from '../../src/pcap/index.js';
import { classicPcap, concat, ipv4Packet, pcapng, udpFrame } from './fixtures/capture-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'vs-batches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

async function collect(it: AsyncIterable<CaptureBatch>): Promise<CaptureBatch[]> {
  const out: CaptureBatch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

const LE = true;
// Interfaces: 0 Ethernet, 1 raw IP, 2 Ethernet.
const mixed = concat(
  pcapng.shb(LE),
  pcapng.idb(LE, { linkType: 1 }),
  pcapng.idb(LE, { linkType: 101 }),
  pcapng.idb(LE, { linkType: 1 }),
  pcapng.epb(LE, { iface: 0, ts: 1_000_001n, data: udpFrame(60) }),
  pcapng.epb(LE, { iface: 2, ts: 2_000_002n, data: udpFrame(61), wireLength: 1500 }),
  pcapng.epb(LE, { iface: 1, ts: 3_000_003n, data: ipv4Packet(40) }),
  pcapng.epb(LE, { iface: 1, ts: 4_000_004n, data: ipv4Packet(41) }),
  pcapng.epb(LE, { iface: 0, ts: 5_000_005n, data: udpFrame(62) }),
);

describe('batches()', () => {
  it('starts a new batch when the link type changes; interfaceId only when shared', async () => {
    const got = await collect(batches(await openCapture(file('mixed.pcapng', mixed))));
    expect(got.map((b) => [b.linkType, b.interfaceId, b.firstIndex, b.batch.count])).toEqual([
      [1, undefined, 0, 2], // interfaces 0 and 2
      [101, 1, 2, 2],
      [1, 0, 4, 1],
    ]);
    const first = got[0].batch;
    expect([first.length[0], first.wireLength[0], first.tsSec[0], first.tsNsec[0]]).toEqual([60, 60, 1, 1000]);
    expect([first.length[1], first.wireLength[1], first.tsSec[1], first.tsNsec[1]]).toEqual([61, 1500, 2, 2000]);
    expect(first.packet(1)).toEqual(udpFrame(61));
    expect(got[1].batch.packet(1)).toEqual(ipv4Packet(41));
  });

  it('splits by interface when asked, and sets in-ports', async () => {
    const got = await collect(batches(await openCapture(file('mixed2.pcapng', mixed)), { splitByInterface: true, inPort: (r) => 10 + r.interfaceId }));
    expect(got.map((b) => [b.linkType, b.interfaceId, b.firstIndex, b.batch.count])).toEqual([
      [1, 0, 0, 1],
      [1, 2, 1, 1],
      [101, 1, 2, 2],
      [1, 0, 4, 1],
    ]);
    expect(got.map((b) => b.batch.inPort[0])).toEqual([10, 12, 11, 10]);
  });

  it('starts a new batch at capacity', async () => {
    const recs = Array.from({ length: 10 }, (_, i) => ({ tsSec: i, tsFrac: 0, data: udpFrame(60 + i) }));
    const got = await collect(batches(await openCapture(file('ten.pcap', classicPcap({}, recs))), { capacity: 4 }));
    expect(got.map((b) => [b.firstIndex, b.batch.count])).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
    expect(got[2].batch.packet(1)).toEqual(udpFrame(69));
  });

  it('starts a new batch when the data room is used up', async () => {
    // Each 1000-byte packet takes headroom 128 + 1000 = 1128 bytes (8-aligned): 3 fit in 4096.
    const recs = Array.from({ length: 7 }, (_, i) => ({ tsSec: i, tsFrac: 0, data: udpFrame(1000) }));
    const got = await collect(batches(await openCapture(file('room.pcap', classicPcap({}, recs))), { dataSize: 4096 }));
    expect(got.map((b) => b.batch.count)).toEqual([3, 3, 1]);
  });

  it('gives an 80 KB BIG TCP frame a batch of its own size', async () => {
    const big = resolve(repoRoot, '../shared/corpora/tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap');
    const recs = [];
    for await (const r of (await openCapture(big)).records()) recs.push(r);
    expect(recs[0].caplen).toBeGreaterThan(80_000);
    const got = await collect(batches(await openCapture(big), { dataSize: 16384 }));
    expect(got.length).toBe(recs.length);
    expect(got[0].batch.packet(0)).toEqual(recs[0].data);
    expect(got[0].batch.wireLength[0]).toBe(recs[0].wireLength);
  });
});

describe('batches() on a damaged file', () => {
  it('yields the packets read before the fault, then throws the capture error', async () => {
    const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openCapture, batches } = await import('../../src/pcap/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'vs-batches-'));
    const demo = readFileSync(new URL('../../pcaps/demo.pcap', import.meta.url));
    // Global header, packet 0 (16 + 42 bytes), then 2 bytes of packet 1's data.
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, demo.subarray(0, 24 + 16 + 42 + 16 + 2));
    const seen: number[] = [];
    const reader = await openCapture(cut);
    await expect(
      (async () => {
        for await (const { batch } of batches(reader)) seen.push(batch.count);
      })(),
    ).rejects.toMatchObject({ code: 'ERR_CAPTURE_TRUNCATED', packetIndex: 1 });
    expect(seen).toEqual([1]);
  });
});
