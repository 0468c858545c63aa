/**
 * Replay of the shipped Contrail MPLSoGRE scenario (examples/contrail-mplsogre):
 * two vRouter compute nodes through the datapath engine, MPLSoGRE first in
 * the tunnel preference (Contrail's default). What each VM receives, what
 * crosses the fabric (checked by tshark: GRE protocol 0x8847, labels, outer
 * TTL 64, DF clear, the inner IPv4 ID copied to the outer header and the
 * vRouter's counter for the rest, every checksum), the overlay MTU (an ICMP
 * error for DF, fragments without), the receive-side drops put in on purpose,
 * the vRouter counters and views, and the same bytes and counters from the
 * per-packet model, without the cache and with two PMDs.
 *
 * Expectations follow from the conversation in
 * examples/contrail-mplsogre/generate.ts and the tables the controller
 * builder derives (docs/vrouter.md; the same numbering as the MPLSoUDP
 * scenario: L3 / L2 labels red 16/17, blue 18/19, flood labels red 20, blue
 * 21 on each compute). Overlay IP MTU: 1500 - 20 (outer IPv4) - 4 (GRE) -
 * 4 (label) = 1472 (SEMANTICS.md).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { CONVERSATION, INJECT, writeCaptures } from '../../examples/contrail-mplsogre/generate.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';
import { requireTshark } from '../oracle/tshark.js';
import { cli, expectSameAcrossEngines, expectStacks, expectSummaries, fields, nonZeroDropstats, run, scenario, vifCounters, vifTotals, vrouterOf } from './contrail-scenario.js';
import { expectShippedCaptures } from './scenario-helpers.js';

const S = scenario('contrail-mplsogre', INJECT);
/** Labels 17 (red's L2 label) and 21 (blue's flood label) carry Ethernet without control word. */
const DECODE = ['-d', 'mpls.label==17,pwethnocw', '-d', 'mpls.label==21,pwethnocw'];

// L2+L3 mode: a proxy route with a stitched MAC is answered with that MAC (as the sender of the reply too)
const PROXY_ARP = 'ARP 02:00:00:00:01:04 02:00:00:00:01:03 10.1.1.4 is at 02:00:00:00:01:04';
const PING = 'ICMP 10.1.1.3 10.1.1.4 Echo (ping) request id=0x0041, seq=1/256, ttl=64';
const PONG = 'ICMP 10.1.1.4 10.1.1.3 Echo (ping) reply id=0x0041, seq=1/256, ttl=64';
const SYN = 'TCP 10.1.1.3 10.2.2.4 41000 → 80 [SYN] Seq=0 Win=64240 Len=0';
const SYNACK = 'TCP 10.2.2.4 10.1.1.3 80 → 41000 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0';
const FRAG_NEEDED = 'ICMP 10.1.1.1 10.1.1.3 Destination unreachable (Fragmentation needed)';
const FRAG1 = 'UDP 10.1.1.3 10.2.2.4 40003 → 9 Len=1472';
const FRAG2 = 'IPv4 10.1.1.3 10.2.2.4 Fragmented IP protocol (proto=UDP 17, off=1448, ID=0104)';
const PING6 = 'ICMPv6 fd00:1::3 fd00:1::4 Echo (ping) request id=0x0042, seq=1, hop limit=63';
const PONG6 = 'ICMPv6 fd00:1::4 fd00:1::3 Echo (ping) reply id=0x0042, seq=1, hop limit=63';
const FLOOD_ARP = 'ARP 02:00:00:00:02:03 ff:ff:ff:ff:ff:ff Who has 10.2.2.99? Tell 10.2.2.3';

const EXPECTED: Record<string, string[]> = {
  // red1: red2's MAC by proxy ARP, red2's bridged reply (TTL untouched), the SYN-ACK, the ICMP error for its DF datagram, the ICMPv6 reply
  'compute1-tap-red1.pcap': [PROXY_ARP, PONG, SYNACK, FRAG_NEEDED, PONG6],
  'compute2-tap-red2.pcap': [PING, PING6],
  // blue2: the SYN, the datagram without DF in two fragments, blue1's flooded ARP
  'compute2-tap-blue2.pcap': [SYN, FRAG1, FRAG2, FLOOD_ARP],
  'compute1-eth0.pcap': [PING, SYN, FRAG1, FRAG2, PING6, FLOOD_ARP],
  'compute2-eth0.pcap': [PONG, SYNACK, PONG6],
};

