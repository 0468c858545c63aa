/**
 * Scenario tests of the vRouter model: two compute nodes, two virtual
 * networks connected by a policy, VMs exchanging ARP, ICMP, TCP and UDP
 * within and across networks, once per tunnel type; the wire frames and the
 * delivered frames are checked by scapy (test/vrouter/scapy_dissect.py) and
 * tshark, never by our own decoder. Expected values are derived by hand from
 * the topology (label allocation: per compute from 16, L3 then L2 label per
 * local VM in VM order, then one flood label per network).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { buildFrame, TCP } from '../../src/packet/frame-builder.js';
import { buildFromController, VrouterFabric, type ControllerInput } from '../../src/vrouter/index.js';
import { dropstats } from '../../src/vrouter/views.js';
import { requireTshark } from '../oracle/tshark.js';
import { BLUE1, BLUE2, RED1, RED2, VR, twoComputes } from './two-computes.js';
import { hex, repoRoot, writePcap } from '../tunnel/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vs-vrouter-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const topology = twoComputes;

const fabricOf = (t: ControllerInput): VrouterFabric => new VrouterFabric(buildFromController(t));

interface ScapyFrame {
  ok: boolean;
  outer?: { src: string; dst: string; ttl: number; df: boolean; id: number; proto: number };
  inner?: { src: string; dst: string; ttl: number; id: number; proto: number };
  udp?: { sport: number; dport: number; chksum: number };
  gre?: { proto: number; flags: number };
  mpls: { label: number; ttl: number; s: number }[];
  vxlan?: { flags: number; vni: number };
  inner_eth: { src: string; dst: string } | null;
}

let pcapN = 0;
function scapy(frames: Uint8Array[]): ScapyFrame[] {
  const file = join(tmp, `s${pcapN++}.pcap`);
  writePcap(file, frames);
  return JSON.parse(execFileSync('/usr/bin/python3', [join(repoRoot, 'test', 'vrouter', 'scapy_dissect.py'), file], { encoding: 'utf8' })) as ScapyFrame[];
}

/** tshark fields per frame (all occurrences, comma separated), MPLSoUDP decoded on 6635. */
function tshark(frames: Uint8Array[], fields: string[]): string[][] {
  requireTshark();
  const file = join(tmp, `t${pcapN++}.pcap`);
  writePcap(file, frames);
  const out = execFileSync(
    'tshark',
    ['-r', file, '-o', 'ip.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-d', 'udp.port==6635,mpls', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])],
    { encoding: 'utf8' },
  );
  return out
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));
}

/** No checksum tshark verified is bad (status 0 = bad, 1 = good, 2 = unverified). */
function tsharkChecksumsGood(frames: Uint8Array[]): void {
  const rows = tshark(frames, ['ip.checksum.status', 'tcp.checksum.status', 'udp.checksum.status', 'icmp.checksum.status']);
  rows.forEach((r, k) => {
    for (const col of r) for (const v of col.split(',').filter(Boolean)) expect(v, `frame ${k}: ${r.join(' | ')}`).not.toBe('0');
  });
}

const icmpEcho = (src: string, dst: string, sip: string, dip: string, ttl = 64): Uint8Array =>
  buildFrame([{ eth: { src, dst } }, { ipv4: { src: sip, dst: dip, ttl, id: 0x4d2 } }, { icmp: { type: 8, code: 0, rest: 0x00070001 } }], Array.from({ length: 32 }, (_, k) => k));
const tcpSyn = (src: string, dst: string, sip: string, dip: string, ttl = 64, sport = 40000): Uint8Array =>
  buildFrame([{ eth: { src, dst } }, { ipv4: { src: sip, dst: dip, ttl, id: 0x1111, df: true } }, { tcp: { sport, dport: 80, seq: 1000, flags: TCP.SYN } }]);
const udpDgram = (src: string, dst: string, sip: string, dip: string, ttl = 64, sport = 5000): Uint8Array =>
  buildFrame([{ eth: { src, dst } }, { ipv4: { src: sip, dst: dip, ttl, id: 0x2222 } }, { udp: { sport, dport: 53 } }], [1, 2, 3, 4, 5, 6, 7, 8]);
