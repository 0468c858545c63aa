/**
 * The small parts of a replay: `--in` parsing, the timestamp merge of
 * several captures (and of the interfaces of one pcapng capture mapped to
 * different ports), the underlay's destination lookup.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildFrame } from '../../src/packet/frame-builder.js';
import { PcapWriter } from '../../src/pcap/pcap-writer.js';
import { PacketBatch } from '../../src/datapath/batch.js';
import { packageRoot } from '../../src/datapath/native.js';
import { InputMerge } from '../../src/replay/merge-inputs.js';
import { replay } from '../../src/replay/replay.js';
import { parseReplayInput } from '../../src/replay/replay-input.js';
import { ipv4Destination } from '../../src/replay/fabric.js';
import { concat, pcapng, udpFrame } from '../pcap/fixtures/capture-builder.js';

describe('parseReplayInput', () => {
  it('splits HOST:PORT=FILE at the first = (file names may hold = and :)', () => {
    expect(parseReplayInput('compute1:vm1=a.pcap')).toEqual({ host: 'compute1', port: 'vm1', file: 'a.pcap' });
    expect(parseReplayInput('h:p=dir/x=1:2.pcap')).toEqual({ host: 'h', port: 'p', file: 'dir/x=1:2.pcap' });
  });
  it('rejects what is not HOST:PORT=FILE with ERR_USAGE_REPLAY_IN', () => {
    for (const bad of ['a.pcap', 'vm1=a.pcap', 'h:=a.pcap', ':p=a.pcap', 'h:p=', 'h:p:q=a.pcap', 'h:p=@eth0', 'h:p=a.pcapng@', 'h:p=a.pcapng@#', 'h:p=a.pcapng@#x', 'h:p=a.pcapng@#-1'])
      expect(() => parseReplayInput(bad, () => false), bad).toThrow(expect.objectContaining({ code: 'ERR_USAGE_REPLAY_IN' }));
  });
  it('takes an interface after the last @: a name, or #N for an index', () => {
    const none = (): boolean => false;
    expect(parseReplayInput('h:p=cap.pcapng@eth1', none)).toEqual({ host: 'h', port: 'p', file: 'cap.pcapng', iface: 'eth1' });
    expect(parseReplayInput('h:p=cap.pcapng@#2', none)).toEqual({ host: 'h', port: 'p', file: 'cap.pcapng', iface: 2 });
    expect(parseReplayInput('h:p=a@b/cap.pcapng@tap0', none)).toEqual({ host: 'h', port: 'p', file: 'a@b/cap.pcapng', iface: 'tap0' });
    // an @ inside a directory name is not an interface
    expect(parseReplayInput('h:p=a@b/cap.pcapng', none)).toEqual({ host: 'h', port: 'p', file: 'a@b/cap.pcapng' });
  });
  it('keeps a file name with @ whole when that file exists and the part before the @ does not', () => {
    const files = new Set(['x@y.pcap']);
    expect(parseReplayInput('h:p=x@y.pcap', (f) => files.has(f))).toEqual({ host: 'h', port: 'p', file: 'x@y.pcap' });
    files.add('x');
    expect(parseReplayInput('h:p=x@y.pcap', (f) => files.has(f))).toEqual({ host: 'h', port: 'p', file: 'x', iface: 'y.pcap' });
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

  it('tryNext() gives the same stream without a Promise, undefined only when a file must be read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-merge-'));
    // 3000 packets per capture; the end of each file is only found by next() (a read)
    const n = 3000;
    for (const [name, offset] of [['a', 0], ['b', 500]] as const) {
      const w = await PcapWriter.create(join(dir, `${name}.pcap`));
      for (let i = 0; i < n; i++) await w.write(Uint8Array.of(name.charCodeAt(0), i & 0xff, i >> 8), 1700000000, i * 1000 + offset);
      await w.close();
    }
    const files = [join(dir, 'a.pcap'), join(dir, 'b.pcap')];
    const viaNext: string[] = [];
    const m1 = await InputMerge.open(files);
    for (let r = await m1.next(); r; r = await m1.next()) viaNext.push(`${r.input}:${r.record.index}`);
    await m1.close();
    const viaTry: string[] = [];
    let sync = 0;
    const m2 = await InputMerge.open(files);
    for (;;) {
      let r = m2.tryNext();
      if (r) sync++;
      else r = await m2.next();
      if (!r) break;
      viaTry.push(`${r.input}:${r.record.index}`);
    }
    await m2.close();
    // timestamps alternate a, b, a, b, ...: input order is 0, 1, 0, 1, ... with indexes 0, 0, 1, 1, ...
    expect(viaNext.slice(0, 4)).toEqual(['0:0', '1:0', '0:1', '1:1']);
    expect(viaNext).toHaveLength(2 * n);
    expect(viaTry).toEqual(viaNext);
    expect(sync).toBeGreaterThan(n); // most packets come from the buffer
    expect(sync).toBeLessThan(2 * n); // and some needed a read
  });
});

describe('InputMerge.appendFollowing', () => {
  it('appends the packets that come next from the same input: the same stream as next() alone, ties included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-merge-'));
    // Three captures with runs, interleavings and equal timestamps across inputs (microseconds).
    const times: Record<string, number[]> = {
      a: [0, 1, 2, 3, 3, 3, 5, 10, 11, 12, 20, 20, 30],
      b: [3, 3, 4, 5, 20, 21, 22, 23, 24, 25],
      c: [3, 20, 40, 41, 42, 43, 44],
    };
    const files: string[] = [];
    for (const [name, list] of Object.entries(times)) {
      const f = join(dir, `${name}.pcap`);
      const w = await PcapWriter.create(f);
      for (const [i, t] of list.entries()) await w.write(Uint8Array.of(name.charCodeAt(0), i), 1700000000, t * 1000);
      await w.close();
      files.push(f);
    }
    const viaNext: string[] = [];
    const m1 = await InputMerge.open(files);
    for (let r = await m1.next(); r; r = await m1.next()) viaNext.push(`${r.input}:${r.record.index}`);
    await m1.close();
    expect(viaNext.slice(0, 9)).toEqual(['0:0', '0:1', '0:2', '0:3', '0:4', '0:5', '1:0', '1:1', '2:0']); // t = 3: a, then b, then c

    for (const maxPackets of [1, 2, 5, 100]) {
      const got: string[] = [];
      let bulked = 0;
      const m = await InputMerge.open(files);
      for (;;) {
        const r = m.tryNext() ?? (await m.next());
        if (!r) break;
        got.push(`${r.input}:${r.record.index}`);
        const batch = PacketBatch.create({ capacity: 128, dataSize: 65536 });
        const bulk = m.appendFollowing(r.input, batch, 0, maxPackets);
        for (let k = 0; k < (bulk?.packets ?? 0); k++) {
          expect(batch.packet(k)[1]).toBe(bulk!.firstIndex + k);
          got.push(`${r.input}:${bulk!.firstIndex + k}`);
        }
        bulked += bulk?.packets ?? 0;
      }
      expect(m.bytes).toBe(files.reduce((n, _, i) => n + 24 + Object.values(times)[i].length * (16 + 2), 0));
      await m.close();
      expect(got).toEqual(viaNext);
      expect(bulked).toBeGreaterThan(0);
    }
  });
});

describe('InputMerge with pcapng interfaces', () => {
  // Two sections: section 0 has eth0 (#0) and eth1 (#1), section 1 has eth0 again (#2).
  // File order: eth0 t=0, eth0 t=2, eth1 t=1, eth0 t=4, eth1 t=3, then in section 1: eth0 t=5.
  // The first payload byte labels each packet (0xa0 = interface eth0 at t=0, ...).
  const T = 1_700_000_000n * 1_000_000n; // microseconds (default if_tsresol)
  const pkt = (iface: number, t: number, label: number): Uint8Array => {
    const f = udpFrame(60, label);
    f[0] = label;
    return pcapng.epb(true, { iface, ts: T + BigInt(t) * 1_000_000n, data: f });
  };
  const file = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-ng-'));
    const path = join(dir, 'two-ifaces.pcapng');
    writeFileSync(
      path,
      concat(
        pcapng.shb(true),
        pcapng.idb(true, { linkType: 1, name: 'eth0' }),
        pcapng.idb(true, { linkType: 1, name: 'eth1' }),
        pkt(0, 0, 0xa0),
        pkt(0, 2, 0xa2),
        pkt(1, 1, 0xb1),
        pkt(0, 4, 0xa4),
        pkt(1, 3, 0xb3),
        pcapng.shb(true),
        pcapng.idb(true, { linkType: 1, name: 'eth0' }),
        pkt(0, 5, 0xc5),
      ),
    );
    return path;
  };
  const drain = async (m: InputMerge): Promise<string[]> => {
    const got: string[] = [];
    for (let r = await m.next(); r; r = await m.next()) got.push(`${r.input}:${r.record.data[0].toString(16)}@${r.record.index}`);
    await m.close();
    return got;
  };

  it('is the file tshark reads: interface names and ids per frame', () => {
    const path = file();
    const out = execFileSync('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.section_number', '-e', 'frame.time_epoch'], { encoding: 'utf8' });
    expect(out.trim().split('\n').map((l) => l.split('\t').slice(0, 2).join('/'))).toEqual(['eth0/1', 'eth0/1', 'eth1/1', 'eth0/1', 'eth1/1', 'eth0/2']);
  });

  it('maps each interface to its own input, merged in timestamp order, packets keeping their file index', async () => {
    const path = file();
    const m = await InputMerge.open([{ file: path, iface: 'eth1' }, { file: path, iface: 0 }]);
    // input 0 = eth1 (t=1, 3), input 1 = interface #0 only (eth0 of section 0: t=0, 2, 4)
    expect(await drain(m)).toEqual(['1:a0@0', '0:b1@2', '1:a2@1', '0:b3@4', '1:a4@3']);
  });

  it('selects by name in every section, by index exactly one interface, and everything without a selection', async () => {
    const path = file();
    expect(await drain(await InputMerge.open([{ file: path, iface: 'eth0' }]))).toEqual(['0:a0@0', '0:a2@1', '0:a4@3', '0:c5@5']);
    expect(await drain(await InputMerge.open([{ file: path, iface: 2 }]))).toEqual(['0:c5@5']);
    expect(await drain(await InputMerge.open([path]))).toEqual(['0:a0@0', '0:a2@1', '0:b1@2', '0:a4@3', '0:b3@4', '0:c5@5']);
  });

  it('names the interfaces there are when a selection matches none', async () => {
    const path = file();
    await expect(InputMerge.open([{ file: path, iface: 'eth7' }])).rejects.toMatchObject({
      code: 'ERR_USAGE_REPLAY_IN',
      // the file is read to its end: the second section's interface is listed too
      message: expect.stringMatching(/no interface named "eth7" in .*two-ifaces\.pcapng \(interfaces: #0 eth0, #1 eth1, #2 eth0\)$/),
    });
    await expect(InputMerge.open([{ file: path, iface: 9 }])).rejects.toMatchObject({ code: 'ERR_USAGE_REPLAY_IN', message: expect.stringContaining('no interface #9') });
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

describe('replay of captured packets, in bulk or one by one', () => {
  const topology = join(packageRoot(), 'examples', 'neutron-vxlan', 'topology.yaml');
  const frame = (k: number): Uint8Array =>
    buildFrame([
      { eth: { src: 'fa:16:3e:00:00:01', dst: 'fa:16:3e:00:00:03' } },
      { ipv4: { src: '192.0.2.1', dst: '192.0.2.3', proto: 17, ttl: 64 } },
      { udp: { sport: 10000 + (k % 7), dport: 5001 } },
    ], new Uint8Array(100));

  it('keeps each record\'s wire length (snaplen-cut frames) and gives the same outputs and report with --trace (every packet one by one)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-cut-'));
    const file = join(dir, 'cut.pcap');
    const w = await PcapWriter.create(file, { snaplen: 60 });
    // 600 frames of 142 bytes cut to 60: the IPv4 total length says more than was captured
    for (let k = 0; k < 600; k++) await w.write(frame(k), 1_700_000_000, k * 1000);
    await w.close();
    const runs = [];
    for (const trace of [undefined, 'cut.pcap#600']) {
      const outDir = join(dir, trace ? 'traced' : 'bulk');
      const report = await replay({ topology, inputs: [{ host: 'compute1', port: 'vm1', file }], outDir, inProcess: true, ...(trace ? { trace } : {}) });
      runs.push({ report, files: Object.fromEntries(report.outputs.map((o) => [o.file, readFileSync(join(outDir, o.file))])) });
    }
    const [bulk, traced] = runs;
    // packet 600 is traced at compute1 and, flooded through the tunnel, at compute2
    expect(traced.report.traces?.map((t) => [t.index, t.host])).toEqual([[599, 'compute1'], [599, 'compute2']]);
    expect(traced.files).toEqual(bulk.files);
    expect(traced.report.ports).toEqual(bulk.report.ports);
    expect(traced.report.drops).toEqual(bulk.report.drops);
    expect(traced.report.packets).toEqual(bulk.report.packets);
    // tshark: every frame out of the tunnel port keeps the 142-byte inner frame's wire length plus VXLAN's 50
    const lens = execFileSync('tshark', ['-r', join(dir, 'bulk', 'compute1-p0.pcap'), '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len'], { encoding: 'utf8' }).trim().split('\n');
    expect(new Set(lens)).toEqual(new Set(['192\t110']));
  });

  it('refuses a capture stamped before 1970 (pcapng if_tsoffset) with one clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-ts-'));
    const file = join(dir, 'early.pcapng');
    const LE = true;
    writeFileSync(file, concat(pcapng.shb(LE), pcapng.idb(LE, { linkType: 1, tsoffset: -10n }), pcapng.epb(LE, { iface: 0, ts: 1n, data: frame(0) })));
    await expect(replay({ topology, inputs: [{ host: 'compute1', port: 'vm1', file }], outDir: join(dir, 'out'), inProcess: true })).rejects.toMatchObject({
      code: 'ERR_CAPTURE_TIMESTAMP',
      message: expect.stringContaining('outside what the pcap outputs can hold'),
    });
  });
});
