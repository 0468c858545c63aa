import { describe, expect, it } from 'vitest';

import { ovsRssHash, ovsTnlSrcPort } from '../../src/ovs/native-tunnel.js';
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
