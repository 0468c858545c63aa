/**
 * Replay of the shipped Contrail MPLSoUDP scenario (examples/contrail-mplsoudp):
 * two vRouter compute nodes through the datapath engine. What each VM
 * receives, what crosses the fabric (checked by tshark: labels, outer TTL,
 * DF, source port range, outer IPv4 IDs, every checksum), the drops put in
 * on purpose, the vRouter counters the replay leaves (report and the
 * `vswitch-sim vrouter` views), IPv6 through the slow path, and the same
 * bytes and counters from the per-packet model, without the cache and with
 * two PMDs.
 *
 * Expectations follow from the conversation in
 * examples/contrail-mplsoudp/generate.ts and the tables the controller
 * builder derives (docs/vrouter.md): on compute1 red1 is vif0/3 and blue1
 * vif0/4, on compute2 red2 vif0/3 and blue2 vif0/4; each compute allocates
 * from 16 the L3 and L2 labels of its VMs (red 16/17, blue 18/19) and its
 * flood labels (red 20, blue 21); routed traffic uses the L3 label,
 * bridged traffic the L2 label.
 */
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { CONVERSATION, INJECT, writeCaptures } from '../../examples/contrail-mplsoudp/generate.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';
import { requireTshark } from '../oracle/tshark.js';
import { cli, expectSameAcrossEngines, expectStacks, expectSummaries, fields, nonZeroDropstats, run, scenario, vifCounters, vifTotals, vrouterOf } from './contrail-scenario.js';
import { expectShippedCaptures } from './scenario-helpers.js';

const S = scenario('contrail-mplsoudp', INJECT);
/** tshark decodes UDP 6635 as MPLS only when told; label 19 (blue2's L2 label) carries Ethernet without control word. */
const DECODE = ['-d', 'udp.port==6635,mpls', '-d', 'mpls.label==19,pwethnocw'];

const GW_ARP = 'ARP 00:00:5e:00:01:00 02:00:00:00:01:03 10.1.1.1 is at 00:00:5e:00:01:00';
const PING = 'ICMP 10.1.1.3 10.1.1.4 Echo (ping) request id=0x0031, seq=1/256, ttl=63';
const PONG = 'ICMP 10.1.1.4 10.1.1.3 Echo (ping) reply id=0x0031, seq=1/256, ttl=63';
const SYN = 'TCP 10.1.1.3 10.2.2.4 41000 → 80 [SYN] Seq=0 Win=64240 Len=0';
const SYNACK = 'TCP 10.2.2.4 10.1.1.3 80 → 41000 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0';
const PING6 = 'ICMPv6 fd00:1::3 fd00:1::4 Echo (ping) request id=0x0032, seq=1, hop limit=63';
const PONG6 = 'ICMPv6 fd00:1::4 fd00:1::3 Echo (ping) reply id=0x0032, seq=1, hop limit=63';
const SYN6 = 'TCP fd00:2::3 fd00:1::4 42000 → 22 [SYN] Seq=0 Win=64800 Len=0';
const BLUE2_ARP = 'ARP 02:00:00:00:02:04 02:00:00:00:02:03 10.2.2.4 is at 02:00:00:00:02:04';
const BRIDGED = 'UDP 10.2.2.3 10.2.2.4 40001 → 9 Len=24';

/** What each port transmits (tshark shows the inner packet of a tunnel frame in these columns). */
const EXPECTED: Record<string, string[]> = {
  // red1: the proxy ARP answer for its gateway, red2's replies (routed: TTL 63), blue2's SYN-ACK via the policy
  'compute1-tap-red1.pcap': [GW_ARP, PONG, SYNACK, PONG6],
  // blue1: blue2 is behind a proxy route, so its ARP is answered with blue2's own MAC
  'compute1-tap-blue1.pcap': [BLUE2_ARP],
  'compute2-tap-red2.pcap': [PING, PING6, SYN6],
  // the bridged datagram arrives unchanged (TTL 64, blue1's MAC)
  'compute2-tap-blue2.pcap': [SYN, BRIDGED],
  'compute1-eth0.pcap': [PING, SYN, PING6, SYN6, BRIDGED],
  'compute2-eth0.pcap': [PONG, SYNACK, PONG6],
};

