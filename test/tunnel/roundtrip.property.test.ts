/**
 * Property: decap(encap(p)) == p for random inner frames and random tunnel
 * specs (every type, Ethernet over GRE included, underlay, VLAN, payload kind, label count, control word,
 * GRE key, checksum and TTL/ID/DF policy, source-port profile), with the
 * receiver tables that terminate the tunnel.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decapBatch, encapBatch, udpSrcPort, SRC_PORT_PROFILES, type DecapTables, type TunnelSpec } from '../../src/tunnel/index.js';
import { batchOf, framesOf, hex } from './helpers.js';

const ENTRY_DST = [0x02, 0, 0, 0, 0, 0x0d];
const ENTRY_SRC = [0x02, 0, 0, 0, 0, 0x0e];

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });

/** An Ethernet frame carrying IPv4 (20-byte header + payload) or IPv6 (40 + payload), or anything else (L2 only). */
const innerFrame = (l3Only: boolean) =>
  fc
    .record({
      dst: mac,
      src: mac,
      kind: l3Only ? fc.constantFrom('ipv4', 'ipv6') : fc.constantFrom('ipv4', 'ipv6', 'other'),
      ttl: fc.integer({ min: 1, max: 255 }),
      id: fc.integer({ min: 0, max: 0xffff }),
      df: fc.boolean(),
      otherType: fc.integer({ min: 0x0600, max: 0xffff }),
      payload: fc.uint8Array({ minLength: 0, maxLength: 300 }),
    })
    .map((r) => {
      const eth = l3Only ? [...ENTRY_DST, ...ENTRY_SRC] : [...r.dst, ...r.src];
      if (r.kind === 'ipv4') {
        const ip = [0x45, 0, 0, 0, r.id >> 8, r.id & 255, r.df ? 0x40 : 0, 0, r.ttl, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        const total = 20 + r.payload.length;
        ip[2] = total >> 8;
        ip[3] = total & 255;
        return Uint8Array.from([...eth, 0x08, 0x00, ...ip, ...r.payload]);
      }
      if (r.kind === 'ipv6') {
        const ip = [0x60, 0, 0, 0, r.payload.length >> 8, r.payload.length & 255, 59, r.ttl, ...new Array(32).fill(0).map((_, k) => k)];
        return Uint8Array.from([...eth, 0x86, 0xdd, ...ip, ...r.payload]);
      }
      return Uint8Array.from([...eth, r.otherType >> 8, r.otherType & 255, ...r.payload]);
    });

const specArb = fc
  .record({
    type: fc.constantFrom('vxlan', 'mplsoudp', 'mplsogre', 'gre'),
    v6: fc.boolean(),
    vlan: fc.option(fc.integer({ min: 0, max: 4095 }), { nil: undefined }),
    vni: fc.integer({ min: 0, max: 0xffffff }),
    labels: fc.array(fc.integer({ min: 16, max: 0xfffff }), { minLength: 1, maxLength: 2 }),
    payload: fc.constantFrom('ip', 'ethernet'),
    controlWord: fc.boolean(),
    greKey: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    srcPort: fc.constantFrom('linux', 'ovs', 'vrouter'),
    udpChecksum: fc.constantFrom('zero', 'compute'),
    ttl: fc.oneof(fc.constant('inherit' as const), fc.integer({ min: 1, max: 255 })),
    mplsTtl: fc.oneof(fc.constant('inherit' as const), fc.integer({ min: 1, max: 255 })),
    ipId: fc.constantFrom('counter', 'copy-inner', 'zero'),
    df: fc.constantFrom('clear', 'set', 'inherit'),
    hash: fc.integer({ min: 0, max: 0xffffffff }),
  })
  .map((r) => {
    const mpls = r.type === 'mplsoudp' || r.type === 'mplsogre';
    const gre = r.type === 'mplsogre' || r.type === 'gre';
    const spec: TunnelSpec = {
      type: r.type,
      local: r.v6 ? '2001:db8::1' : '198.51.100.1',
      remote: r.v6 ? '2001:db8::2' : '198.51.100.2',
      ttl: r.ttl,
      ...(r.vlan !== undefined ? { vlan: r.vlan } : {}),
      ...(mpls ? { labels: r.labels, payload: r.payload, mplsTtl: r.mplsTtl } : r.type === 'vxlan' ? { vni: r.vni } : {}),
      ...(mpls && r.payload === 'ethernet' && r.controlWord ? { controlWord: true } : {}),
      ...(gre && r.greKey !== undefined ? { greKey: r.greKey } : {}),
      ...(!gre ? { srcPort: r.srcPort, udpChecksum: r.udpChecksum } : {}),
      ...(!r.v6 ? { ipId: r.ipId, df: r.df } : {}),
    };
    return { spec, hash: r.hash, l3: mpls && r.payload === 'ip' };
  });

describe('decap(encap(p)) == p', () => {
  it('holds for random frames and tunnels', () => {
    fc.assert(
      fc.property(
        specArb.chain((s) => fc.tuple(fc.constant(s), innerFrame(s.l3))),
        ([{ spec, hash }, frame]) => {
          const batch = batchOf([frame]);
          batch.hash[0] = hash;
          expect(encapBatch(batch, spec)).toBe(1);
          const wire = batch.packet(0).slice();
          // The source port is the documented mapping of the hash (or of the hash the core computed when it was 0).
          if (spec.type === 'vxlan' || spec.type === 'mplsoudp') {
            const l4 = 14 + (spec.vlan !== undefined ? 4 : 0) + (spec.local.includes(':') ? 40 : 20);
            const sport = (wire[l4] << 8) | wire[l4 + 1];
            expect(sport).toBe(udpSrcPort(batch.hash[0], SRC_PORT_PROFILES[spec.srcPort as 'linux' | 'ovs' | 'vrouter']));
            if (hash !== 0) expect(batch.hash[0]).toBe(hash);
          }
          const bottom = spec.labels ? spec.labels[spec.labels.length - 1] : 0;
          const tables: DecapTables = {
            vxlan: { vnis: [spec.vni ?? 0] },
            mplsoudp: {},
            mplsogre: {},
            gre: {},
            labels: spec.labels ? [{ label: bottom, payload: spec.payload ?? 'ip', controlWord: spec.controlWord, dstMac: '02:00:00:00:00:0d', srcMac: '02:00:00:00:00:0e' }] : [],
            allowZeroUdpChecksumIpv6: true,
            discardInnerVlan: false,
          };
          const res = decapBatch(batch, tables);
          expect(batch.drop[0]).toBe(0);
          expect(res.count).toBe(1);
          expect(hex(framesOf(batch)[0])).toBe(hex(frame));
          const info = res.info[0]!;
          expect(info.type).toBe(spec.type);
          expect(info.outerSrc).toBe(spec.local);
          expect(info.outerDst).toBe(spec.remote);
          if (spec.type === 'vxlan') expect(info.vni).toBe(spec.vni);
          else if (spec.type !== 'gre') expect(info.label).toBe(bottom);
          if (spec.greKey !== undefined) expect(info.greKey).toBe(spec.greKey);
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 400), seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : undefined },
    );
  });
});
