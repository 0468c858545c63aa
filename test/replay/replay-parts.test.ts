/**
 * The small parts of a replay: `--in` parsing, the timestamp merge of
 * several captures, the underlay's destination lookup.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildFrame } from '../../src/packet/frame-builder.js';
import { PcapWriter } from '../../src/pcap/pcap-writer.js';
import { InputMerge } from '../../src/replay/merge-inputs.js';
import { parseReplayInput } from '../../src/replay/replay-input.js';
import { ipv4Destination } from '../../src/replay/fabric.js';

describe('parseReplayInput', () => {
  it('splits HOST:PORT=FILE at the first = (file names may hold = and :)', () => {
    expect(parseReplayInput('compute1:vm1=a.pcap')).toEqual({ host: 'compute1', port: 'vm1', file: 'a.pcap' });
    expect(parseReplayInput('h:p=dir/x=1:2.pcap')).toEqual({ host: 'h', port: 'p', file: 'dir/x=1:2.pcap' });
  });
  it('rejects what is not HOST:PORT=FILE with ERR_USAGE_REPLAY_IN', () => {
    for (const bad of ['a.pcap', 'vm1=a.pcap', 'h:=a.pcap', ':p=a.pcap', 'h:p=', 'h:p:q=a.pcap'])
      expect(() => parseReplayInput(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_USAGE_REPLAY_IN' }));
  });
});

describe('InputMerge', () => {
  it('yields packets of several captures in timestamp order, ties to the input given first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-merge-'));
    // capture A at t = 0, 2, 5 s; capture B at t = 1, 2, 3 s (payload byte = label)
    const times: Record<string, [number, number][]> = { a: [[0, 0xa0], [2, 0xa2], [5, 0xa5]], b: [[1, 0xb1], [2, 0xb2], [3, 0xb3]] };
    for (const [name, list] of Object.entries(times)) {
      const w = await PcapWriter.create(join(dir, `${name}.pcap`));
      for (const [t, label] of list) await w.write(Uint8Array.of(label), 1700000000 + t, 0);
      await w.close();
    }
    const m = await InputMerge.open([join(dir, 'a.pcap'), join(dir, 'b.pcap')]);
    const got: string[] = [];
    for (let r = await m.next(); r; r = await m.next()) got.push(`${r.input}:${r.record.data[0].toString(16)}`);
    await m.close();
    expect(got).toEqual(['0:a0', '1:b1', '0:a2', '1:b2', '1:b3', '0:a5']);
    expect(m.bytes).toBe(2 * (24 + 3 * (16 + 1)));
  });
});

describe('ipv4Destination', () => {
  const ip = { ipv4: { src: '198.18.0.1', dst: '198.18.0.2', proto: 17 } } as const;
  it('reads the destination through up to two VLAN tags, and nothing from non-IPv4 frames', () => {
    const eth = { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } };
    expect(ipv4Destination(buildFrame([eth, ip, { udp: { sport: 1, dport: 4789 } }]))).toBe('198.18.0.2');
    expect(ipv4Destination(buildFrame([eth, { vlan: { vid: 10 } }, { vlan: { vid: 20 } }, ip]))).toBe('198.18.0.2');
    expect(ipv4Destination(buildFrame([eth, { arp: { op: 1, sha: '02:00:00:00:00:01', spa: '198.18.0.1', tha: '00:00:00:00:00:00', tpa: '198.18.0.2' } }]))).toBeUndefined();
    expect(ipv4Destination(buildFrame([eth, ip]).subarray(0, 14 + 19))).toBeUndefined();
  });
});
