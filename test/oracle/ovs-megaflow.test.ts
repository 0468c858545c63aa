/**
 * Megaflows against real Open vSwitch 3.1: the Neutron VXLAN host's oracle
 * capture (VM frames, then VXLAN frames from the underlay) goes through a
 * private OVS sandbox, where `dpctl/dump-flows` is read after each frame,
 * and through the datapath engine with the OVS model as its slow path, whose
 * installed megaflows are dumped. For every frame, the fields each megaflow
 * matches and their masks must be the same.
 *
 * Compared as masks per field (values differ where the datapaths number
 * things differently). Normalized, because the two datapaths' keys differ in
 * form, not in what they match:
 *   - OVS's datapath key has no tunnel() for a packet that did not come from a
 *     tunnel and no vlan() for an untagged packet; our fixed-layout key holds
 *     tun_id / vlan_tci as 0 there, so those masks are left out of ours;
 *   - a popped VXLAN packet re-enters OVS as in_port(vxlan_sys_4789) with
 *     recirc_id(0), ours with recirc_id(N) on the underlay port: both match
 *     in_port and recirc_id exactly;
 *   - packet_type is not in our key.
 * Tunnel flags are compared as present: OVS matches df, csum and key
 * (flags(-df-csum+key)), ours the csum and key bits (the key has no DF bit;
 * docs/ovs.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { DatapathEngine } from '../../src/datapath/engine.js';
import { KEY_FIELDS, type KeyField } from '../../src/datapath/flow-key.js';
import { loadTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { OvsSlowPath } from '../../src/ovs/ovs-slow-path.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { splitTopLevel } from '../../src/split-top-level.js';
import { OvsSandbox, readClassicPcap } from './ovs-sandbox.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'ovs');
const PCAP = join(import.meta.dirname, '..', '..', '..', 'shared', 'oracles', 'ovs', 'examples', 'in-test.pcap');

/** Field -> mask (hex), the canonical form both sides are brought to. */
type Masks = Map<string, string>;

/** Known differences: fields only OVS matches (with why); none left for this capture. */
const DIFFS: Record<string, string> = {};

const ones = (bits: number): bigint => (1n << BigInt(bits)) - 1n;
const hexMask = (m: bigint): string => `0x${m.toString(16)}`;

/** Splits "a=1,b(c=2,d=3),e" at top-level commas (trimmed, no empty pieces). */
function topSplit(t: string): string[] {
  return splitTopLevel(t).map((s) => s.trim()).filter(Boolean);
}

/** The mask of an OVS "value[/mask]" of a field `bits` wide (MAC, IPv4, number or frag keyword). */
function ovsMask(text: string, bits: number): bigint {
  const slash = text.indexOf('/');
  if (slash < 0) return ones(bits);
  const m = text.slice(slash + 1);
  if (m.includes(':')) return BigInt(`0x${m.replace(/:/g, '')}`);
  if (m.includes('.')) return m.split('.').reduce((a, x) => (a << 8n) | BigInt(Number(x)), 0n);
  return BigInt(m);
}

