/**
 * gzip-compressed captures are read as tshark reads them (decompressed on
 * the fly): the same records as the uncompressed file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { openCapture, type CaptureRecord } from '../../src/pcap/index.js';
import { epochString, tsharkFrames } from './fixtures/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'vs-gzip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

async function readAll(path: string, chunkSize?: number): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for await (const r of (await openCapture(path, chunkSize === undefined ? {} : { chunkSize })).records()) out.push(r);
  return out;
}

describe('gzip-compressed captures', () => {
  it.each(['tcpreplay/test.pcap', 'tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap'])('%s.gz reads like %s and as tshark reads it', async (name) => {
    const plainPath = resolve(repoRoot, '../shared/corpora', name);
    const gzPath = join(dir, `${name.replace('/', '-')}.gz`);
    writeFileSync(gzPath, gzipSync(readFileSync(plainPath)));
    const plain = await readAll(plainPath);
    const gz = await readAll(gzPath, 4096);
    expect(gz.length).toBe(plain.length);
    gz.forEach((r, i) => {
      expect([r.tsSec, r.tsNsec, r.caplen, r.wireLength, r.byteOffset]).toEqual([plain[i].tsSec, plain[i].tsNsec, plain[i].caplen, plain[i].wireLength, plain[i].byteOffset]);
      expect(Buffer.compare(r.data, plain[i].data)).toBe(0);
    });
    expect(gz.map((r) => epochString(r.tsSec, r.tsNsec))).toEqual(tsharkFrames(gzPath).map((f) => f.epoch));
  });
});