const arpReq = (sha: string, spa: string, tpa: string): Uint8Array =>
  buildFrame([{ eth: { src: sha, dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha, spa, tha: '00:00:00:00:00:00', tpa } }]);

describe.each([
  { pref: 'MPLSoUDP' as const, type: 'mplsoudp' },
  { pref: 'MPLSoGRE' as const, type: 'mplsogre' },
  { pref: 'VXLAN' as const, type: 'vxlan' },
])('two computes, two VNs over $pref', ({ pref, type }) => {
  const fabric = fabricOf(topology([pref]));

  it('answers ARP by proxy: the VM MAC for a peer (L2+L3), the vRouter MAC for the gateway', () => {
    const peer = fabric.sendFrom('tap-red1', arpReq(RED1, '10.1.1.3', '10.1.1.4'));
    const gw = fabric.sendFrom('tap-red1', arpReq(RED1, '10.1.1.3', '10.1.1.1'));
    expect(peer.wire).toHaveLength(0);
    expect(peer.delivered).toHaveLength(1);
    expect(gw.delivered).toHaveLength(1);
    const rows = tshark([peer.delivered[0].frame, gw.delivered[0].frame], ['arp.opcode', 'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4', 'eth.dst']);
    expect(rows[0]).toEqual(['2', RED2, '10.1.1.4', RED1, '10.1.1.3', RED1]);
    expect(rows[1]).toEqual(['2', VR, '10.1.1.1', RED1, '10.1.1.3', RED1]);
  });

  it('floods ARP for an unknown address of the subnet to the other compute', () => {
    const d = fabric.sendFrom('tap-red1', arpReq(RED1, '10.1.1.3', '10.1.1.77'));
    expect(d.wire).toHaveLength(1);
    const s = scapy([d.wire[0].frame])[0];
    // compute2's flood label for "red": 16,17 red2; 18,19 blue2; 20 red flood.
    if (type === 'vxlan') expect(s.vxlan).toEqual({ flags: 0x08, vni: 5001 });
    else expect(s.mpls).toEqual([{ label: 20, ttl: 64, s: 1 }]);
    expect(d.delivered.map((x) => [x.host, x.vif])).toEqual([['compute2', 3]]);
    expect(hex(d.delivered[0].frame)).toBe(hex(arpReq(RED1, '10.1.1.3', '10.1.1.77')));
  });

  it('bridges ICMP within a network: outer headers as vRouter writes them, frame delivered unchanged', () => {
    const f = icmpEcho(RED1, RED2, '10.1.1.3', '10.1.1.4');
    const d = fabric.sendFrom('tap-red1', f);
    expect(d.drops).toEqual([]);
    expect(d.wire).toHaveLength(1);
    const s = scapy([d.wire[0].frame])[0];
    expect(s.ok).toBe(true);
    expect(s.outer).toMatchObject({ src: '192.0.2.11', dst: '192.0.2.12', ttl: 64, df: false });
    expect(s.inner_eth).toEqual({ src: RED1, dst: RED2 });
    if (type === 'mplsoudp') {
      expect(s.udp!.dport).toBe(6635);
      expect(s.udp!.sport).toBeGreaterThanOrEqual(49152);
      expect(s.udp!.chksum).toBe(0);
      expect(s.mpls).toEqual([{ label: 17, ttl: 64, s: 1 }]); // red2's L2 label; MPLS TTL 64 for an Ethernet payload
    } else if (type === 'mplsogre') {
      expect(s.gre).toEqual({ proto: 0x8847, flags: 0 });
      expect(s.outer!.id).toBe(0x4d2); // inner IPv4 ID copied
      expect(s.mpls).toEqual([{ label: 17, ttl: 64, s: 1 }]);
    } else {
      expect(s.udp!.dport).toBe(4789);
      expect(s.udp!.sport).toBeGreaterThanOrEqual(49152);
      expect(s.vxlan).toEqual({ flags: 0x08, vni: 5001 });
    }
    expect(d.delivered).toHaveLength(1);
    expect(d.delivered[0]).toMatchObject({ host: 'compute2', vif: 3 });
    expect(hex(d.delivered[0].frame)).toBe(hex(f));
    tsharkChecksumsGood([d.wire[0].frame, d.delivered[0].frame]);
  });

  it('routes TCP across networks: TTL decremented, L3 label (or L3 VXLAN), L2 rewritten to the VM', () => {
    const f = tcpSyn(RED1, VR, '10.1.1.3', '10.2.2.4');
    const d = fabric.sendFrom('tap-red1', f);
    expect(d.drops).toEqual([]);
    expect(d.wire).toHaveLength(1);
    const s = scapy([d.wire[0].frame])[0];
    expect(s.ok).toBe(true);
    expect(s.inner).toMatchObject({ src: '10.1.1.3', dst: '10.2.2.4', ttl: 63 });
    if (type === 'vxlan') {
      expect(s.vxlan).toEqual({ flags: 0x08, vni: 5002 });
      expect(s.inner_eth).toEqual({ src: VR, dst: BLUE2 }); // stitched MAC
    } else {
      expect(s.mpls).toEqual([{ label: 18, ttl: 63, s: 1 }]); // blue2's L3 label; MPLS TTL = IP TTL
      expect(s.inner_eth).toBeNull(); // IP payload
    }
    if (type === 'mplsogre') expect(s.outer!.id).toBe(0x1111);
    expect(d.delivered).toHaveLength(1);
    expect(d.delivered[0]).toMatchObject({ host: 'compute2', vif: 4 });
    expect(hex(d.delivered[0].frame)).toBe(hex(tcpSyn(VR, BLUE2, '10.1.1.3', '10.2.2.4', 63)));
    tsharkChecksumsGood([d.wire[0].frame, d.delivered[0].frame]);
  });

  it('routes UDP between networks on the same compute without touching the fabric', () => {
    const d = fabric.sendFrom('tap-red1', udpDgram(RED1, VR, '10.1.1.3', '10.2.2.3'));
    expect(d.wire).toHaveLength(0);
    expect(d.delivered.map((x) => [x.host, x.vif])).toEqual([['compute1', 4]]);
    expect(hex(d.delivered[0].frame)).toBe(hex(udpDgram(VR, BLUE1, '10.1.1.3', '10.2.2.3', 63)));
  });

  it('routes UDP back from the other compute (reverse flow)', () => {
    const d = fabric.sendFrom('tap-blue2', udpDgram(BLUE2, VR, '10.2.2.4', '10.1.1.3', 64, 53));
    expect(d.delivered.map((x) => [x.host, x.vif])).toEqual([['compute1', 3]]);
    expect(hex(d.delivered[0].frame)).toBe(hex(udpDgram(VR, RED1, '10.2.2.4', '10.1.1.3', 63, 53)));
    expect(scapy(d.wire.map((w) => w.frame))[0].ok).toBe(true);
  });
});

