/**
 * Replay of the shipped two-host Neutron VXLAN scenario
 * (examples/neutron-vxlan): which VM receives what, checked by tshark (its
 * one-line summary, the protocol stack and every checksum verdict), and the
 * same bytes on every port with the flow cache off and with two PMDs.
 *
 * The expected receipts follow from the conversation in
 * examples/neutron-vxlan/generate.ts and how Neutron's pipeline forwards:
 * broadcast and unknown unicast are flooded on br-int (VM ports, LOCAL and
 * patch-tun) and by br-tun table 22 to the tunnel; known remote MACs go by
 * the l2pop entries of br-tun table 20; br-int NORMAL learns MACs, so replies
 * go only where the destination was seen.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import type { ReplayOptions } from '../../src/replay/replay.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';
import { writeCaptures } from '../../examples/neutron-vxlan/generate.js';
import { requireTshark, tsharkDecode } from '../oracle/tshark.js';
import { tsharkStack } from '../oracle/stack-compare.js';
import { expectSameWithoutCacheAndWithTwoPmds, expectShippedCaptures, pcapsOf, replayFresh } from './scenario-helpers.js';

const dir = join(packageRoot(), 'examples', 'neutron-vxlan');
const inputs: ReplayOptions['inputs'] = [
  { host: 'compute1', port: 'vm1', file: join(dir, 'pcaps', 'vm1.pcap') },
  { host: 'compute1', port: 'vm2', file: join(dir, 'pcaps', 'vm2.pcap') },
  { host: 'compute2', port: 'vm3', file: join(dir, 'pcaps', 'vm3.pcap') },
  { host: 'compute1', port: 'vm4', file: join(dir, 'pcaps', 'vm4.pcap') },
  { host: 'compute2', port: 'vm5', file: join(dir, 'pcaps', 'vm5.pcap') },
];

async function run(extra: Partial<ReplayOptions> = {}): Promise<{ out: string; report: ReplayReport }> {
  return replayFresh(join(dir, 'topology.yaml'), inputs, { inProcess: false, ...extra });
}

/** tshark's Protocol / Source / Destination / Info columns, tab-separated, one line per frame. */
function summary(file: string): string[] {
  const text = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', '_ws.col.Info'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return text.trimEnd().split('\n').map((l) => l.replace(/\s+/g, ' ').trim());
}

const ARP_REQ = 'ARP fa:16:3e:00:00:03 Broadcast Who has 192.0.2.1? Tell 192.0.2.3';
const ARP_REPLY = 'ARP fa:16:3e:00:00:01 fa:16:3e:00:00:03 192.0.2.1 is at fa:16:3e:00:00:01';
const PING = 'ICMP 192.0.2.1 192.0.2.3 Echo (ping) request id=0x0042, seq=1/256, ttl=64';
const PONG = 'ICMP 192.0.2.3 192.0.2.1 Echo (ping) reply id=0x0042, seq=1/256, ttl=64';
const UDP_TO_VM2 = 'UDP 192.0.2.1 192.0.2.2 40000 → 9 Len=40';
const UDP_TO_VM1 = 'UDP 192.0.2.2 192.0.2.1 9 → 40000 Len=80';
const SYN_80 = 'TCP 192.0.2.1 192.0.2.2 41000 → 80 [SYN] Seq=0 Win=64240 Len=0';
const SYNACK = 'TCP 192.0.2.2 192.0.2.1 80 → 41000 [SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0';
const SYN_22 = 'TCP 192.0.2.3 192.0.2.2 42000 → 22 [SYN] Seq=0 Win=64240 Len=0';
// the second network (VNI 200, local VLAN 2)
const ARP_REQ2 = 'ARP fa:16:3e:00:00:04 Broadcast Who has 198.51.100.5? Tell 198.51.100.4';
const ARP_REPLY2 = 'ARP fa:16:3e:00:00:05 fa:16:3e:00:00:04 198.51.100.5 is at fa:16:3e:00:00:05';
const UDP_TO_VM5 = 'UDP 198.51.100.4 198.51.100.5 40001 → 9 Len=24';

