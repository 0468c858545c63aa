/**
 * IPv6 reassembly (native/reassembly.h via src/offload Reassembler and
 * receiveAtHost) against independent implementations:
 *  - PcapPlusPlus's ipv6-frag.pcap (../shared/corpora): the datagram we
 *    rebuild from frames 3-6 carries exactly the bytes tshark reassembles
 *    (`-o ipv6.defragment:TRUE`, "Reassembled IPv6"), and tshark finds its
 *    UDP checksum good;
 *  - scapy's fragment6() (test/offload/scapy_frag6.py): the trains rebuild
 *    the datagram scapy fragmented, byte for byte, in order, reversed, with
 *    duplicates, with a hop-by-hop header in the unfragmentable part;
 *  - overlap, timeout (60 s for IPv6, not the 30 s of IPv4) and limits, each
 *    a named drop.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { receiveAtHost, Reassembler } from '../../src/offload/index.js';
import { PcapWriter } from '../../src/pcap/index.js';
import { batchOf, emptyBatch, hex, readFrames } from '../oracle/linux-oracle.js';
import { requireTshark, tsharkDecode } from '../oracle/tshark.js';

const corpus = join(packageRoot(), '..', 'shared', 'corpora', 'pcapplusplus', 'ipv6-frag.pcap');
const work = mkdtempSync(join(tmpdir(), 'vs-reasm6-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const fromHex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** The bytes of tshark's "Reassembled IPv6" data source for frame `n` (its `-x` hex dump). */
function tsharkReassembled(file: string, n: number): Uint8Array {
  const dump = execFileSync('tshark', ['-r', file, '-o', 'ipv6.defragment:TRUE', '-Y', `frame.number==${n}`, '-x'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = dump.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Reassembled IPv6'));
  if (at < 0) throw new Error(`tshark shows no reassembled IPv6 datagram in frame ${n}`);
  const bytes: number[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!/^[0-9a-f]{4}  /.test(l)) break;
    for (const t of l.slice(6, 6 + 47).trim().split(/\s+/)) bytes.push(parseInt(t, 16));
  }
  return Uint8Array.from(bytes);
}

interface Train {
  orig: Uint8Array;
  frags: Uint8Array[];
}

/** scapy fragment6() trains of a UDP datagram with `payload` bytes (plain, and with a hop-by-hop header). */
function scapyTrains(payload: number, mtu: number): Train[] {
  const out = execFileSync('/usr/bin/python3', [join(packageRoot(), 'test', 'offload', 'scapy_frag6.py')], {
    input: JSON.stringify({ payload, mtu }),
    encoding: 'utf8',
  });
  return (JSON.parse(out) as { orig: string; frags: string[] }[]).map((t) => ({ orig: fromHex(t.orig), frags: t.frags.map(fromHex) }));
}

describe('PcapPlusPlus ipv6-frag.pcap against tshark', () => {
  it('rebuilds the 5387-byte UDP datagram tshark reassembles, with a checksum tshark finds good', async () => {
    requireTshark();
    const frames = await readFrames(corpus);
    expect(frames.length).toBe(6);
    const rx = receiveAtHost(frames);
    expect(rx.drops).toEqual([]);
    expect(rx.from).toEqual([0, 1, 5]);
    const ours = rx.delivered[2];
    // Frames 3-6 are Eth + IPv6 (Next Header 44) + fragment header: unfragmentable part = the 40-byte header.
    expect(frames[2][14 + 6]).toBe(44);
    expect(ours[14 + 6]).toBe(17);
    const theirs = tsharkReassembled(corpus, 6);
    expect(theirs.length).toBe(5387);
    expect(Buffer.from(ours.subarray(14 + 40)).toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
    expect((ours[14 + 4] << 8) | ours[14 + 5]).toBe(5387);
    // Addresses, traffic class, flow label, hop limit from the first fragment.
    expect(hex([ours.subarray(0, 14 + 4)])).toEqual(hex([frames[2].subarray(0, 14 + 4)]));
    expect(hex([ours.subarray(14 + 7, 14 + 40)])).toEqual(hex([frames[2].subarray(14 + 7, 14 + 40)]));
    const file = join(work, 'reassembled.pcap');
    const w = await PcapWriter.create(file, { linkType: 1 });
    await w.write(ours, 0, 0);
    await w.close();
    const [f] = tsharkDecode(file);
    expect(f.errors).toEqual([]);
    expect(f.layers.find((l) => l.proto === 'udp')?.status).toBe('good');
  });

  it('out of order and with a duplicate: the same datagram, the duplicate dropped alone', async () => {
    const frames = await readFrames(corpus);
    const inOrder = receiveAtHost(frames.slice(2)).delivered[0];
    const rx = receiveAtHost([frames[5], frames[3], frames[3], frames[2], frames[4]]);
    expect(rx.drops).toEqual([{ input: 2, reason: 'reasm_duplicate' }]);
    expect(rx.from).toEqual([4]);
    expect(hex(rx.delivered)).toEqual(hex([inOrder]));
  });
});

describe('scapy fragment6() trains', () => {
  const trains = scapyTrains(4000, 1280);
  const names = ['plain', 'hop-by-hop'];

  it.each([0, 1])('%i: rebuilds the original datagram byte for byte, in order and shuffled', (k) => {
    const t = trains[k];
    expect(t.frags.length, names[k]).toBe(4);
    const a = receiveAtHost(t.frags);
    expect(a.drops).toEqual([]);
    expect(hex(a.delivered)).toEqual(hex([t.orig]));
    const shuffled = [t.frags[3], t.frags[1], t.frags[0], t.frags[1], t.frags[2]];
    const b = receiveAtHost(shuffled);
    expect(b.drops).toEqual([{ input: 3, reason: 'reasm_duplicate' }]);
    expect(hex(b.delivered)).toEqual(hex([t.orig]));
  });

  it('overlapping trains drop the whole datagram (RFC 5722)', () => {
    const small = scapyTrains(4000, 1000)[0];
    // 1280-MTU first fragment holds 0..1232, the 1000-MTU second one starts at 952.
    const rx = receiveAtHost([trains[0].frags[0], small.frags[1], trains[0].frags[1], trains[0].frags[2], trains[0].frags[3]]);
    expect(rx.drops[0]).toEqual({ input: 1, reason: 'reasm_overlap' });
    expect(rx.delivered).toEqual([]);
    // The later fragments started a new datagram without its first fragment: it times out.
    expect(rx.drops.slice(1)).toEqual([{ input: -1, reason: 'reasm_timeout' }]);
  });

  it('times out after 60 s (not 30 s as IPv4), and the timeout is a setting', () => {
    const t = trains[0].frags;
    const at = (sec: number[]): number[] => sec.map((s) => s * 1e9);
    expect(receiveAtHost(t, { timestampsNs: at([0, 45, 50, 59.9]) }).delivered.length).toBe(1);
    const late = receiveAtHost(t, { timestampsNs: at([0, 1, 2, 60]) });
    expect(late.delivered).toEqual([]);
    expect(late.drops).toEqual([
      { input: -1, reason: 'reasm_timeout' },
      { input: -1, reason: 'reasm_timeout' },
    ]);
    const short = receiveAtHost(t, { timestampsNs: at([0, 1, 2, 6]), reassembly: { timeout6Sec: 5 } });
    expect(short.delivered).toEqual([]);
    expect(() => receiveAtHost(t, { timestampsNs: [3, 2, 1, 0] })).toThrow(RangeError);
    expect(() => new Reassembler({ timeout6Sec: -1 })).toThrow(RangeError);
  });

  it('datagram and byte limits are named drops', () => {
    const [a, b] = [trains[0].frags, trains[1].frags];
    // b has the same addresses and ID as a: give it another identification (fragment header after HBH).
    const other = b.map((f) => {
      const g = Uint8Array.from(f);
      g[14 + 40 + 8 + 7] ^= 1;
      return g;
    });
    const one = receiveAtHost([a[0], other[0], a[1], a[2], a[3]], { reassembly: { maxDatagrams: 1 } });
    expect(one.drops).toEqual([{ input: 1, reason: 'reasm_too_many_datagrams' }]);
    expect(hex(one.delivered)).toEqual(hex([trains[0].orig]));
    const bytes = receiveAtHost(a, { reassembly: { maxBytes: 2000 } });
    expect(bytes.drops[0]).toEqual({ input: 1, reason: 'reasm_too_many_bytes' });
    expect(bytes.delivered).toEqual([]);
  });

  it('a first fragment without the whole upper-layer header is dropped (RFC 7112)', () => {
    // Rewrite the plain train's first fragment to claim TCP (20-byte header) and keep only 8 bytes of data.
    const f = Uint8Array.from(trains[0].frags[0].subarray(0, 14 + 40 + 8 + 8));
    f[14 + 40] = 6;
    f[14 + 4] = 0;
    f[14 + 5] = 16;
    // The host's parser already names it (truncated_tcp); the reassembler on its own names the RFC 7112 rule.
    expect(receiveAtHost([f]).drops).toEqual([{ input: 0, reason: 'truncated_tcp' }]);
    const ra = new Reassembler();
    const r = ra.feed(batchOf([f]), 0, 0, emptyBatch(1));
    expect(r).toEqual({ drop: 'reasm_incomplete_chain', droppedFragments: 1, held: false, emitted: false });
    expect(ra.datagrams).toBe(0);
  });
});
