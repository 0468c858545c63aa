/**
 * tnl_pop + recirc through the engine with the static slow path: VXLAN,
 * MPLSoUDP and MPLSoGRE frames (built with scapy, test/datapath/recirc-scapy.py)
 * are decapsulated, recirculated and forwarded by rules on recirc_id + tun_id;
 * the output bytes are scapy's inner frames. Unknown VNIs / labels drop with
 * their reasons; cache on/off and 1 vs 2 PMDs give identical results; the
 * slow path sees the recirculated packet as a new upcall with its metadata.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { compileActions, decodeActions, formatActions, parseActions } from '../../src/datapath/actions.js';
import { PacketBatch } from '../../src/datapath/batch.js';
import { DROP_REASONS } from '../../src/datapath/drop-reasons.js';
import { DatapathEngine, type EngineOptions } from '../../src/datapath/engine.js';
import { native, packageRoot } from '../../src/datapath/native.js';
import { buildReceiver } from '../../src/tunnel/index.js';
import { StaticRules, type StaticRulesConfig } from '../../src/xlate/static-rules.js';
import type { SlowPath, Upcall } from '../../src/xlate/upcall.js';

const script = join(packageRoot(), 'test', 'datapath', 'recirc-scapy.py');
const frames = JSON.parse(execFileSync('/usr/bin/python3', [script], { encoding: 'utf8' })) as Record<string, [string, string]>;
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

const CONFIG: StaticRulesConfig = {
  receivers: {
    vtep: {
      port: 4,
      vxlan: { vnis: [1000] },
      mplsoudp: {},
      mplsogre: {},
      labels: [
        { label: 100, payload: 'ethernet', controlWord: true },
        { label: 200, payload: 'ip', dstMac: '02:00:00:00:00:22', srcMac: '02:00:00:00:00:11' },
      ],
    },
  },
  rules: [
    { priority: 10, match: 'recirc_id=0,in_port=1', actions: 'tnl_pop(vtep),recirc(1)' },
    { priority: 10, match: 'recirc_id=1,tun_id=1000', actions: '3' },
    { priority: 10, match: 'recirc_id=1,tun_id=100', actions: '4' },
    { priority: 10, match: 'recirc_id=1,tun_id=200', actions: 'push_vlan(vid=7),5' },
    { priority: 0, match: '', actions: 'drop' },
  ],
};

const ORDER = ['vxlan_known', 'vxlan_unknown', 'mplsoudp_eth', 'mplsoudp_unknown', 'mplsogre_ip'];

function batches(repeat: number, perBatch: number): PacketBatch[] {
  const all: Uint8Array[] = [];
  for (let r = 0; r < repeat; r++) for (const k of ORDER) all.push(hex(frames[k][0]));
  const out: PacketBatch[] = [];
  for (let i = 0; i < all.length; i += perBatch) {
    const slice = all.slice(i, i + perBatch);
    const b = PacketBatch.create({ capacity: slice.length, dataSize: slice.reduce((a, f) => a + f.length + 200, 0) });
    for (const f of slice) b.append(f, { inPort: 1 });
    out.push(b);
  }
  return out;
}

const engines: DatapathEngine[] = [];
afterAll(async () => {
  await Promise.all(engines.map((e) => e.close().catch(() => undefined)));
});

async function run(opts: Partial<EngineOptions>, repeat = 40, perBatch = 7, slowPath: SlowPath = new StaticRules(CONFIG)) {
  const engine = DatapathEngine.create({ slowPath, ...opts });
  engines.push(engine);
  const results = await Promise.all(batches(repeat, perBatch).map((b) => engine.process(b)));
  const outputs: string[] = [];
  const drops: string[] = [];
  for (const r of results) {
    r.forEachOutput((port, bytes, origin) => outputs.push(`${origin}:${port}:${Buffer.from(bytes).toString('hex')}`));
    for (const d of r.drops) drops.push(DROP_REASONS[d][0]);
  }
  const stats = await engine.stats();
  await engine.close();
  return { outputs, drops, stats };
}

describe('tnl_pop + recirc', () => {
  it('prints and parses in dpctl style', () => {
    const receivers = new Map([['vtep', { tunnelPort: 4, receiver: buildReceiver({ vxlan: { vnis: [1000] } }) }]]);
    const actions = parseActions('tnl_pop(vtep),recirc(1)', undefined, receivers);
    expect(formatActions(actions)).toBe('tnl_pop(4),recirc(0x1)');
    const prog = compileActions(actions);
    expect(native().validateActions(prog)).toBe(true);
    expect(formatActions(decodeActions(prog))).toBe('tnl_pop(4),recirc(0x1)');
    // By port number too, as dpctl prints it.
    expect(formatActions(parseActions('tnl_pop(4),recirc(0x2a)', undefined, receivers))).toBe('tnl_pop(4),recirc(0x2a)');
    expect(() => parseActions('tnl_pop(nope)', undefined, receivers)).toThrow(/unknown tunnel port/);
    // A receiver that does not load is refused by the native validator.
    const bad = prog.slice();
    bad[12] ^= 0xff; // first byte of the receiver magic (4 header + 4 op header + 4 port)
    expect(native().validateActions(bad)).toBe(false);
  });

  it('decapsulates, recirculates and forwards the inner frames (scapy bytes); unknown VNI / label drop', async () => {
    const { outputs, drops, stats } = await run({ inProcess: true }, 1, 5);
    expect(outputs).toEqual([
      `0:3:${frames.vxlan_known[1]}`,
      `2:4:${frames.mplsoudp_eth[1]}`,
      // push_vlan after the pop: scapy's inner frame with an 802.1Q tag (vid 7) after the MACs.
      `4:5:${frames.mplsogre_ip[1].slice(0, 24)}81000007${frames.mplsogre_ip[1].slice(24)}`,
    ]);
    expect(drops).toEqual(['none', 'invalid_vnid', 'none', 'invalid_label', 'none']);
    expect(stats.pmds[0].recirculated).toBe(3);
  });

  it('the slow path sees the recirculated packet as an upcall with recirc_id and tunnel metadata', async () => {
    const rules = new StaticRules(CONFIG);
    const seen: Upcall[] = [];
    const spy: SlowPath = {
      get version() {
        return rules.version;
      },
      translate(u: Upcall) {
        seen.push({ ...u, key: u.key.slice(), packet: u.packet.slice() });
        return rules.translate(u);
      },
    } as SlowPath;
    await run({ inProcess: true }, 1, 5, spy);
    const recirc = seen.filter((u) => new DataView(u.key.buffer, u.key.byteOffset).getUint32(4, true) === 1);
    expect(recirc.length).toBe(3);
    const k = recirc[0].key;
    const dv = new DataView(k.buffer, k.byteOffset);
    expect(recirc[0].seq).toBe(0);
    expect(dv.getUint32(0, true)).toBe(1); // in_port kept
    expect(Number(dv.getBigUint64(8, true))).toBe(1000); // tun_id = VNI
    expect(Array.from(k.subarray(16, 32))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]); // tun_src
    expect(Array.from(k.subarray(32, 48))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 2]); // tun_dst
    expect(Buffer.from(recirc[0].packet).toString('hex')).toBe(frames.vxlan_known[1]);
    expect(recirc.map((u) => u.seq)).toEqual([0, 2, 4]);
  });

  it('cache on vs off and 1 vs 2 PMDs give identical outputs and drops; hits after warm-up', async () => {
    const base = await run({ inProcess: true, cache: false });
    expect(base.outputs.length).toBe(40 * 3);
    for (const opts of [{ inProcess: true }, { pmds: 2, inProcess: true }, { pmds: 2 }] as Partial<EngineOptions>[]) {
      const r = await run(opts);
      expect(r.outputs).toEqual(base.outputs);
      expect(r.drops).toEqual(base.drops);
    }
    const cached = await run({ inProcess: true });
    const s = cached.stats.pmds[0];
    expect(s.recirculated).toBe(40 * 3);
    // Every flow (first pass and recirculated) upcalls a bounded number of times, not once per packet.
    expect(cached.stats.upcall.upcalls).toBeLessThan(40);
    expect(s.emcHits + s.megaflowHits).toBeGreaterThan(200);
  });

  it('a recirculation loop stops at the depth limit with recirculation_too_deep', async () => {
    const loop = new StaticRules({ ...CONFIG, rules: [{ priority: 0, match: '', actions: 'recirc(9)' }] });
    for (const cache of [true, false]) {
      const { outputs, drops } = await run({ inProcess: true, cache }, 2, 5, loop);
      expect(outputs).toEqual([]);
      expect(drops).toEqual(Array(10).fill('recirculation_too_deep'));
    }
  });
});