/** What each port transmits (tshark shows the inner packet of a VXLAN frame in these columns). */
const EXPECTED: Record<string, string[]> = {
  // vm1 hears vm3's ARP (flooded from the tunnel), its ping reply, and vm2's replies
  'compute1-vm1.pcap': [ARP_REQ, PONG, UDP_TO_VM1, SYNACK],
  // vm2 hears the ARP flood, vm1's datagram (flooded: vm2 not yet learned), both SYNs (vm3's via the tunnel)
  'compute1-vm2.pcap': [ARP_REQ, UDP_TO_VM2, SYN_80, SYN_22],
  // vm3 gets vm1's ARP reply and ping, and a copy of the unknown-unicast datagram for vm2
  'compute2-vm3.pcap': [ARP_REPLY, PING, UDP_TO_VM2],
  // the second network is isolated: vm4's broadcast reaches vm5 only, never vm1/vm2/vm3
  'compute1-vm4.pcap': [ARP_REPLY2],
  'compute2-vm5.pcap': [ARP_REQ2, UDP_TO_VM5],
  // the underlay NICs carry exactly the frames that cross hosts (VNI 100, then VNI 200)
  'compute1-p0.pcap': [ARP_REPLY, PING, UDP_TO_VM2, ARP_REQ2, UDP_TO_VM5],
  'compute2-p0.pcap': [ARP_REQ, PONG, SYN_22, ARP_REPLY2],
  // br-int's LOCAL port is in NORMAL's flood set, as in OVS (tagged: see below)
  'compute1-br-int.pcap': [ARP_REQ, UDP_TO_VM2, ARP_REQ2],
  'compute2-br-int.pcap': [ARP_REQ, UDP_TO_VM2, SYN_22, ARP_REQ2],
};

/** Zeroes the outer UDP source port (bytes 34-35 of an untagged Ethernet/IPv4 frame) of every record of a classic pcap. */
function maskOuterSourcePort(pcap: Buffer): Buffer {
  const b = Buffer.from(pcap);
  for (let o = 24; o + 16 <= b.length; ) {
    const caplen = b.readUInt32LE(o + 8);
    if (caplen >= 36) b.fill(0, o + 16 + 34, o + 16 + 36);
    o += 16 + caplen;
  }
  return b;
}

