/**
 * Every capture of the shared corpora (real files written by tcpdump,
 * PcapPlusPlus, tcpreplay and OVS's test suite) read completely, with packet
 * count, lengths and timestamps equal to what tshark reports.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { openCapture } from '../../src/pcap/index.js';
import { epochString, tsharkFrames } from './fixtures/tshark.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const corpora = resolve(repoRoot, '../shared/corpora');

function captures(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return captures(p);
      return /\.(pcap|pcapng|cap)$/.test(name) ? [p] : [];
    })
    .sort();
}

describe('shared corpora', () => {
  it('are present (../shared/corpora relative to the repository)', () => {
    expect(existsSync(corpora), `capture corpora missing: expected them at ${corpora}`).toBe(true);
    expect(captures(corpora).length).toBeGreaterThan(20);
  });

  const files = existsSync(corpora) ? captures(corpora) : [];
  it.each(files.map((f) => [f.slice(corpora.length + 1), f]))('%s reads as tshark reads it', async (_name, file) => {
    const expected = tsharkFrames(file);
    const reader = await openCapture(file);
    const got = [];
    for await (const r of reader.records()) {
      expect(r.data.length).toBe(r.caplen);
      got.push({ number: r.index + 1, epoch: epochString(r.tsSec, r.tsNsec), capLen: r.caplen, len: r.wireLength });
    }
    expect(got.length).toBeGreaterThan(0);
    expect(got).toEqual(expected.map(({ number, epoch, capLen, len }) => ({ number, epoch, capLen, len })));
  });
});
