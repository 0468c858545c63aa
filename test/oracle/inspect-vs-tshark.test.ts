/**
 * Differential test: for every packet of every capture in the shared corpora
 * and in pcaps/, `inspect`'s layer stack and checksum verdicts equal tshark's.
 *
 * Mapping of tshark's protocol list to our layer names:
 * - kept: our vocabulary (eth, vlan, arp, ip, ipv6, tcp, udp, icmp, icmpv6,
 *   gre, mpls, vxlan, geneve, sll, ppp); ieee8021ad is a vlan tag;
 * - skipped: pseudo-layers that are part of a layer we keep (ethertype,
 *   IPv6 extension headers, the MPLS pseudowire control word);
 * - the stack ends at the first other protocol: what follows it (an
 *   application, LLC, a GRE payload type we do not follow) is payload to us.
 * - tshark lists one "mpls" per label stack entry in PDML; we report the stack
 *   as one layer, so repeated mpls collapse.
 * - a packet we find malformed stops at the bad header, where tshark goes on
 *   best-effort: tshark must flag an error too (expert info), and our stack
 *   must be the start of its stack.
 * Verdicts: tshark has no "partial": a pseudo-header sum left for offload is
 * "bad" to it (and to the wire), so our partial compares as bad. tshark calls
 * a zero UDP checksum over IPv6 "illegal" (RFC 8200); we report it absent and
 * leave legality to the receiver (the RFC 6935 allowance is a tunnel setting).
 */
import { describe, expect, it } from 'vitest';

import { inspectCapture, type InspectRecord } from '../../src/inspect/inspect.js';
import { requireTshark, tsharkDecode, type TsharkFrame } from './tshark.js';
import { corpusFiles, shippedCaptures, shortName } from './corpora.js';

const OURS = new Set(['eth', 'vlan', 'arp', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'gre', 'mpls', 'vxlan', 'geneve', 'sll', 'ppp']);
const RENAME: Record<string, string> = { ieee8021ad: 'vlan' };
const PART_OF_PREVIOUS = new Set(['ethertype', 'pwethcw', 'pwethheuristic', 'pwethnocw', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ipv6.shim6']);

interface Stack {
  layers: string[];
  checksums: string[];
}

function collapseMpls<T extends { name: string }>(items: T[]): T[] {
  return items.filter((x, k) => !(x.name === 'mpls' && items[k - 1]?.name === 'mpls'));
}

function tsharkStack(frame: TsharkFrame): Stack {
  const kept: { name: string; status?: string }[] = [];
  for (const l of frame.layers) {
    const name = RENAME[l.proto] ?? l.proto;
    if (PART_OF_PREVIOUS.has(name)) continue;
    if (!OURS.has(name)) break;
    kept.push({ name, status: l.status === 'illegal' && name === 'udp' ? 'absent' : l.status });
  }
  const layers = collapseMpls(kept);
  return {
    layers: layers.map((l) => l.name),
    checksums: kept.filter((l) => l.status).map((l) => `${l.name}:${l.status}`),
  };
}

function ourStack(r: InspectRecord): Stack {
  return {
    layers: collapseMpls(r.layers.map((name) => ({ name }))).map((l) => l.name),
    checksums: r.checksums.map((c) => `${c.layer}:${c.status === 'partial' ? 'bad' : c.status}`),
  };
}

/**
 * Packets where tshark is wrong, with the reason. Key: "<file>#<frame number>".
 * Each entry must still be a disagreement (a stale entry fails the test).
 */
const TSHARK_IS_WRONG: Record<string, string> = {
  // IPv4 total length 0 on a BIG TCP frame (80 KB) means "the length is the
  // frame's" (Linux BIG TCP; tcpdump's own expected decode of this file says
  // "length 80102 [was 0, presumed BIG TCP]"). tshark 4.0 stops at the outer UDP.
  'shared/corpora/tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap#1': 'tshark 4.0 does not read IPv4 total length 0 as BIG TCP',
};

async function compare(file: string): Promise<string[]> {
  const theirs = tsharkDecode(file);
  const ours: InspectRecord[] = [];
  for await (const r of inspectCapture(file)) ours.push(r);
  const problems: string[] = [];
  if (ours.length !== theirs.length) problems.push(`packet count: ours ${ours.length}, tshark ${theirs.length}`);
  for (let k = 0; k < Math.min(ours.length, theirs.length); k++) {
    const a = ourStack(ours[k]);
    const b = tsharkStack(theirs[k]);
    const key = `${shortName(file)}#${k + 1}`;
    let same = a.layers.join('/') === b.layers.join('/') && a.checksums.join(' ') === b.checksums.join(' ');
    if (!same && ours[k].error) {
      const prefix = (x: string[], y: string[]): boolean => x.every((v, n) => v === y[n]);
      same = theirs[k].errors.length > 0 && prefix(a.layers, b.layers) && prefix(a.checksums, b.checksums);
    }
    if (TSHARK_IS_WRONG[key]) {
      if (same) problems.push(`${key}: listed as a tshark error but now agrees; remove it from TSHARK_IS_WRONG`);
      continue;
    }
    if (!same)
      problems.push(`${key}: ours ${a.layers.join('/')} [${a.checksums.join(' ')}] vs tshark ${b.layers.join('/')} [${b.checksums.join(' ')}]`);
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