describe('replay: neutron-vxlan (two OVS compute hosts, VXLAN)', () => {
  let base: { out: string; report: ReplayReport };
  beforeAll(async () => {
    requireTshark();
    base = await run();
  }, 60_000);

  it('ships the captures its generator makes (deterministic)', async () => {
    await expectShippedCaptures(writeCaptures, dir, ['vm1', 'vm2', 'vm3', 'vm4', 'vm5']);
  });

  it('delivers to each VM what Neutron forwarding sends it (tshark summary)', () => {
    expect([...pcapsOf(base.out).keys()]).toEqual(Object.keys(EXPECTED).sort());
    for (const [file, lines] of Object.entries(EXPECTED)) expect(summary(join(base.out, file)), file).toEqual(lines);
  });

  it('writes valid stacks and checksums: VM ports plain, underlay VXLAN (UDP checksum off) with good inner checksums', () => {
    for (const file of Object.keys(EXPECTED)) {
      const frames = tsharkDecode(join(base.out, file));
      for (const f of frames) {
        const stack = tsharkStack(f).join(' ');
        if (file.endsWith('-p0.pcap')) expect(stack, `${file}#${f.number}`).toMatch(/^eth ip:good udp:absent vxlan eth (arp|ip:good (icmp:good|udp:good|tcp:good))$/);
        // br-int's LOCAL port has no tag (a trunk), so NORMAL hands it the frames tagged with local VLAN 1
        else if (file.endsWith('-br-int.pcap')) expect(stack, `${file}#${f.number}`).toMatch(/^eth vlan (arp|ip:good (icmp:good|udp:good|tcp:good))$/);
        else expect(stack, `${file}#${f.number}`).toMatch(/^eth (arp|ip:good (icmp:good|udp:good|tcp:good))$/);
        expect(f.errors, `${file}#${f.number}`).toEqual([]);
      }
    }
    // outer addresses: the VTEPs of the topology
    const outer = execFileSync('tshark', ['-r', join(base.out, 'compute1-p0.pcap'), '-T', 'fields', '-e', 'eth.src', '-e', 'eth.dst', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'vxlan.vni'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const vnis: string[] = [];
    for (const l of outer.trimEnd().split('\n')) {
      expect(l).toMatch(/^02:00:c6:12:00:01,fa:16:3e:00:00:0\d\t02:00:c6:12:00:02,(fa:16:3e:00:00:0\d|ff:ff:ff:ff:ff:ff)\t198\.18\.0\.1(,192\.0\.2\.1|,198\.51\.100\.4)?\t198\.18\.0\.2(,192\.0\.2\.[23]|,198\.51\.100\.5)?\t\d+$/);
      vnis.push(l.split('\t')[4]);
    }
    expect(vnis).toEqual(['100', '100', '100', '200', '200']);
  });

  it('reports per-port counters, tunnels and engine statistics', () => {
    const r = base.report;
    expect(r.interrupted).toBe(false);
    expect(r.packets).toEqual({ captured: 12, underlay: 9, malformed: 0, modelFallback: 0 });
    expect(r.drops).toEqual([]);
    const port = (h: string, p: string) => r.ports.find((x) => x.host === h && x.port === p);
    expect(port('compute1', 'vm1')).toEqual({ host: 'compute1', port: 'vm1', rx: 4, tx: 4, drops: 0 });
    expect(port('compute2', 'vm3')).toEqual({ host: 'compute2', port: 'vm3', rx: 3, tx: 3, drops: 0 });
    expect(port('compute2', 'p0')).toMatchObject({ rx: 5, tx: 4 });
    expect(port('compute1', 'vm4')).toEqual({ host: 'compute1', port: 'vm4', rx: 2, tx: 1, drops: 0 });
    expect(r.tunnels).toEqual(
      expect.arrayContaining([
        { from: 'compute1', to: 'compute2', type: 'vxlan', vni: 100, packets: 3 },
        { from: 'compute2', to: 'compute1', type: 'vxlan', vni: 100, packets: 3 },
        { from: 'compute1', to: 'compute2', type: 'vxlan', vni: 200, packets: 2 },
        { from: 'compute2', to: 'compute1', type: 'vxlan', vni: 200, packets: 1 },
      ]),
    );
    expect(r.tunnels).toHaveLength(4);
    // compute1: 8 captured + 4 from the tunnel; compute2: 4 captured + 5 from the tunnel
    expect(r.engines.map((e) => [e.host, e.raw.packets])).toEqual([['compute1', 12], ['compute2', 9]]);
    expect(r.engines.every((e) => e.raw.upcall.failed === 0)).toBe(true);
  });

  it('gives byte-identical outputs with the flow cache off and with two PMDs', async () => {
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology.yaml'), inputs, base);
  }, 60_000);

  // Known difference: the outer UDP source port of VXLAN. The model derives it from
  // its own hash of the frame (src/ovs/native-tunnel.ts ovsRssHash, held equal to
  // real OVS by the differential tests), the engine from the PMD's flow hash
  // (COL_HASH). Both are in the tunnel's source port range; the bytes are
  // compared with that field masked (the outer UDP checksum is 0: `csum: false`).
  it("gives the same bytes as the OVS model's own per-packet slow path (the fallback path), outer UDP source port aside", async () => {
    const { out, report } = await run({ modelOnly: true, inProcess: true });
    expect(report.packets.modelFallback).toBe(report.packets.captured + report.packets.underlay);
    expect(report.fallbackReasons).toEqual([{ reason: 'model-only run', packets: 21 }]);
    const masked = (m: Map<string, Buffer>): Map<string, Buffer> => new Map([...m].map(([f, b]) => [f, f.endsWith('-p0.pcap') ? maskOuterSourcePort(b) : b]));
    expect(masked(pcapsOf(out))).toEqual(masked(pcapsOf(base.out)));
    for (const f of ['compute1-p0.pcap', 'compute2-p0.pcap']) {
      const ports = execFileSync('tshark', ['-r', join(out, f), '-T', 'fields', '-e', 'udp.srcport'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      for (const p of ports.trim().split('\n')) expect(Number(p.split(',')[0])).toBeGreaterThanOrEqual(32768);
    }
  }, 60_000);

  it('keeps the wire length of frames captured short across the underlay (vm1 captured with editcap -s 60)', async () => {
    const short = join(mkdtempSync(join(tmpdir(), 'vs-short-')), 'vm1.pcap');
    execFileSync('editcap', ['-s', '60', join(dir, 'pcaps', 'vm1.pcap'), short], { stdio: ['ignore', 'pipe', 'pipe'] });
    const { out } = await replayFresh(join(dir, 'topology.yaml'), inputs.map((i) => (i.port === 'vm1' ? { ...i, file: short } : i)));
    const lengths = (f: string): string[] =>
      execFileSync('tshark', ['-r', join(out, f), '-Y', 'icmp.type == 8', '-T', 'fields', '-e', 'frame.len', '-e', 'frame.cap_len'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
        .trim()
        .split('\n');
    // the 98-byte ping, cut to 60 bytes: VXLAN adds 50 on compute1's NIC, compute2 takes them off for vm3
    expect(lengths('compute1-p0.pcap')).toEqual(['148\t110']);
    expect(lengths('compute2-vm3.pcap')).toEqual(['98\t60']);
  }, 60_000);
});