/** One dpctl/dump-flows line as field masks. */
function parseOvsFlow(line: string): Masks {
  const key = line.slice(0, line.indexOf(', packets:'));
  const out: Masks = new Map();
  const put = (f: string, m: bigint): void => { if (m) out.set(f, hexMask((BigInt(out.get(f) ?? 0) | m))); };
  for (const part of topSplit(key)) {
    const name = part.slice(0, part.indexOf('('));
    const body = part.slice(part.indexOf('(') + 1, -1);
    const sub = new Map(topSplit(body).map((kv) => [kv.slice(0, kv.indexOf('=') < 0 ? kv.indexOf('(') : kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    switch (name) {
      case 'recirc_id': put('recirc_id', ones(32)); break;
      case 'in_port': put('in_port', ones(32)); break;
      case 'eth_type': put('dl_type', ones(16)); break;
      case 'eth':
        if (sub.has('src')) put('dl_src', ovsMask(sub.get('src')!, 48));
        if (sub.has('dst')) put('dl_dst', ovsMask(sub.get('dst')!, 48));
        break;
      case 'vlan':
        if (sub.has('vid')) put('vlan_tci', ovsMask(sub.get('vid')!, 12) | 0x1000n);
        if (sub.has('pcp')) put('vlan_tci', (ovsMask(sub.get('pcp')!, 3) << 13n) | 0x1000n);
        break;
      case 'ipv4':
      case 'arp': {
        const map: Record<string, [string, number]> = name === 'ipv4'
          ? { src: ['nw_src', 32], dst: ['nw_dst', 32], proto: ['nw_proto', 8], tos: ['nw_tos', 8], ttl: ['nw_ttl', 8], frag: ['nw_frag', 2] }
          : { sip: ['nw_src', 32], tip: ['nw_dst', 32], op: ['nw_proto', 8], sha: ['arp_sha', 48], tha: ['arp_tha', 48] };
        for (const [k, v] of sub) if (map[k]) put(map[k][0], k === 'frag' ? 3n : ovsMask(v, map[k][1]));
        break;
      }
      case 'tcp': case 'udp': case 'sctp':
        if (sub.has('src')) put('tp_src', ovsMask(sub.get('src')!, 16));
        if (sub.has('dst')) put('tp_dst', ovsMask(sub.get('dst')!, 16));
        break;
      case 'icmp':
        if (sub.has('type')) put('tp_src', ovsMask(sub.get('type')!, 8));
        if (sub.has('code')) put('tp_dst', ovsMask(sub.get('code')!, 8));
        break;
      case 'tunnel':
        if (sub.has('tun_id')) put('tun_id', ovsMask(sub.get('tun_id')!, 64));
        if (sub.has('src')) put('tun_src', ovsMask(sub.get('src')!, 32));
        if (sub.has('dst')) put('tun_dst', ovsMask(sub.get('dst')!, 32));
        if (sub.has('flags')) put('tun_flags', 1n);
        break;
      case 'packet_type':
        break;
      default:
        throw new Error(`unknown datapath key attribute ${name} in ${line}`);
    }
  }
  return out;
}

/** Our native megaflow mask (native/flow_key.h byte orders) as field masks. */
function ourMasks(mask: Uint8Array, ipv4: boolean): Masks {
  const out: Masks = new Map();
  const le = (f: KeyField): bigint => {
    const [o, n] = KEY_FIELDS[f];
    let v = 0n;
    for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(mask[o + k]);
    return v;
  };
  const be = (f: KeyField, from = 0, len?: number): bigint => {
    const [o, n] = KEY_FIELDS[f];
    let v = 0n;
    for (let k = from; k < (len ?? n); k++) v = (v << 8n) | BigInt(mask[o + k]);
    return v;
  };
  const put = (f: string, m: bigint): void => { if (m) out.set(f, hexMask(m)); };
  for (const f of ['in_port', 'recirc_id', 'tun_id', 'dl_type', 'vlan_tci', 'nw_proto', 'nw_tos', 'nw_ttl', 'nw_frag', 'tp_src', 'tp_dst'] as const) put(f, le(f));
  for (const f of ['dl_src', 'dl_dst', 'arp_sha', 'arp_tha'] as const) put(f, be(f));
  // IPv4 addresses sit in the last 4 bytes of the 16-byte fields
  for (const f of ['nw_src', 'nw_dst', 'tun_src', 'tun_dst'] as const) put(f, ipv4 || f.startsWith('tun') ? be(f, 12, 16) : be(f));
  // OVS prints flags(-df-csum+key): compared as present / absent
  put('tun_flags', le('tun_flags') ? 1n : 0n);
  return out;
}

/** Runs `frames` through OVS and the engine frame by frame; compares each frame's megaflows; returns how many were compared. */
async function compareMegaflows(file: string, frames: [string, Uint8Array][]): Promise<number> {
  const cfg = loadTopology(join(EXAMPLES, file)).hosts[0];
  if (cfg.kind !== 'ovs') throw new Error('expected an ovs host');
  const host = buildOvsHost(cfg);
  const sb = OvsSandbox.start();
  const report: string[] = [];
  let compared = 0;
  try {
    sb.build(cfg);
    for (const [port, frame] of frames) {
      const real = sb.inject(port, frame, true).map(parseOvsFlow);
      // our megaflows for this frame: a fresh engine over the same host model (as OVS's flows
      // are purged after each frame); when a translation learned (and so was not cached),
      // the same frame once more
      const engine = DatapathEngine.create({ slowPath: new OvsSlowPath(host), inProcess: true, cache: true });
      let ours: Masks[] = [];
      try {
        for (let pass = 0; pass < 3 && ours.length < real.length; pass++) {
          const b = PacketBatch.create();
          b.append(frame, { inPort: host.port(port)!.dpPort });
          await engine.process(b);
          await engine.process(PacketBatch.create()); // installs reach the PMD with a later task
          await engine.process(PacketBatch.create());
          ours = (await engine.dumpFlows()).map((f) => ourMasks(f.mask, true));
        }
      } finally {
        await engine.close();
      }
      const tunneled = (m: Masks): boolean => m.has('tun_src');
      for (const o of real) {
        // the engine flow for the same stage: popped (tunnel metadata) or not
        const mine = ours.find((x) => tunneled(x) === tunneled(o));
        expect(mine, `an engine megaflow for ${port} frame ${Buffer.from(frame.subarray(0, 14)).toString('hex')} (${[...o.keys()].join(',')})`).toBeDefined();
        const m = new Map(mine);
        if (!tunneled(o)) for (const f of ['tun_id', 'tun_src', 'tun_dst', 'tun_flags']) m.delete(f);
        if (!o.has('vlan_tci')) m.delete('vlan_tci');
        const expected = new Map([...o].filter(([f]) => !(f in DIFFS)));
        report.push(`${port}: ovs ${[...o].map(([f, v]) => `${f}=${v}`).join(',')} | ours ${[...m].map(([f, v]) => `${f}=${v}`).join(',')}`);
        expect(Object.fromEntries(m), `megaflow of ${port} frame (ovs: ${[...o.keys()].join(',')})`).toEqual(Object.fromEntries(expected));
        compared++;
      }
    }
    if (process.env.MF_DEBUG) console.log(report.join('\n'));
  } finally {
    sb.stop();
    sb.remove();
  }
  return compared;
}

describe('megaflows of the datapath engine vs real Open vSwitch', () => {
  it('neutron-vxlan-host.yaml, oracle capture: each frame installs megaflows with the same fields and masks', async () => {
    if (!existsSync(PCAP)) throw new Error(`${PCAP} is missing: the OVS oracle files come from ../shared/oracles/ovs`);
    const byMac: Record<string, string> = { 'fa:16:3e:00:00:01': 'vm1', 'fa:16:3e:00:00:02': 'vm2' };
    const frames = readClassicPcap(readFileSync(PCAP)).map((f): [string, Uint8Array] => {
      const src = Array.from(f.subarray(6, 12), (x) => x.toString(16).padStart(2, '0')).join(':');
      return [byMac[src] ?? 'p0', f];
    });
    // 6 VM frames (one flow each), 4 VXLAN frames (the tnl_pop flow and the popped packet's flow)
    expect(await compareMegaflows('neutron-vxlan-host.yaml', frames)).toBe(14);
  }, 90_000);

  it('gre-host.yaml: VM frames out through GRE, GRE frames in (tnl_pop), the same fields and masks', async () => {
    const udp = (src: string, dst: string, ips: [string, string], dport: number): Uint8Array =>
      buildFrame([{ eth: { src, dst } }, { ipv4: { src: ips[0], dst: ips[1], ttl: 64 } }, { udp: { sport: 5000, dport } }], [9, 9, 9]);
    const greIn = (key: number, inner: Uint8Array): Uint8Array =>
      buildFrame([{ eth: { src: '02:00:c6:12:00:02', dst: '02:00:c6:12:00:01' } }, { ipv4: { src: '198.18.0.2', dst: '198.18.0.1', ttl: 64 } }, { gre: { proto: 0x6558, key } }], inner);
    const frames: [string, Uint8Array][] = [
      ['vm1', udp('fa:16:3e:00:00:01', 'fa:16:3e:00:00:99', ['192.0.2.1', '192.0.2.99'], 22)],
      ['vm2', udp('fa:16:3e:00:00:02', 'fa:16:3e:00:00:98', ['192.0.2.2', '192.0.2.98'], 53)],
      ['p0', greIn(0x64, udp('fa:16:3e:00:00:99', 'fa:16:3e:00:00:01', ['192.0.2.99', '192.0.2.1'], 40001))],
      ['p0', greIn(0x66, udp('fa:16:3e:00:00:97', 'fa:16:3e:00:00:02', ['192.0.2.97', '192.0.2.2'], 40003))],
    ];
    expect(await compareMegaflows('gre-host.yaml', frames)).toBe(6);
  }, 90_000);
});
