/**
 * The offload actions check_mtu / gso / csum_complete through the engine and
 * the static slow path, against the Linux kernel's frames shipped in
 * ../shared/oracles/linux/examples (masks only where
 * test/oracle/linux-examples.test.ts masks: the kernel-randomised outer /
 * ICMP IPv4 ID and the IP checksum covering it) and against the library
 * offload pipeline (src/offload/pipeline.ts) for the same input; cache on and
 * off byte-identical; dpctl text round trips.
 */
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { compileActions, decodeActions, formatActions, parseActions, type Action } from '../../src/datapath/actions.js';
import { PacketBatch } from '../../src/datapath/batch.js';
import { DROP_REASONS } from '../../src/datapath/drop-reasons.js';
import { DatapathEngine, type EngineOptions } from '../../src/datapath/engine.js';
import { native } from '../../src/datapath/native.js';
import { applyVirtioNetHdr, runOffloadPipeline } from '../../src/offload/index.js';
import { StaticRules, type StaticRulesConfig } from '../../src/xlate/static-rules.js';
import { exampleDir, hex, mac, mask, readFrames, readInput } from '../oracle/linux-oracle.js';

const VXLAN = {
  type: 'vxlan' as const,
  local: '198.18.0.1',
  remote: '198.18.0.2',
  srcMac: '02:00:00:00:0b:01',
  dstMac: '02:00:00:00:0b:02',
  vni: 100,
  srcPort: 49152,
  udpChecksum: 'zero' as const,
};

interface Input {
  frame: Uint8Array;
  vnetHdr?: Uint8Array;
}

interface Run {
  ports: Map<number, string[]>;
  drops: string[];
}

const engines: DatapathEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close().catch(() => undefined)));
});

/** Sends `inputs` (in-port 1) `repeat` times, in batches of `perBatch`, through a static rule set. */
async function run(actions: string, inputs: Input[], opts: Partial<EngineOptions> = {}, repeat = 1, perBatch = 4): Promise<Run> {
  const config: StaticRulesConfig = { tunnels: { vx: { ...VXLAN, port: 100 } }, rules: [{ priority: 1, match: 'in_port=1', actions }] };
  const engine = DatapathEngine.create({ slowPath: new StaticRules(config), inProcess: true, ...opts });
  engines.push(engine);
  const all = Array.from({ length: repeat }, () => inputs).flat();
  const batches: PacketBatch[] = [];
  for (let k = 0; k < all.length; k += perBatch) {
    const part = all.slice(k, k + perBatch);
    const b = PacketBatch.create({ capacity: part.length, dataSize: part.reduce((n, p) => n + p.frame.length + 512, 4096), headroom: 128 });
    part.forEach((p, i) => {
      if (!b.append(p.frame, { inPort: 1 })) throw new Error('batch too small');
      if (p.vnetHdr) applyVirtioNetHdr(b, i, p.vnetHdr);
    });
    batches.push(b);
  }
  const results = await Promise.all(batches.map((b) => engine.process(b)));
  const ports = new Map<number, string[]>();
  const drops: string[] = [];
  for (const r of results) {
    r.forEachOutput((port, bytes) => {
      let l = ports.get(port);
      if (!l) ports.set(port, (l = []));
      l.push(Buffer.from(bytes).toString('hex'));
    });
    for (const d of r.drops) if (d !== 0) drops.push(DROP_REASONS[d][0]);
  }
  await engine.close();
  return { ports, drops };
}

const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

