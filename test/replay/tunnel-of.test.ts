/**
 * The report's tunnel classification (src/replay/tunnel-of.ts) on frames
 * built by the frame builder: VXLAN VNI, MPLSoUDP and MPLSoGRE top label
 * (RFC 7510 / RFC 4023 layouts; label 0x12345 = 74565), GRE with checksum
 * and key words, and what is not a tunnel.
 */
import { describe, expect, it } from 'vitest';

import { buildFrame, type Header } from '../../src/packet/frame-builder.js';
import { tunnelOf } from '../../src/replay/tunnel-of.js';

const outer = (proto: number): Header[] => [{ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } }, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto } }];
const inner: Header[] = [{ ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17 } }, { udp: { sport: 1, dport: 2 } }];

describe('tunnelOf', () => {
  it('names VXLAN by VNI, MPLSoUDP and MPLSoGRE by the top label', () => {
    expect(tunnelOf(buildFrame([...outer(17), { udp: { sport: 49152, dport: 4789 } }, { vxlan: { vni: 5001 } }, { eth: { src: '02:00:00:00:00:03', dst: '02:00:00:00:00:04' } }, ...inner]))).toEqual({ type: 'vxlan', vni: 5001 });
    expect(tunnelOf(buildFrame([...outer(17), { udp: { sport: 49152, dport: 6635 } }, { mpls: { labels: [{ label: 0x12345 }, { label: 16 }] } }, ...inner]))).toEqual({ type: 'mplsoudp', label: 74565 });
    expect(tunnelOf(buildFrame([...outer(47), { gre: { proto: 0x8847 } }, { mpls: { labels: [{ label: 18 }] } }, ...inner]))).toEqual({ type: 'mplsogre', label: 18 });
    expect(tunnelOf(buildFrame([...outer(47), { gre: { proto: 0x8847, csum: true, key: 7 } }, { mpls: { labels: [{ label: 21 }] } }, ...inner]))).toEqual({ type: 'mplsogre', label: 21 });
  });

  it('calls everything else other, and never reads past the frame', () => {
    expect(tunnelOf(buildFrame([...outer(17), { udp: { sport: 1, dport: 53 } }]))).toEqual({ type: 'other' });
    expect(tunnelOf(buildFrame([...outer(47), { gre: { proto: 0x6558 } }]))).toEqual({ type: 'other' });
    const cut = buildFrame([...outer(17), { udp: { sport: 49152, dport: 6635 } }, { mpls: { labels: [{ label: 16 }] } }, ...inner]);
    for (let n = 0; n <= 45; n++) expect(tunnelOf(cut.subarray(0, n)).type).toBe('other');
    expect(tunnelOf(cut.subarray(0, 46))).toEqual({ type: 'mplsoudp', label: 16 });
  });
});
