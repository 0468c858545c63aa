import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { grePop, isGreTemplate, ovsRssHash, ovsTnlSrcPort, tnlPush, tnlPushAction, tunnelPop } from '../../src/ovs/native-tunnel.js';
import { buildFrame, TCP } from '../../src/packet/frame-builder.js';
import { encapBatch } from '../../src/tunnel/index.js';
import { batchOf } from '../tunnel/helpers.js';

// Outer UDP source ports observed on real OVS 3.1 (../shared/oracles/ovs/README.md, p0-tx table).
describe('OVS VXLAN source port', () => {
  const eth = { eth: { src: 'fa:16:3e:00:00:01', dst: 'fa:16:3e:00:00:99' } };
  const ip = (proto: number) => ({ ipv4: { src: '192.0.2.1', dst: '192.0.2.99', proto } });
  it('matches the observed ports', () => {
    const port = (f: Uint8Array): number => ovsTnlSrcPort(ovsRssHash(f));
    expect(port(buildFrame([eth, ip(17), { udp: { sport: 40002, dport: 53 } }]))).toBe(38025);
    expect(port(buildFrame([eth, ip(6), { tcp: { sport: 40001, dport: 80, flags: TCP.SYN } }]))).toBe(35125);
    expect(port(buildFrame([eth, ip(1), { icmp: { type: 8, code: 0 } }]))).toBe(54372);
    expect(port(buildFrame([{ eth: { src: 'fa:16:3e:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: 'fa:16:3e:00:00:01', spa: '192.0.2.1', tha: '00:00:00:00:00:00', tpa: '192.0.2.99' } }]))).toBe(51361);
    expect(port(buildFrame([eth, ip(17), { udp: { sport: 10000, dport: 5001 } }]))).toBe(58117);
    // observed on real OVS 3.1 this session: IPv4 headers failing its sanity checks hash as L2-only
    // (IHL 4, total length 10, header cut at 12 bytes: 52643); a version of 6 is not checked (38025)
    const good = buildFrame([eth, ip(17), { udp: { sport: 40002, dport: 53 } }], new Uint8Array(18).fill(0x78));
    const edit = (at: number, v: number): Uint8Array => Uint8Array.from(good, (x, k) => (k === at ? v : x));
    expect([port(edit(14, 0x44)), port(edit(17, 10)), port(good.slice(0, 26)), port(edit(14, 0x65))]).toEqual([52643, 52643, 52643, 38025]);
  });
});

// Expected frames come from the shared frame builder (RFC 2784/2890 layout), not from the code under test.
describe('OVS native GRE (Ethernet over GRE, keyed)', () => {
  const inner = buildFrame([{ eth: { src: 'fa:16:3e:00:00:01', dst: 'fa:16:3e:00:00:99' } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.99', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);
  const expected = buildFrame([{ eth: { src: '02:00:c6:12:00:01', dst: '02:00:c6:12:00:02' } }, { ipv4: { src: '198.18.0.1', dst: '198.18.0.2', ttl: 64, df: true } }, { gre: { proto: 0x6558, key: 0x64 } }], inner);

  it('pushes the header OVS writes (TTL 64, ID 0, DF, K bit, 0x6558, key) and pops it back', () => {
    const push = tnlPushAction({ type: 'gre', tunnelPort: 47, localIp: '198.18.0.1', remoteIp: '198.18.0.2', srcMac: '02:00:c6:12:00:01', dstMac: '02:00:c6:12:00:02', dstPort: 0, vni: 0x64, csum: false, df: true });
    expect(isGreTemplate(push.template)).toBe(true);
    const out = tnlPush(inner, push.template, 0x12345678);
    expect(Buffer.from(out).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
    const p = tunnelPop(out);
    expect(p && { vni: p.vni, src: p.src, dst: p.dst, inner: Buffer.from(p.inner).toString('hex') })
      .toEqual({ vni: 0x64, src: '198.18.0.1', dst: '198.18.0.2', inner: Buffer.from(inner).toString('hex') });
  });

  it('refuses GRE that is not Ethernet (0x0800 payload) or has the version bits set', () => {
    const l3 = buildFrame([{ eth: { src: '02:00:c6:12:00:02', dst: '02:00:c6:12:00:01' } }, { ipv4: { src: '198.18.0.2', dst: '198.18.0.1' } }, { gre: { proto: 0x0800, key: 1 } }], inner.subarray(14));
    expect(grePop(l3)).toBeUndefined();
    const v1 = expected.slice();
    v1[34 + 1] |= 1; // GRE version 1 (PPTP)
    expect(grePop(v1)).toBeUndefined();
  });
});

/**
 * The engine's tnl_push in OVS-hash mode (native/tunnel_ovs_hash.cc) and the
 * model's ovsRssHash (the TypeScript reference above, checked against real
 * OVS's ports) pick the same source port for any frame: IPv4 with options,
 * fragments and truncations, IPv6 with extension headers, ARP, VLAN tags, IP
 * lengths exact, short, beyond the frame or 0 (OVS's sanity checks).
 */
describe('OVS source-port hash: engine (native) and model agree', () => {
  const b = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  const l4 = fc.record({ proto: fc.constantFrom(1, 6, 17, 58, 132, 47, 0, 43, 44, 60), body: fc.uint8Array({ minLength: 0, maxLength: 40 }) });
  const frameArb = fc.record({
    tags: fc.integer({ min: 0, max: 2 }),
    kind: fc.constantFrom('ipv4', 'ipv6', 'arp', 'other'),
    addrs: b(32),
    ihl: fc.integer({ min: 4, max: 7 }),
    frag: fc.constantFrom(0, 0x2000, 0x0001, 0x4000),
    l4,
    ext: fc.uint8Array({ minLength: 0, maxLength: 24 }),
    arpHrd: fc.constantFrom(1, 6), // Ethernet (hashed), IEEE 802 (not)
    op: fc.constantFrom(1, 2, 0x1ff),
    cut: fc.integer({ min: 0, max: 30 }),
    // the IP length field against the datagram: exact, short of it, beyond the frame, 0 (TSO)
    lenDelta: fc.constantFrom(0, 0, 0, -12, 16, 'zero'),
  }).map((r) => {
    const out: number[] = [0xfa, 0x16, 0x3e, 0, 0, 0x99, 0xfa, 0x16, 0x3e, 0, 0, 1];
    for (let k = 0; k < r.tags; k++) out.push(0x81, 0, 0, 5);
    if (r.kind === 'ipv4') {
      out.push(0x08, 0x00, 0x40 | r.ihl, 0, 0, 0, 0, 1, r.frag >> 8, r.frag & 0xff, 64, r.l4.proto, 0, 0, ...r.addrs.subarray(0, 8));
      for (let k = 20; k < r.ihl * 4; k++) out.push(1);
      out.push(...r.l4.body);
    } else if (r.kind === 'ipv6') {
      out.push(0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, r.l4.proto, 64, ...r.addrs, ...r.ext, ...r.l4.body);
    } else if (r.kind === 'arp') {
      out.push(0x08, 0x06, 0, r.arpHrd, 8, 0, 6, 4, r.op >> 8, r.op & 0xff, ...r.addrs.subarray(0, 6), ...r.addrs.subarray(6, 10), 0, 0, 0, 0, 0, 0, ...r.addrs.subarray(10, 14));
    } else out.push(0x88, 0xcc, ...r.addrs);
    const l3 = 14 + 4 * r.tags;
    const ipLength = (exact: number): number => (typeof r.lenDelta === 'number' ? Math.max(0, exact + r.lenDelta) : 0);
    if (r.kind === 'ipv4') [out[l3 + 2], out[l3 + 3]] = [ipLength(out.length - l3) >> 8, ipLength(out.length - l3) & 0xff];
    if (r.kind === 'ipv6') [out[l3 + 4], out[l3 + 5]] = [ipLength(out.length - l3 - 40) >> 8, ipLength(out.length - l3 - 40) & 0xff];
    const f = Uint8Array.from(out);
    return f.subarray(0, Math.max(14 + 4 * r.tags, f.length - r.cut)); // an Ethernet header and whole tags: encap needs them
  });

  it('for random frames', () => {
    const spec = { type: 'vxlan', vni: 100, local: '198.18.0.1', remote: '198.18.0.2', srcPort: 'ovs', srcPortHash: 'ovs-5tuple' } as const;
    fc.assert(fc.property(frameArb, (frame) => {
      const batch = batchOf([frame]);
      batch.hash[0] = 0x5a5a5a5a; // ignored in this mode
      expect(encapBatch(batch, spec)).toBe(1);
      const out = batch.packet(0);
      expect((out[34] << 8) | out[35]).toBe(ovsTnlSrcPort(ovsRssHash(frame)));
      expect(batch.hash[0]).toBe(0x5a5a5a5a);
    }), { numRuns: Number(process.env.FC_RUNS ?? 300) });
  });
});