describe('tunnel preference [VXLAN, MPLSoUDP]', () => {
  it('bridges over VXLAN and routes over the first MPLS type', () => {
    const fabric = fabricOf(topology(['VXLAN', 'MPLSoUDP']));
    const b = fabric.sendFrom('tap-red1', icmpEcho(RED1, RED2, '10.1.1.3', '10.1.1.4'));
    const r = fabric.sendFrom('tap-red1', tcpSyn(RED1, VR, '10.1.1.3', '10.2.2.4'));
    const [sb, sr] = scapy([b.wire[0].frame, r.wire[0].frame]);
    expect(sb.vxlan?.vni).toBe(5001);
    expect(sr.udp?.dport).toBe(6635);
    expect(sr.mpls[0].label).toBe(18);
  });
});

describe('drops named like vRouter dropstats', () => {
  const fabric = fabricOf(topology(['MPLSoUDP']));
  const compute2 = fabric.host('compute2');
  const outer = (inner: Parameters<typeof buildFrame>[0]): Uint8Array =>
    buildFrame([{ eth: { src: '02:fa:00:00:00:11', dst: '02:fa:00:00:00:12' } }, { ipv4: { src: '192.0.2.11', dst: '192.0.2.12', ttl: 64 } }, ...inner, { ipv4: { src: '10.1.1.3', dst: '10.1.1.4' } }, { udp: { sport: 1, dport: 2 } }]);

  it('drops an unknown MPLS label as invalid_label', () => {
    const d = fabric.send('compute2', 0, outer([{ udp: { sport: 50000, dport: 6635, csum: 'zero' } }, { mpls: { labels: [{ label: 999, ttl: 64 }] } }]));
    expect(d.drops).toEqual([{ host: 'compute2', reason: 'invalid_label' }]);
  });

  it('drops an unknown VNI as invalid_vnid', () => {
    const f = buildFrame([
      { eth: { src: '02:fa:00:00:00:11', dst: '02:fa:00:00:00:12' } },
      { ipv4: { src: '192.0.2.11', dst: '192.0.2.12' } },
      { udp: { sport: 50000, dport: 4789, csum: 'zero' } },
      { vxlan: { vni: 9999 } },
      { eth: { src: RED1, dst: RED2 } },
      { ipv4: { src: '10.1.1.3', dst: '10.1.1.4' } },
      { udp: { sport: 1, dport: 2 } },
    ]);
    expect(fabric.send('compute2', 0, f).drops).toEqual([{ host: 'compute2', reason: 'invalid_vnid' }]);
  });

  it('accepts only GRE C and K flags', () => {
    const d = fabric.send('compute2', 0, outer([{ gre: { proto: 0x8847, seq: 5 } }, { mpls: { labels: [{ label: 16, ttl: 64 }] } }]));
    expect(d.drops).toEqual([{ host: 'compute2', reason: 'gre_flags_not_accepted' }]);
    const ok = fabric.send('compute2', 0, outer([{ gre: { proto: 0x8847, key: 7 } }, { mpls: { labels: [{ label: 16, ttl: 64 }] } }]));
    expect(ok.drops).toEqual([]);
    expect(ok.delivered.map((x) => x.vif)).toEqual([3]);
  });

  it('drops TTL 1 when routing (ttl_exceeded) and a destination without a route (discard)', () => {
    expect(fabric.sendFrom('tap-red1', udpDgram(RED1, VR, '10.1.1.3', '10.2.2.4', 1)).drops).toEqual([{ host: 'compute1', reason: 'ttl_exceeded' }]);
    expect(fabric.sendFrom('tap-red1', udpDgram(RED1, VR, '10.1.1.3', '10.9.9.9')).drops).toEqual([{ host: 'compute1', reason: 'discard' }]);
    expect(fabric.sendFrom('tap-red1', udpDgram(RED1, '02:00:00:00:09:09', '10.1.1.3', '10.1.1.9')).drops).toEqual([{ host: 'compute1', reason: 'l2_no_route' }]);
  });

  it('counts them in dropstats', () => {
    const text = dropstats(compute2);
    expect(text).toMatch(/^Invalid Label\s+1$/m);
    expect(text).toMatch(/^Invalid VNID\s+1$/m);
    expect(text).toMatch(/^Invalid Packet\s+1$/m);
    expect(dropstats(fabric.host('compute1'))).toMatch(/^TTL Exceeded\s+1$/m);
    expect(dropstats(fabric.host('compute1'))).toMatch(/^Discards\s+1$/m);
  });
});