describe('replay: contrail-mplsoudp (two vRouter computes, MPLSoUDP)', () => {
  let base: { out: string; report: ReplayReport };
  beforeAll(async () => {
    requireTshark();
    base = await run(S);
  }, 60_000);

  it('ships the captures its generator makes (deterministic)', async () => {
    await expectShippedCaptures(writeCaptures, S.dir, INJECT.map(([f]) => f));
  });

  it('delivers to each VM what vRouter forwarding sends it (tshark summary)', () => {
    expectSummaries(base.out, EXPECTED, DECODE);
    // routed frames leave the vRouter from its MAC to the VM's
    expect(fields(join(base.out, 'compute2-tap-red2.pcap'), ['eth.src', 'eth.dst'])).toEqual(Array(3).fill(['00:00:5e:00:01:00', '02:00:00:00:01:04']));
  });

  it('puts MPLSoUDP on the fabric as vRouter does: labels, TTL 64, DF clear, source port 49152-65535, IDs from one counter, valid checksums', () => {
    const labels: Record<string, string[]> = {
      // red2's L3 label 16 (IPv4 and IPv6), blue2's L3 label 18 (red1 -> blue2 and blue1 -> red2 over IPv6 use compute2's labels), blue2's L2 label 19
      'compute1-eth0.pcap': ['16', '18', '16', '16', '19'],
      // compute1's red1 L3 label is 16 as well (each compute allocates from 16)
      'compute2-eth0.pcap': ['16', '16', '16'],
    };
    for (const [file, want] of Object.entries(labels)) {
      const f = join(base.out, file);
      const rows = fields(f, ['ip.src', 'ip.dst', 'ip.ttl', 'ip.flags.df', 'ip.id', 'udp.srcport', 'udp.dstport', 'udp.checksum', 'mpls.label', 'mpls.bottom'], DECODE);
      const [src, dst] = file.startsWith('compute1') ? ['192.0.2.11', '192.0.2.12'] : ['192.0.2.12', '192.0.2.11'];
      rows.forEach((r, k) => {
        const first = (v: string): string => v.split(',')[0];
        expect([first(r[0]), first(r[1]), first(r[2]), first(r[3])], `${file}#${k + 1}`).toEqual([src, dst, '64', '0']);
        // vr_generate_unique_ip_id: one counter per vRouter, from 1, in the order packets leave
        expect(Number(first(r[4])), `${file}#${k + 1} outer IPv4 ID`).toBe(k + 1);
        const sport = Number(first(r[5]));
        expect(sport).toBeGreaterThanOrEqual(49152);
        expect(sport).toBeLessThanOrEqual(65535);
        expect([first(r[6]), first(r[7]), r[9]]).toEqual(['6635', '0x0000', '1']);
      });
      expect(rows.map((r) => r[8]), file).toEqual(want);
      expectStacks(base.out, [file], /^eth ip:good udp:absent mpls (ip:good (icmp:good|tcp:good)|ipv6 (icmpv6:good|tcp:good)|eth ip:good udp:good)$/, DECODE);
    }
    expectStacks(base.out, Object.keys(EXPECTED).filter((f) => f.includes('-tap-')), /^eth (arp|ip:good (icmp:good|tcp:good|udp:good)|ipv6 (icmpv6:good|tcp:good))$/);
  });

  it('carries IPv6 (ICMPv6 echo, TCP) across the computes through the engine: hop limit 63, valid checksums, same bytes as the model', async () => {
    const v6 = (file: string) => fields(join(base.out, file), ['ipv6.src', 'ipv6.dst', 'ipv6.hlim', 'icmpv6.checksum.status', 'tcp.checksum.status'], ['-o', 'tcp.check_checksum:TRUE']).filter((r) => r[0] !== '');
    expect(v6('compute2-tap-red2.pcap')).toEqual([
      ['fd00:1::3', 'fd00:1::4', '63', '1', ''],
      ['fd00:2::3', 'fd00:1::4', '63', '', '1'],
    ]);
    expect(v6('compute1-tap-red1.pcap')).toEqual([['fd00:1::4', 'fd00:1::3', '63', '1', '']]);
    // The inner IPv6 packet on the wire is the VM's, hop limit lowered by one: bytes 14.. of the tap frame
    // follow the 14 + 20 + 8 + 4 bytes of outer Ethernet, IPv4, UDP and label.
    const wire = fields(join(base.out, 'compute1-eth0.pcap'), ['frame.len'])[2][0];
    expect(Number(wire)).toBe(94 - 14 + 46);
    // The engine's decisions (flows, not the model) carried them:
    expect(base.report.packets.modelFallback).toBe(0);
  });

  it('reports the drops put in on purpose, per-port counters and the tunnels by label', () => {
    const r = base.report;
    expect(r.interrupted).toBe(false);
    expect(r.packets).toEqual({ captured: 13, underlay: 8, malformed: 0, modelFallback: 0 });
    const red1 = join(S.dir, 'pcaps', 'red1.pcap');
    expect(r.drops.map((d) => [d.reason, d.count, d.example.host, d.example.port, d.example.file, d.example.index])).toEqual([
      // red1's datagram to 198.51.100.7: no route in red's VRF (the VRF's default discard)
      ['discard', 1, 'compute1', 'tap-red1', red1, 4],
      // a frame from the fabric with a label compute2 never allocated
      ['invalid_label', 1, 'compute2', 'eth0', join(S.dir, 'pcaps', 'fabric2.pcap'), 0],
      // red1's ping with TTL 1
      ['ttl_exceeded', 1, 'compute1', 'tap-red1', red1, 5],
    ]);
    const port = (h: string, p: string) => r.ports.find((x) => x.host === h && x.port === p);
    expect(port('compute1', 'tap-red1')).toEqual({ host: 'compute1', port: 'tap-red1', rx: 6, tx: 4, drops: 2 });
    expect(port('compute2', 'eth0')).toEqual({ host: 'compute2', port: 'eth0', rx: 6, tx: 3, drops: 1 });
    expect(r.tunnels).toEqual([
      { from: 'compute1', to: 'compute2', type: 'mplsoudp', label: 16, packets: 3 },
      { from: 'compute2', to: 'compute1', type: 'mplsoudp', label: 16, packets: 3 },
      { from: 'compute1', to: 'compute2', type: 'mplsoudp', label: 18, packets: 1 },
      { from: 'compute1', to: 'compute2', type: 'mplsoudp', label: 19, packets: 1 },
    ]);
  });

  // Byte counts, hand-derived from the generator: ARP 42, ICMP echo (48-byte payload) 90, TCP SYN 54,
  // ICMPv6 echo (32) 94, TCP SYN over IPv6 74, UDP (24) 66, UDP (16) 58, the fabric frame 122;
  // MPLSoUDP adds 32 bytes to a routed frame (14 + 20 + 8 + 4 - the inner 14) and 46 to a bridged one.
  it('leaves the vRouter counters in the report: vif RX/TX packets and bytes, dropstats, flows', () => {
    const c1 = vrouterOf(base.report, 'compute1');
    const c2 = vrouterOf(base.report, 'compute2');
    expect(vifTotals(c1, 'tap-red1')).toEqual([6, 42 + 90 + 54 + 94 + 58 + 90, 4, 42 + 90 + 54 + 94, 2]);
    expect(vifTotals(c1, 'tap-blue1')).toEqual([3, 74 + 42 + 66, 1, 42, 0]);
    expect(vifTotals(c1, 'eth0')).toEqual([3, 90 + 32 + (54 + 32) + (94 + 32), 5, 90 + 32 + (54 + 32) + (94 + 32) + (74 + 32) + (66 + 46), 0]);
    expect(vifTotals(c1, 'vhost0')).toEqual([0, 0, 0, 0, 0]);
    expect(vifTotals(c2, 'tap-red2')).toEqual([2, 90 + 94, 3, 90 + 94 + 74, 0]);
    expect(vifTotals(c2, 'tap-blue2')).toEqual([1, 54, 2, 54 + 66, 0]);
    expect(vifTotals(c2, 'eth0')).toEqual([6, 552 + 122, 3, 334, 1]);
    expect(c1?.drops).toEqual({ discard: 1, ttl_exceeded: 1 });
    expect(c2?.drops).toEqual({ invalid_label: 1 });
    // flow -l: red1 -> blue2 TCP in red's VRF (1) to the tunnel nexthop, paired with its reverse to red1's encap nexthop
    const syn = c1?.flows.find((f) => f.proto === 6 && f.src === '10.1.1.3' && f.dport === 80);
    const back = c1?.flows.find((f) => f.proto === 6 && f.src === '10.2.2.4' && f.sport === 80);
    expect(syn).toMatchObject({ vrf: 1, sport: 41000, dst: '10.2.2.4', action: 'F', packets: 1, bytes: 54, reverse: back?.index });
    expect(back).toMatchObject({ vrf: 1, dst: '10.1.1.3', dport: 41000, action: 'F', packets: 1, bytes: 54, reverse: syn?.index });
    const wireSport = Number(fields(join(base.out, 'compute1-eth0.pcap'), ['udp.srcport'])[1][0].split(',')[0]);
    expect(syn?.tunnelSport).toBe(wireSport);
    expect(c1?.flows.find((f) => f.dst === '198.51.100.7')).toMatchObject({ action: 'D', dropReason: 'discard', nh: 0 });
    expect(c1?.flows.find((f) => f.proto === 1 && f.sport === 0x33)).toMatchObject({ action: 'D', dropReason: 'ttl_exceeded' });
    // compute2 accounts the decapsulated packets in the label's VRF: blue1's IPv6 SYN lands in red's VRF (1)
    expect(c2?.flows.find((f) => f.src === 'fd00:2::3')).toMatchObject({ vrf: 1, dst: 'fd00:1::4', dport: 22, action: 'F' });
  });

  it('`vswitch-sim vrouter vif|dropstats|flow --report` shows those counters as the vRouter tools do', async () => {
    const report = join(base.out, 'report.json');
    const vif = await cli(['vrouter', 'vif', S.topology, '--host', 'compute1', '--report', report]);
    expect(vif.code).toBe(0);
    expect(vifCounters(vif.text, 'tap-red1')).toBe('RX packets:6  bytes:428 errors:0 | TX packets:4  bytes:280 errors:0 | Drops:2');
    expect(vifCounters(vif.text, 'eth0')).toBe('RX packets:3  bytes:334 errors:0 | TX packets:5  bytes:552 errors:0 | Drops:0');
    const drops1 = await cli(['vrouter', 'dropstats', S.topology, '--host', 'compute1', '--report', report]);
    expect(nonZeroDropstats(drops1.text)).toEqual(['Discards 1', 'TTL Exceeded 1']);
    const drops2 = await cli(['vrouter', 'dropstats', S.topology, '--host', 'compute2', '--report', report]);
    expect(nonZeroDropstats(drops2.text)).toEqual(['Invalid Label 1']);
    const flow = await cli(['vrouter', 'flow', S.topology, '--host', 'compute1', '--report', report]);
    expect(flow.text).toMatch(/10\.1\.1\.3:40002 +17 \(1\)\n +198\.51\.100\.7:53\n\(Gen: 1, K\(nh\):0, Action:D\(discard\),.* Stats:1\/58,/);
    // a host the report has no counters for is named
    const bad = await cli(['vrouter', 'vif', S.topology, '--host', 'compute1', '--report', join(base.out, 'compute1-eth0.pcap')]);
    expect(bad.code).not.toBe(0);
  });

  it('gives the same bytes and counters through the per-packet model, without the cache and with two PMDs', async () => {
    await expectSameAcrossEngines(S, base);
  }, 90_000);
});

// CONVERSATION is the generator's list: the test counts on its 13 packets.
if (CONVERSATION.length !== 13) throw new Error('examples/contrail-mplsoudp/generate.ts changed: review the expectations of this test');