describe('replay: contrail-mplsogre (two vRouter computes, MPLSoGRE)', () => {
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
    // the ICMP error says the overlay MTU
    expect(fields(join(base.out, 'compute1-tap-red1.pcap'), ['icmp.mtu'])[3]).toEqual(['1472']);
    // the fragments reassemble into the datagram red1 sent, checksum valid
    const whole = execFileSync('tshark', ['-r', join(base.out, 'compute2-tap-blue2.pcap'), '-o', 'ip.defragment:TRUE', '-o', 'udp.check_checksum:TRUE', '-Y', 'udp.port==9', '-T', 'fields', '-e', 'udp.length', '-e', 'udp.checksum.status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(whole.trim()).toBe('1480\t1');
  });

  it('puts MPLSoGRE on the fabric as vRouter does: protocol 0x8847, labels, TTL 64, DF clear, inner IPv4 ID copied, the counter otherwise, valid checksums', () => {
    const want: Record<string, { labels: string[]; ids: number[] }> = {
      // red2's L2 label (bridged ping), blue2's L3 label (SYN, both fragments), red2's L3 label (ICMPv6), blue's flood label 21 (ARP)
      // IDs: inner IPv4 ID copied (0x0101, 0x0102, 0x0104 twice); ICMPv6 and ARP take the vRouter's counter: 1, 2
      'compute1-eth0.pcap': { labels: ['17', '18', '18', '18', '16', '21'], ids: [0x0101, 0x0102, 0x0104, 0x0104, 1, 2] },
      'compute2-eth0.pcap': { labels: ['17', '16', '16'], ids: [0x0201, 0x0401, 1] },
    };
    for (const [file, w] of Object.entries(want)) {
      const f = join(base.out, file);
      const rows = fields(f, ['ip.src', 'ip.dst', 'ip.proto', 'ip.ttl', 'ip.flags.df', 'ip.id', 'gre.proto', 'gre.flags_and_version', 'mpls.label', 'mpls.bottom'], DECODE);
      const [src, dst] = file.startsWith('compute1') ? ['192.0.2.11', '192.0.2.12'] : ['192.0.2.12', '192.0.2.11'];
      const first = (v: string): string => v.split(',')[0];
      rows.forEach((r, k) => {
        expect([first(r[0]), first(r[1]), first(r[2]), first(r[3]), first(r[4]), r[6], r[7], r[9]], `${file}#${k + 1}`).toEqual([src, dst, '47', '64', '0', '0x8847', '0x0000', '1']);
      });
      expect(rows.map((r) => r[8]), file).toEqual(w.labels);
      expect(rows.map((r) => Number(first(r[5]))), file).toEqual(w.ids);
      expectStacks(base.out, [file], /^eth ip:good gre mpls (ip:good( tcp:good| udp:unverified)?|ipv6 icmpv6:good|eth (arp|ip:good icmp:good))$/, DECODE);
    }
    expectStacks(base.out, Object.keys(EXPECTED).filter((f) => f.includes('-tap-')), /^eth (arp|ip:good( icmp:good( ip:good udp:unverified)?| tcp:good| udp:unverified)?|ipv6 icmpv6:good)$/);
  });

  it('reports the drops put in on purpose, per-port counters and the tunnels by label', () => {
    const r = base.report;
    expect(r.packets).toEqual({ captured: 12, underlay: 9, malformed: 0, modelFallback: 0 });
    const fabric2 = join(S.dir, 'pcaps', 'fabric2.pcap');
    expect(r.drops.map((d) => [d.reason, d.count, d.example.host, d.example.port, d.example.file, d.example.index])).toEqual([
      // GRE with the S flag: vRouter accepts only C and K
      ['gre_flags_not_accepted', 1, 'compute2', 'eth0', fabric2, 0],
      ['invalid_label', 1, 'compute2', 'eth0', fabric2, 1],
      // red1's DF datagram too big for the tunnel (answered with the ICMP error)
      ['mtu_exceeded_df', 1, 'compute1', 'tap-red1', join(S.dir, 'pcaps', 'red1.pcap'), 3],
    ]);
    expect(r.tunnels).toEqual([
      { from: 'compute1', to: 'compute2', type: 'mplsogre', label: 17, packets: 1 },
      { from: 'compute2', to: 'compute1', type: 'mplsogre', label: 17, packets: 1 },
      { from: 'compute1', to: 'compute2', type: 'mplsogre', label: 18, packets: 3 },
      { from: 'compute2', to: 'compute1', type: 'mplsogre', label: 16, packets: 2 },
      { from: 'compute1', to: 'compute2', type: 'mplsogre', label: 16, packets: 1 },
      { from: 'compute1', to: 'compute2', type: 'mplsogre', label: 21, packets: 1 },
    ]);
  });

  // Byte counts, hand-derived: ARP 42, ICMP echo (48-byte payload) 90, TCP SYN 54, the 1472-byte UDP
  // datagram 1514, ICMPv6 echo (32) 94; the ICMP error quotes 548 bytes (576 - 20 - 8): 590; fragments
  // 14 + 1468 and 14 + 52. MPLSoGRE adds 42 - 14 = 28 bytes to a routed frame (the inner Ethernet header goes)
  // and 42 to a bridged one.
  // The fabric frames: 14 + 20 + 4 (+4 with S) + 4 + 20 + 8 + 32 = 102 (106).
  it('leaves the vRouter counters in the report and the views show them', async () => {
    const c1 = vrouterOf(base.report, 'compute1');
    const c2 = vrouterOf(base.report, 'compute2');
    const c1Wire = 90 + 42 + (54 + 28) + (1482 + 28) + (66 + 28) + (94 + 28) + (42 + 42);
    const c2Wire = 90 + 42 + (54 + 28) + (94 + 28);
    expect(vifTotals(c1, 'tap-red1')).toEqual([6, 42 + 90 + 54 + 1514 + 1514 + 94, 5, 42 + 90 + 54 + 590 + 94, 1]);
    expect(vifTotals(c1, 'tap-blue1')).toEqual([1, 42, 0, 0, 0]);
    expect(vifTotals(c1, 'eth0')).toEqual([3, c2Wire, 6, c1Wire, 0]);
    expect(vifTotals(c2, 'tap-blue2')).toEqual([1, 54, 4, 54 + 1482 + 66 + 42, 0]);
    expect(vifTotals(c2, 'eth0')).toEqual([8, c1Wire + 106 + 102, 3, c2Wire, 2]);
    expect(c1?.drops).toEqual({ mtu_exceeded_df: 1 });
    expect(c2?.drops).toEqual({ gre_flags_not_accepted: 1, invalid_label: 1 });
    const report = join(base.out, 'report.json');
    const v = await cli(['vrouter', 'vif', S.topology, '--host', 'compute2', '--report', report]);
    expect(vifCounters(v.text, 'eth0')).toBe(`RX packets:8  bytes:${c1Wire + 208} errors:0 | TX packets:3  bytes:${c2Wire} errors:0 | Drops:2`);
    const d = await cli(['vrouter', 'dropstats', S.topology, '--host', 'compute2', '--report', report]);
    expect(nonZeroDropstats(d.text)).toEqual(['Invalid Label 1', 'Invalid Packet 1']);
    const d1 = await cli(['vrouter', 'dropstats', S.topology, '--host', 'compute1', '--report', report]);
    expect(nonZeroDropstats(d1.text)).toEqual(['Fragment Errors 1']);
  });

  it('gives the same bytes and counters through the per-packet model, without the cache and with two PMDs', async () => {
    await expectSameAcrossEngines(S, base);
  }, 90_000);
});

if (CONVERSATION.length !== 12) throw new Error('examples/contrail-mplsogre/generate.ts changed: review the expectations of this test');