describe('interface modes', () => {
  it('L2 mode bridges everything: ARP for the gateway is flooded, IP to the vRouter MAC finds no bridge entry', () => {
    const t = topology(['MPLSoUDP']);
    t.vms![0] = { ...t.vms![0], mode: 'l2' };
    const fabric = fabricOf(t);
    const arp = fabric.sendFrom('tap-red1', arpReq(RED1, '10.1.1.3', '10.1.1.1'));
    expect(arp.delivered.map((x) => [x.host, x.vif])).toEqual([['compute2', 3]]);
    expect(fabric.sendFrom('tap-red1', udpDgram(RED1, VR, '10.1.1.3', '10.2.2.4')).drops.map((x) => x.reason)).toEqual(['l2_no_route']);
    const b = fabric.sendFrom('tap-red1', udpDgram(RED1, RED2, '10.1.1.3', '10.1.1.4'));
    expect(hex(b.delivered[0].frame)).toBe(hex(udpDgram(RED1, RED2, '10.1.1.3', '10.1.1.4')));
  });

  it('L3 mode routes all IP (even to a VM MAC), proxies ARP with the vRouter MAC, drops other ethertypes', () => {
    const t = topology(['MPLSoUDP']);
    t.vms![0] = { ...t.vms![0], mode: 'l3' };
    const fabric = fabricOf(t);
    const arp = fabric.sendFrom('tap-red1', arpReq(RED1, '10.1.1.3', '10.1.1.4'));
    expect(tshark([arp.delivered[0].frame], ['arp.src.hw_mac'])[0]).toEqual([VR]);
    const d = fabric.sendFrom('tap-red1', udpDgram(RED1, RED2, '10.1.1.3', '10.1.1.4'));
    expect(hex(d.delivered[0].frame)).toBe(hex(udpDgram(VR, RED2, '10.1.1.3', '10.1.1.4', 63)));
    expect(scapy([d.wire[0].frame])[0].mpls[0].label).toBe(16); // red2's L3 label
    const other = buildFrame([{ eth: { src: RED1, dst: RED2, type: 0x88b5 } }], [0, 1, 2, 3]);
    expect(fabric.sendFrom('tap-red1', other).drops.map((x) => x.reason)).toEqual(['interface_drop']);
  });
});