describe('offload actions: dpctl text', () => {
  const texts = [
    'check_mtu(mtu=1450,profile=linux,src_mac=02:00:00:00:01:01,src_ip4=192.0.2.254,src_ip6=2001:db8:1::ff),gso(linux),2',
    'check_mtu(mtu=1500,profile=ovs,frame_limit=1518),gso(ovs),csum_complete(correct),3',
    'clone(gso(linux),csum_complete(bad-hw-csum),4),check_mtu(mtu=9000,profile=vrouter),csum_complete(vxlan-vlan-gso),1',
  ];
  for (const text of texts) {
    it(`round trips ${text.slice(0, 40)}...`, () => {
      const actions = parseActions(text);
      expect(formatActions(actions)).toBe(text);
      const prog = compileActions(actions);
      expect(formatActions(decodeActions(prog))).toBe(text);
      expect(decodeActions(prog)).toEqual(actions);
    });
  }
  it('opcodes and argument layout (native/action_offload.h)', () => {
    const prog = compileActions(parseActions('check_mtu(mtu=1450,profile=vrouter,frame_limit=1518,src_ip4=192.0.2.1),gso(ovs),csum_complete(nested-mplsogre-csum)'));
    // header: version 1, count 3; CHECK_MTU = 20, 36 bytes: mtu 1450 = 0x05aa LE, frame 1518 = 0x05ee LE, profile 2.
    expect(Array.from(prog.subarray(0, 18))).toEqual([1, 0, 3, 0, 20, 0, 36, 0, 0xaa, 5, 0, 0, 0xee, 5, 0, 0, 2, 0]);
    expect(Array.from(prog.subarray(24, 28))).toEqual([192, 0, 2, 1]);
    // GSO = 21 (profile 1 = ovs), CSUM_COMPLETE = 22 (engine 2)
    expect(Array.from(prog.subarray(44))).toEqual([21, 0, 2, 0, 1, 0, 22, 0, 2, 0, 2, 0]);
  });
  it('rejects bad arguments', () => {
    expect(() => parseActions('gso(vrouter)')).toThrow(/gso profile/);
    expect(() => parseActions('csum_complete(broken)')).toThrow(/csum_complete engine/);
    expect(() => parseActions('check_mtu(mtu=1450,profile=bsd)')).toThrow(/check_mtu profile/);
    expect(() => parseActions('check_mtu(mtu=1450,mru=3)')).toThrow(/unknown check_mtu field/);
    expect(() => compileActions(parseActions('check_mtu(mtu=40,profile=linux)'))).toThrow(RangeError);
    expect(() => compileActions(parseActions('check_mtu(mtu=1500,profile=linux,frame_limit=20)'))).toThrow(RangeError);
  });
});

