/**
 * The vRouter's outer IPv4 ID (src/vrouter/outer-ip-id.ts), against
 * dp-core/vr_proto_ip.c vr_generate_unique_ip_id (pre-increment, skip 0) and
 * vr_nexthop.c (MPLSoUDP / VXLAN always take it; MPLSoGRE copies an inner
 * IPv4 ID and takes it otherwise). Header checksums are verified by the
 * RFC 1071 sum over the header being 0xffff, computed here independently.
 */
import { describe, expect, it } from 'vitest';

import { buildFrame } from '../../src/packet/frame-builder.js';
import { buildFromController, OuterIpIds, Vrouter } from '../../src/vrouter/index.js';
import { RED1, RED2, VR, twoComputes } from './two-computes.js';

const id = (f: Uint8Array): number => (f[18] << 8) | f[19];
/** One's-complement sum of the 20-byte outer IPv4 header: 0xffff when its checksum is right. */
const headerSum = (f: Uint8Array): number => {
  let s = 0;
  for (let k = 14; k < 34; k += 2) s += (f[k] << 8) | f[k + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
};

const routedTcp = (ipId: number): Uint8Array =>
  buildFrame([{ eth: { src: RED1, dst: VR } }, { ipv4: { src: '10.1.1.3', dst: '10.2.2.4', id: ipId, ttl: 64 } }, { tcp: { sport: 40000, dport: 80 } }]);
const routedTcp6 = (): Uint8Array => buildFrame([{ eth: { src: RED1, dst: VR } }, { ipv6: { src: 'fd00:1::3', dst: 'fd00:2::4', hlim: 64 } }, { tcp: { sport: 40000, dport: 80 } }]);

function compute1(pref: 'MPLSoUDP' | 'MPLSoGRE' | 'VXLAN'): Vrouter {
  const t = twoComputes([pref]);
  t.networks = t.networks!.map((n) => ({ ...n, subnet6: n.name === 'red' ? 'fd00:1::/64' : 'fd00:2::/64' }));
  t.vms = t.vms.map((v) => ({ ...v, ip6: v.ip.replace(/^10\.(\d)\.\d\.(\d+)$/, 'fd00:$1::$2') }));
  return new Vrouter(buildFromController(t).find((c) => c.name === 'compute1')!);
}

describe('OuterIpIds', () => {
  it('counts from 1, wraps from 65535 to 1 (never 0)', () => {
    const ids = new OuterIpIds();
    expect([ids.next(), ids.next(), ids.next()]).toEqual([1, 2, 3]);
    for (let k = 4; k < 65535; k++) ids.next();
    expect([ids.next(), ids.next(), ids.next()]).toEqual([65535, 1, 2]);
  });

  it('MPLSoUDP: every tunnel packet takes the counter, whatever its inner ID; the header checksum stays right', () => {
    const vr = compute1('MPLSoUDP');
    const got = [0x1111, 0x1111, 0x2222].map((i) => vr.input(3, routedTcp(i)).outputs[0].frame);
    expect(got.map(id)).toEqual([1, 2, 3]);
    for (const f of got) expect(headerSum(f)).toBe(0xffff);
  });

  it('MPLSoGRE: the inner IPv4 ID is copied; IPv6 takes the counter', () => {
    const vr = compute1('MPLSoGRE');
    const v4 = vr.input(3, routedTcp(0x4d2)).outputs[0].frame;
    const v6a = vr.input(3, routedTcp6()).outputs[0].frame;
    const v4b = vr.input(3, routedTcp(0x4d3)).outputs[0].frame;
    const v6b = vr.input(3, routedTcp6()).outputs[0].frame;
    expect([v4, v6a, v4b, v6b].map((f) => f[23])).toEqual([47, 47, 47, 47]);
    expect([v4, v6a, v4b, v6b].map(id)).toEqual([0x4d2, 1, 0x4d3, 2]);
    for (const f of [v4, v6a, v4b, v6b]) expect(headerSum(f)).toBe(0xffff);
  });

  it('VXLAN (bridged to red2 through its MAC) takes the counter too; frames to a VM are untouched', () => {
    const vr = compute1('VXLAN');
    const bridged = buildFrame([{ eth: { src: RED1, dst: RED2 } }, { ipv4: { src: '10.1.1.3', dst: '10.1.1.4', id: 0x7777, ttl: 64 } }, { udp: { sport: 1, dport: 2 } }]);
    const ids = new OuterIpIds();
    const frame = buildFrame([{ eth: { src: RED1, dst: VR } }, { ipv4: { src: '10.1.1.3', dst: '10.1.1.3', id: 0x7777 } }, { udp: { sport: 1, dport: 2 } }]);
    ids.stamp(vr.tables, 3, frame, [{ vif: 3, frame }]);
    expect(id(frame)).toBe(0x7777);
    const out = vr.input(3, bridged).outputs;
    expect(out.map((o) => [o.vif, o.frame[23], (o.frame[36] << 8) | o.frame[37], id(o.frame)])).toEqual([[0, 17, 4789, 1]]);
    expect(headerSum(out[0].frame)).toBe(0xffff);
  });
});