describe('ECMP', () => {
  it('spreads flows over the members by flow hash; one flow always takes one member', () => {
    const t = topology(['MPLSoUDP'], {});
    t.vms!.push({ name: 'red3', network: 'red', compute: 'compute1', ip: '10.1.1.5', mac: '02:00:00:00:01:05' });
    t.ecmp = [{ network: 'red', prefix: '10.1.1.100/32', vms: ['red2', 'red3'] }];
    const fabric = fabricOf(t);
    const where = new Map<number, string>();
    const wire: Uint8Array[] = [];
    for (let p = 0; p < 64; p++) {
      const d = fabric.sendFrom('tap-red1', tcpSyn(RED1, VR, '10.1.1.3', '10.1.1.100', 64, 30000 + p));
      expect(d.delivered).toHaveLength(1);
      where.set(p, `${d.delivered[0].host}/${d.delivered[0].vif}`);
      wire.push(...d.wire.map((w) => w.frame));
    }
    for (const s of scapy(wire)) expect(s.mpls[0].label).toBe(16); // red2's L3 label on compute2
    const counts = [...where.values()].reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());
    expect([...counts.keys()].sort()).toEqual(['compute1/5', 'compute2/3']);
    for (const n of counts.values()) expect(n).toBeGreaterThan(12);
    for (let p = 0; p < 8; p++) {
      const d = fabric.sendFrom('tap-red1', tcpSyn(RED1, VR, '10.1.1.3', '10.1.1.100', 64, 30000 + p));
      expect(`${d.delivered[0].host}/${d.delivered[0].vif}`).toBe(where.get(p));
    }
  });
});

describe('overlay MTU', () => {
  it('answers a too-big DF packet with ICMP fragmentation needed from the gateway', () => {
    const fabric = fabricOf(topology(['MPLSoUDP']));
    const big = buildFrame([{ eth: { src: RED1, dst: RED2 } }, { ipv4: { src: '10.1.1.3', dst: '10.1.1.4', df: true } }, { udp: { sport: 1, dport: 2 } }], new Uint8Array(1472));
    const d = fabric.sendFrom('tap-red1', big);
    expect(d.wire).toHaveLength(0);
    expect(d.drops.map((x) => x.reason)).toEqual(['mtu_exceeded_df']);
    // Bridged MPLSoUDP: 1500 - 20 (outer IPv4) - 8 (UDP) - 4 (label) - 14 (inner Ethernet) = 1454.
    const rows = tshark([d.delivered[0].frame], ['ip.src', 'ip.dst', 'icmp.type', 'icmp.code', 'icmp.mtu', 'eth.src', 'icmp.checksum.status']);
    expect(rows[0].slice(0, 6)).toEqual(['10.1.1.1,10.1.1.3', '10.1.1.3,10.1.1.4', '3', '4', '1454', VR]);
    expect(rows[0][6]).toBe('1');
  });
});