describe('offload actions through the engine', () => {
  it('gso(linux),2 on the kernel example gso-bridge-v4: the kernel out.pcap byte for byte; cache on/off and 2 PMD workers identical', async () => {
    const dir = exampleDir('gso-bridge-v4');
    const input = await readInput(dir);
    const want = hex(await readFrames(join(dir, 'out.pcap')));
    expect(want.length).toBeGreaterThan(1);
    const cached = await run('gso(linux),2', [input], {}, 3, 2);
    expect(cached.drops).toEqual([]);
    expect(cached.ports.get(2)).toEqual([...want, ...want, ...want]);
    const uncached = await run('gso(linux),2', [input], { cache: false }, 3, 2);
    expect(uncached).toEqual(cached);
    const workers = await run('gso(linux),2', [input], { pmds: 2, inProcess: false }, 3, 2);
    expect(workers).toEqual(cached);
  });

  it('tnl_push(vxlan),gso(linux) equals the kernel (vxlan-gso-v4-noudpcsum) and the offload pipeline', async () => {
    const dir = exampleDir('vxlan-gso-v4-noudpcsum');
    const input = await readInput(dir);
    const got = await run('tnl_push(vx),gso(linux),2', [input]);
    expect(got.drops).toEqual([]);
    const frames = (got.ports.get(2) ?? []).map(unhex);
    const want = await readFrames(join(dir, 'out.pcap'));
    expect(frames.length).toBe(want.length);
    expect(hex(mask(frames, [[18, 2], [24, 2]]))).toEqual(hex(mask(want, [[18, 2], [24, 2]])));
    // The library pipeline (segment, then encap each segment) on a port that fits the segments.
    const pipe = runOffloadPipeline([input], {
      profile: 'linux',
      nic: { ipMtu: 9000, hwCsum: false },
      tunnel: VXLAN,
      gateway: { mac: mac('02:00:00:00:01:01'), ip4: Uint8Array.of(192, 0, 2, 254), ip6: new Uint8Array(16) },
    });
    expect(pipe.drops).toEqual([]);
    expect(hex(frames)).toEqual(hex(pipe.wire));
  });

  it('vrouter: check_mtu shrinks gso_size, then tnl_push + gso: 15 frames of outer IP length 1500, as the offload pipeline', async () => {
    const input = await readInput(exampleDir('gso-bridge-v4'));
    const got = await run('check_mtu(mtu=1450,profile=vrouter),tnl_push(vx),gso(linux),2', [input]);
    expect(got.drops).toEqual([]);
    const frames = (got.ports.get(2) ?? []).map(unhex);
    const gateway = { mac: mac('02:00:00:00:01:01'), ip4: Uint8Array.of(192, 0, 2, 254), ip6: new Uint8Array(16) };
    const pipe = runOffloadPipeline([input], { profile: 'vrouter', nic: { ipMtu: 1500, hwCsum: false }, tunnel: VXLAN, gateway });
    // docs/offload.md worked example: gso_size 1448 -> 1410, 15 frames, outer IP length 1500.
    expect(pipe.wire.length).toBe(15);
    expect(frames.map((f) => (f[16] << 8) | f[17]).slice(0, 14)).toEqual(Array(14).fill(1500));
    expect(hex(frames)).toEqual(hex(pipe.wire));
  });

  it('routed, then check_mtu without DF on the kernel example fragment-v4: the kernel fragments byte for byte', async () => {
    const dir = exampleDir('fragment-v4');
    const [frame] = await readFrames(join(dir, 'in.pcap'));
    expect(frame[20] & 0x40).toBe(0);
    // The kernel's router: new MACs (02:00:00:00:01:02 -> 02:00:00:00:00:02) and TTL - 1, then fragments at MTU 1400.
    const actions = `set(eth(src=02:00:00:00:01:02,dst=02:00:00:00:00:02)),set(ip(ttl=${frame[22] - 1})),check_mtu(mtu=1400,profile=linux),2`;
    const got = await run(actions, [{ frame }]);
    expect(got.drops).toEqual([]);
    expect(got.ports.get(2)).toEqual(hex(await readFrames(join(dir, 'out.pcap'))));
  });

  it('check_mtu on the kernel example frag-needed-v4: dropped mtu_exceeded_df, the kernel ICMP back to the in-port', async () => {
    const dir = exampleDir('frag-needed-v4');
    const [frame] = await readFrames(join(dir, 'in.pcap'));
    const got = await run('check_mtu(mtu=1400,profile=linux,src_mac=02:00:00:00:01:01,src_ip4=192.0.2.254),2', [{ frame }]);
    expect(got.drops).toEqual(['mtu_exceeded_df']);
    expect(got.ports.get(2)).toBeUndefined();
    const back = (got.ports.get(1) ?? []).map(unhex);
    const want = await readFrames(join(dir, 'icmp-back.pcap'));
    expect(back.length).toBe(1);
    expect(hex(mask(back, [[18, 2], [24, 2]]))).toEqual(hex(mask(want, [[18, 2], [24, 2]])));
    // The executor alone reports the error separately from outputs.
    const one = PacketBatch.create({ capacity: 1, dataSize: 8192 });
    one.append(frame, { inPort: 7 });
    new (native().Parser)().parse(one.buffer, 1);
    const out = PacketBatch.create({ capacity: 4, dataSize: 8192 });
    const prog = compileActions(parseActions('check_mtu(mtu=1400,profile=linux,src_ip4=192.0.2.254),2'));
    const res = native().executeActions(one.buffer, 0, prog, out.buffer);
    expect([res.outputs, res.errors, DROP_REASONS[res.drop][0], out.count, out.next[0]]).toEqual([0, 1, 'mtu_exceeded_df', 1, 7]);
    // The ovs profile drops with the reason only.
    const ovs = await run('check_mtu(mtu=1400,profile=ovs),2', [{ frame }]);
    expect(ovs.drops).toEqual(['mtu_exceeded_df']);
    expect(ovs.ports.size).toBe(0);
  });

  it('a DF 1500-byte packet with check_mtu(1450): mtu_exceeded_df and the ICMP the offload pipeline sends (VXLAN, 1500 underlay)', async () => {
    const dir = exampleDir('frag-needed-v4');
    const [big] = await readFrames(join(dir, 'in.pcap'));
    const ipLen = (big[16] << 8) | big[17];
    expect(ipLen).toBeGreaterThanOrEqual(1500);
    // Cut to an IP length of exactly 1500 (DF kept; the IP checksum is recomputed below, the UDP/TCP one is not looked at).
    const frame = Uint8Array.from(big.subarray(0, 14 + 1500));
    frame[16] = 1500 >> 8;
    frame[17] = 1500 & 0xff;
    frame[24] = frame[25] = 0;
    let sum = 0;
    for (let k = 14; k < 34; k += 2) sum += (frame[k] << 8) | frame[k + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    frame[24] = (~sum >> 8) & 0xff;
    frame[25] = ~sum & 0xff;
    expect(frame[20] & 0x40).toBe(0x40);
    const gateway = { mac: mac('02:00:00:00:01:01'), ip4: Uint8Array.of(192, 0, 2, 254), ip6: new Uint8Array(16) };
    const pipe = runOffloadPipeline([{ frame }], { profile: 'linux', nic: { ipMtu: 1500, hwCsum: false }, tunnel: VXLAN, gateway });
    expect(pipe.innerMtu).toBe(1450);
    expect(pipe.drops).toEqual([{ input: 0, reason: 'mtu_exceeded_df' }]);
    for (const profile of ['linux', 'vrouter'] as const) {
      const got = await run(`check_mtu(mtu=1450,profile=${profile},src_mac=02:00:00:00:01:01,src_ip4=192.0.2.254),tnl_push(vx),2`, [{ frame }]);
      expect(got.drops).toEqual(['mtu_exceeded_df']);
      expect(got.ports.get(1)).toEqual(hex(pipe.toGuest));
      // ICMP 3/4 with next-hop MTU 1450 (RFC 1191): ICMP at 34, MTU in bytes 6-7.
      const e = unhex(got.ports.get(1)![0]);
      expect([e[34], e[35], (e[40] << 8) | e[41]]).toEqual([3, 4, 1450]);
    }
    // Without DF: fragments of (1450 - 20) & ~7 = 1424 data bytes, then encap.
    const nodf = Uint8Array.from(frame);
    nodf[20] &= ~0x40;
    const csum = ((nodf[24] << 8) | nodf[25]) + 0x4000;
    const folded = (csum & 0xffff) + (csum >> 16);
    nodf[24] = folded >> 8;
    nodf[25] = folded & 0xff;
    const frag = await run('check_mtu(mtu=1450,profile=linux),tnl_push(vx),2', [{ frame: nodf }]);
    const pipeFrag = runOffloadPipeline([{ frame: nodf }], { profile: 'linux', nic: { ipMtu: 1500, hwCsum: false }, tunnel: VXLAN, gateway });
    expect(frag.drops).toEqual([]);
    expect(frag.ports.get(2)?.length).toBe(2);
    // Outer IPv4 IDs: per-packet counter in the pipeline, per (tunnel, flow bucket) in the datapath: masked.
    const outer: [number, number][] = [[18, 2], [24, 2]];
    expect(hex(mask((frag.ports.get(2) ?? []).map(unhex), outer))).toEqual(hex(mask(pipeFrag.wire, outer)));
  });

  it('csum_complete completes a virtio NEEDS_CSUM checksum as skb_checksum_help (kernel csum-complete tcp4)', async () => {
    const dir = exampleDir('csum-complete');
    const input = await readInput(dir, 'in-tcp4');
    const want = hex(await readFrames(join(dir, 'out-tcp4.pcap')));
    const got = await run('csum_complete(correct),2', [input]);
    expect(got.ports.get(2)).toEqual(want);
    const faulty = await run('csum_complete(bad-hw-csum),2', [input]);
    expect(faulty.ports.get(2)?.[0]).not.toBe(want[0]);
  });

  it('more than two segmenting actions on one path are refused (TS compiler and native validator)', async () => {
    const gso: Action = { type: 'gso', profile: 'linux' };
    expect(() => compileActions([gso, gso, gso, { type: 'output', port: 2 }])).toThrow(/check_mtu \/ gso actions on one path/);
    expect(() => compileActions([gso, { type: 'clone', actions: [gso, gso] }])).toThrow(RangeError);
    // Siblings are separate paths.
    expect(() => compileActions([{ type: 'clone', actions: [gso, gso, { type: 'output', port: 3 }] }, gso, gso, { type: 'output', port: 2 }])).not.toThrow();
    expect(() => new StaticRules({ rules: [{ priority: 1, match: 'in_port=1', actions: 'gso(linux),gso(linux),gso(linux),2' }] })).toThrow(/gso actions on one path/);
  });
});
