/**
 * Named drops of encap and decap. Frames are made by our encap (checked
 * against scapy in encap-scapy.test.ts) and then corrupted at offsets
 * derived from the RFC layouts, or built with src/packet/frame-builder.
 */
import { describe, expect, it } from 'vitest';

import { buildFrame } from '../../src/packet/frame-builder.js';
import { CompiledTunnels, decapBatch, encapBatch, type DecapTables, type TunnelSpec } from '../../src/tunnel/index.js';
import { dropReasonName } from './drop-name.js';
import { batchOf, framesOf } from './helpers.js';

const inner = buildFrame(
  [{ eth: { src: '02:aa:00:00:00:01', dst: '02:aa:00:00:00:02' } }, { ipv4: { src: '10.1.0.1', dst: '10.2.0.2' } }, { udp: { sport: 1, dport: 2 } }],
  [1, 2, 3, 4],
);
const v4 = { local: '192.0.2.1', remote: '192.0.2.2', srcPort: 50000 } as const;
const v6 = { local: '2001:db8::1', remote: '2001:db8::2', srcPort: 50000 } as const;

function encap(spec: TunnelSpec, frame = inner): Uint8Array {
  const b = batchOf([frame]);
  expect(encapBatch(b, spec)).toBe(1);
  return framesOf(b)[0];
}

function decapDrop(frame: Uint8Array, tables: DecapTables): string {
  const b = batchOf([frame]);
  decapBatch(b, tables);
  return dropReasonName(b.drop[0]);
}

const vxlanRx: DecapTables = { vxlan: { vnis: [7] } };
// Offsets in an untagged IPv4 VXLAN frame: UDP at 34, VXLAN at 42, inner Ethernet at 50.
describe('decap drops', () => {
  const vx = encap({ type: 'vxlan', vni: 7, ...v4 });

  it('accepts the unmodified frame', () => expect(decapDrop(vx, vxlanRx)).toBe('none'));
  it('VXLAN without the I flag', () => {
    const f = vx.slice();
    f[42] = 0x00;
    expect(decapDrop(f, vxlanRx)).toBe('vxlan_i_flag_clear');
  });
  it('ignores the other reserved VXLAN bits (RFC 7348)', () => {
    const f = vx.slice();
    f[42] = 0xff;
    f[43] = 0xff;
    f[49] = 0xff;
    expect(decapDrop(f, vxlanRx)).toBe('none');
  });
  it('unknown VNI', () => expect(decapDrop(vx, { vxlan: { vnis: [8, 9] } })).toBe('invalid_vnid'));
  it('a UDP port nobody terminates', () => expect(decapDrop(vx, { vxlan: { vnis: [7], port: 8472 } })).toBe('not_a_tunnel'));
  it('bad non-zero outer UDP checksum; good one accepted', () => {
    const good = encap({ type: 'vxlan', vni: 7, ...v4, udpChecksum: 'compute' });
    expect(decapDrop(good, vxlanRx)).toBe('none');
    const bad = good.slice();
    bad[40] ^= 0x01;
    expect(decapDrop(bad, vxlanRx)).toBe('bad_outer_udp_checksum');
  });
  it('zero UDP checksum over IPv6 only when allowed', () => {
    const f = encap({ type: 'vxlan', vni: 7, ...v6, udpChecksum: 'zero' });
    expect(decapDrop(f, vxlanRx)).toBe('zero_udp_checksum_ipv6');
    expect(decapDrop(f, { ...vxlanRx, allowZeroUdpChecksumIpv6: true })).toBe('none');
  });
  it('inner VLAN tag discarded by default, kept when configured', () => {
    const tagged = buildFrame([{ eth: { src: '02:aa:00:00:00:01', dst: '02:aa:00:00:00:02' } }, { vlan: { vid: 5 } }, { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } }]);
    const f = encap({ type: 'vxlan', vni: 7, ...v4 }, tagged);
    expect(decapDrop(f, vxlanRx)).toBe('inner_vlan_discarded');
    expect(decapDrop(f, { ...vxlanRx, discardInnerVlan: false })).toBe('none');
  });
  it('outer IPv4 fragment', () => {
    const f = vx.slice();
    f[20] = 0x20; // MF; header checksum is not what decap checks
    expect(decapDrop(f, vxlanRx)).toBe('tunnel_outer_fragment');
  });
  it('not a tunnel: plain UDP/IPv4 frame', () => expect(decapDrop(inner, vxlanRx)).toBe('not_a_tunnel'));

  it('truncated at every length: a named reason, never a crash', () => {
    const seen = new Set<string>();
    for (let n = 0; n < vx.length; n++) {
      const b = batchOf([vx.subarray(0, n)]);
      decapBatch(b, vxlanRx);
      const name = dropReasonName(b.drop[0]);
      expect(name, `length ${n}`).not.toBe('none');
      seen.add(name);
    }
    // Ethernet, IPv4 and UDP lengths fail first (IPv4 total length now exceeds the frame).
    expect([...seen].sort()).toEqual(['bad_ipv4_total_length', 'truncated_ethernet', 'truncated_ipv4'].sort());
  });
  it('captured bytes short of the wire length: truncated_capture', () => {
    const b = batchOf([vx]);
    b.length[0] = 46; // capture stops inside the VXLAN header; wire length still the frame
    decapBatch(b, vxlanRx);
    expect(dropReasonName(b.drop[0])).toBe('truncated_capture');
  });
  it('truncation inside the tunnel headers with consistent lengths', () => {
    // UDP length and IP length say the datagram ends right after the first 4 bytes of VXLAN.
    const f = vx.slice(0, 46);
    f[16] = 0;
    f[17] = 32; // IPv4 total length 32: header 20 + UDP 8 + 4
    f[38] = 0;
    f[39] = 12;
    expect(decapDrop(f, vxlanRx)).toBe('truncated_vxlan');
  });
});

