import { describe, expect, it } from 'vitest';

import { greHeader, grePop, grePush, ovsRssHash, ovsTnlSrcPort, tunnelPop } from '../../src/ovs/native-tunnel.js';
import { buildFrame, TCP } from '../../src/packet/frame-builder.js';

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
  });
});

// Expected frames come from the shared frame builder (RFC 2784/2890 layout), not from the code under test.
describe('OVS native GRE (Ethernet over GRE, keyed)', () => {
  const inner = buildFrame([{ eth: { src: 'fa:16:3e:00:00:01', dst: 'fa:16:3e:00:00:99' } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.99', proto: 17 } }, { udp: { sport: 1, dport: 2 } }]);
  const expected = buildFrame([{ eth: { src: '02:00:c6:12:00:01', dst: '02:00:c6:12:00:02' } }, { ipv4: { src: '198.18.0.1', dst: '198.18.0.2', ttl: 64, df: true } }, { gre: { proto: 0x6558, key: 0x64 } }], inner);

  it('pushes the header OVS writes (TTL 64, ID 0, DF, K bit, 0x6558, key) and pops it back', () => {
    const out = grePush(inner, greHeader({ localIp: '198.18.0.1', remoteIp: '198.18.0.2', srcMac: '02:00:c6:12:00:01', dstMac: '02:00:c6:12:00:02', key: 0x64, df: true }));
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
