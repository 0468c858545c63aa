/**
 * Differential test: for every packet of every capture in the shared corpora
 * and in pcaps/, `inspect`'s layer stack and checksum verdicts equal tshark's
 * (mapping and verdict rules: stack-compare.ts).
 *
 * A packet we find malformed stops at the bad header, where tshark goes on
 * best-effort: then tshark must flag an error too (expert info), and our
 * stack must be the start of its stack.
 */
import { describe, expect, it } from 'vitest';

import { inspectCapture, type InspectRecord } from '../../src/inspect/inspect.js';
import { requireTshark, tsharkDecode } from './tshark.js';
import { corpusFiles, shippedCaptures, shortName } from './corpora.js';
import { ourStack, tsharkStack } from './stack-compare.js';

/**
 * Packets where tshark is wrong, with the reason. Key: "<file>#<frame number>".
 * Each entry must still be a disagreement (a stale entry fails the test).
 */
const TSHARK_IS_WRONG: Record<string, string> = {
  // IPv4 total length 0 on a BIG TCP frame (80 KB) means "the length is the
  // frame's" (Linux BIG TCP; tcpdump's own expected decode of this file says
  // "length 80102 [was 0, presumed BIG TCP]"). tshark 4.0 stops at the outer
  // UDP ("UDP length 0 < 8"); we decode eth ip udp vxlan eth ip tcp, with both
  // the outer UDP and the inner TCP checksum partial (pseudo-header sums over
  // the frame-derived lengths, checked by hand).
  'shared/corpora/tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap#1': 'tshark 4.0 does not read IPv4 total length 0 as BIG TCP',
};

const startsWith = (x: string[], y: string[]): boolean => x.every((v, n) => v === y[n]);

async function compare(file: string): Promise<string[]> {
  const theirs = tsharkDecode(file);
  const ours: InspectRecord[] = [];
  for await (const r of inspectCapture(file)) ours.push(r);
  const problems: string[] = [];
  if (ours.length !== theirs.length) problems.push(`packet count: ours ${ours.length}, tshark ${theirs.length}`);
  for (let k = 0; k < Math.min(ours.length, theirs.length); k++) {
    const a = ourStack({ layers: ours[k].stack, checksums: ours[k].checksums });
    const b = tsharkStack(theirs[k]);
    const key = `${shortName(file)}#${k + 1}`;
    let same = a.join(' ') === b.join(' ');
    if (!same && ours[k].error) same = theirs[k].errors.length > 0 && startsWith(a, b);
    if (TSHARK_IS_WRONG[key]) {
      if (same) problems.push(`${key}: listed as a tshark error but now agrees; remove it from TSHARK_IS_WRONG`);
      continue;
    }
    if (!same) problems.push(`${key}: ours "${a.join(' ')}"${ours[k].error ? ` (${ours[k].error})` : ''} vs tshark "${b.join(' ')}"`);
  }
  return problems;
}

describe('inspect agrees with tshark', () => {
  requireTshark();
  const files = [...corpusFiles(), ...shippedCaptures()];
  it('has captures to compare', () => {
    expect(files.length).toBeGreaterThan(20);
  });
  for (const file of files) {
    it(shortName(file), async () => {
      expect(await compare(file)).toEqual([]);
    });
  }
});