describe('MPLS and GRE decap drops', () => {
  const labels = [{ label: 100, payload: 'ip' as const }, { label: 200, payload: 'ethernet' as const, controlWord: true }];
  const gre = encap({ type: 'mplsogre', labels: [100], ...{ local: v4.local, remote: v4.remote } });
  const rx: DecapTables = { mplsogre: {}, mplsoudp: {}, labels };

  it('accepts MPLSoGRE to a known label', () => expect(decapDrop(gre, rx)).toBe('none'));
  it('unknown label', () => expect(decapDrop(gre, { mplsogre: {}, labels: [{ label: 101, payload: 'ip' }] })).toBe('invalid_label'));
  it('GRE S bit not accepted by default (vRouter accepts C and K), accepted when configured', () => {
    // GRE with a sequence number, built by frame-builder: flags 0x1000, protocol 0x8847.
    const f = buildFrame([
      { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } },
      { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' } },
      { gre: { proto: 0x8847, seq: 5 } },
      { mpls: { labels: [{ label: 100, ttl: 9 }] } },
      { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } },
    ]);
    expect(decapDrop(f, rx)).toBe('gre_flags_not_accepted');
    expect(decapDrop(f, { ...rx, mplsogre: { acceptFlags: ['C', 'K', 'S'] } })).toBe('none');
  });
  it('GRE checksum verified (C bit)', () => {
    const f = buildFrame([
      { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } },
      { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' } },
      { gre: { proto: 0x8847, csum: true, key: 9 } },
      { mpls: { labels: [{ label: 100, ttl: 9 }] } },
      { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } },
    ]);
    expect(decapDrop(f, rx)).toBe('none');
    const bad = f.slice();
    bad[bad.length - 1] ^= 0x10;
    expect(decapDrop(bad, rx)).toBe('bad_gre_checksum');
  });
  it('GRE version 1 and other protocols', () => {
    const f = gre.slice();
    f[35] = 0x01; // GRE at 34: version 1
    expect(decapDrop(f, rx)).toBe('bad_gre_version');
    const g = gre.slice();
    g[36] = 0x08;
    g[37] = 0x00; // protocol 0x0800
    expect(decapDrop(g, rx)).toBe('gre_unsupported_protocol');
  });
  it('payload must match the label entry: IP nibble, control word', () => {
    const eth = encap({ type: 'mplsoudp', labels: [200], payload: 'ethernet', controlWord: true, ...v4 });
    expect(decapDrop(eth, rx)).toBe('none');
    const badCw = eth.slice();
    badCw[46] = 0x10; // UDP at 34, label at 42, control word at 46
    expect(decapDrop(badCw, rx)).toBe('bad_control_word');
    // The same frame to label 100 (an inet nexthop): the control word's 0 nibble is not IP.
    const toIp = eth.slice();
    toIp[42] = 0x00;
    toIp[43] = 0x06;
    toIp[44] = 0x41; // label 100, S
    expect(decapDrop(toIp, rx)).toBe('tunnel_payload_not_ip');
  });
  it('label stack deeper than the decap follows', () => {
    const deep = buildFrame([
      { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } },
      { ipv4: { src: '192.0.2.1', dst: '192.0.2.2' } },
      { udp: { sport: 1, dport: 6635, csum: 'zero' } },
      { mpls: { labels: [16, 17, 18, 19, 100].map((label) => ({ label })) } },
      { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' } },
    ]);
    expect(decapDrop(deep, rx)).toBe('mpls_label_stack_too_deep');
  });
});

describe('encap drops', () => {
  it('no headroom: head_space_reserve_fail, packet unchanged', () => {
    const b = batchOf([inner], 40);
    expect(encapBatch(b, { type: 'vxlan', vni: 1, ...v4 })).toBe(0);
    expect(dropReasonName(b.drop[0])).toBe('head_space_reserve_fail');
    expect(Buffer.from(b.packet(0)).equals(Buffer.from(inner))).toBe(true);
  });
  it('L3 payload of a non-IP frame: tunnel_payload_not_ip', () => {
    const arp = buildFrame([{ eth: { src: '02:00:00:00:00:01', dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.2' } }]);
    const b = batchOf([arp]);
    expect(encapBatch(b, { type: 'mplsoudp', labels: [5], ...v4 })).toBe(0);
    expect(dropReasonName(b.drop[0])).toBe('tunnel_payload_not_ip');
  });
  it('frame shorter than Ethernet: truncated_ethernet', () => {
    const b = batchOf([inner.subarray(0, 10)]);
    encapBatch(b, { type: 'vxlan', vni: 1, ...v4 });
    expect(dropReasonName(b.drop[0])).toBe('truncated_ethernet');
  });
  it('invalid specs are rejected with the field named', () => {
    expect(() => encapBatch(batchOf([inner]), { type: 'vxlan', vni: 1 << 24, ...v4 })).toThrow(/vni/);
    expect(() => encapBatch(batchOf([inner]), { type: 'vxlan', local: '192.0.2.1', remote: '2001:db8::1', vni: 1 })).toThrow(/same IP version/);
    expect(() => encapBatch(batchOf([inner]), { type: 'mplsogre', labels: [1, 2, 3], ...{ local: v4.local, remote: v4.remote } })).toThrow(/one or two MPLS labels/);
    expect(() => encapBatch(batchOf([inner]), { type: 'mplsoudp', labels: [1], controlWord: true, ...v4 })).toThrow(/controlWord needs payload/);
  });
});

describe('outer IPv4 ID mode global', () => {
  it('shares one counter across the tunnels of a CompiledTunnels, pre-incremented (vRouter vr_generate_unique_ip_id)', () => {
    const inner = Uint8Array.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5, ...new Array(46).fill(0)]);
    const tunnels = new CompiledTunnels([
      { type: 'vxlan', vni: 1, local: '10.0.0.1', remote: '10.0.0.2', ipId: 'global' },
      { type: 'mplsogre', labels: [16], payload: 'ethernet', local: '10.0.0.1', remote: '10.0.0.3', ipId: 'global' },
      { type: 'vxlan', vni: 2, local: '10.0.0.1', remote: '10.0.0.4', ipId: 'counter', ipIdStart: 500 },
    ]);
    const batch = batchOf([inner, inner, inner, inner, inner]);
    expect(encapBatch(batch, tunnels, Uint16Array.from([0, 1, 2, 0, 1]))).toBe(5);
    // outer IPv4 ID at 14 + 4: the global tunnels count 1, 2, 3, 4 across both; the counter tunnel its own 500
    expect(framesOf(batch).map((f) => (f[18] << 8) | f[19])).toEqual([1, 2, 500, 3, 4]);
    expect(Array.from(tunnels.states)).toEqual([0, 0, 501, 4]);
  });
});
