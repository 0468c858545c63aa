/**
 * MTU mismatches (examples/mtu-mismatch), replayed:
 * - a 1500 guest (vm1) on a 9000 network: vm3 (MTU 8950) sends an 8000-byte
 *   datagram; VXLAN carries it (outer IP 8078 <= 9000) and compute1's OVS
 *   drops it at vm1's port (`port_mtu_exceeded`: inner IP 8028 > 1500; OVS
 *   counts ovs_tx_mtu_exceeded_drops). No ICMP: OVS sends none, so the
 *   sender is never told (the classic black hole).
 * - the reverse, a 9000 guest (vm1, MTU 8950) on a 1500 network: OVS
 *   encapsulates the 8000-byte datagram (outer IP 8078, DF) and it is
 *   dropped at compute1's NIC (`underlay_mtu_exceeded`: OVS userspace never
 *   fragments a tunnel packet).
 * In both, the 1400-byte datagram (inner 1428, outer 1478) and the reply pass.
 * Sizes are hand-derived: inner IP = payload + 8 + 20, outer = inner + 14 + 8 + 8 + 20.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

import { packageRoot } from '../../src/datapath/native.js';
import type { FabricCounters } from '../../src/replay/fabric.js';
import type { EdgeCounters } from '../../src/replay/port-edges.js';
import type { ReplayOptions } from '../../src/replay/replay.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';
import { writeCaptures } from '../../examples/mtu-mismatch/generate.js';
import { requireTshark } from '../oracle/tshark.js';
import { expectSameWithoutCacheAndWithTwoPmds, expectShippedCaptures, fields, replayFresh, summary } from './scenario-helpers.js';

const dir = join(packageRoot(), 'examples', 'mtu-mismatch');

interface Run {
  out: string;
  report: ReplayReport;
  edges: EdgeCounters;
  fabric: FabricCounters;
}

/** vm1's and vm3's captures of one network (`9000-net` or `1500-net`). */
const inputsOf = (pcaps: string): ReplayOptions['inputs'] => [
  { host: 'compute1', port: 'vm1', file: join(dir, 'pcaps', pcaps, 'vm1.pcap') },
  { host: 'compute2', port: 'vm3', file: join(dir, 'pcaps', pcaps, 'vm3.pcap') },
];

async function run(topology: string, pcaps: string): Promise<Run> {
  const { out, report } = await replayFresh(join(dir, topology), inputsOf(pcaps));
  return { out, report, edges: report.edges, fabric: report.underlay };
}

const dropsOf = (r: Run): [string, number, string, number][] => r.report.drops.map((d) => [d.reason, d.count, d.example.file.split('/').slice(-2).join('/'), d.example.index]);

describe('replay: mtu-mismatch', () => {
  let jumboNet: Run;
  let smallNet: Run;
  let linuxNet: Run;
  beforeAll(async () => {
    requireTshark();
    jumboNet = await run('topology.yaml', '9000-net');
    smallNet = await run('topology-reverse.yaml', '1500-net');
    linuxNet = await run('topology-linux.yaml', '1500-net');
  }, 90_000);

  it('ships the captures its generator makes (deterministic)', async () => {
    await expectShippedCaptures(writeCaptures, dir, ['9000-net/vm1', '9000-net/vm3', '1500-net/vm1', '1500-net/vm3']);
  });

  it('gives the same bytes without the flow cache and with two PMDs', async () => {
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology.yaml'), inputsOf('9000-net'), jumboNet);
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology-reverse.yaml'), inputsOf('1500-net'), smallNet);
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology-linux.yaml'), inputsOf('1500-net'), linuxNet);
  }, 90_000);

  it('1500 guest on a 9000 network: the jumbo datagram crosses the underlay and dies at vm1\'s port', () => {
    // vm1 (the small one) asked; vm3's reply and datagrams cross the jumbo underlay
    expect(summary(join(jumboNet.out, 'compute2-p0.pcap'))).toEqual([
      'ARP fa:16:3e:00:00:03 fa:16:3e:00:00:01 192.0.2.3 is at fa:16:3e:00:00:03',
      'UDP 192.0.2.3 192.0.2.1 40000 → 9 Len=8000',
      'UDP 192.0.2.3 192.0.2.1 40000 → 9 Len=1400',
    ]);
    expect(summary(join(jumboNet.out, 'compute1-vm1.pcap'))).toEqual(['ARP fa:16:3e:00:00:03 fa:16:3e:00:00:01 192.0.2.3 is at fa:16:3e:00:00:03', 'UDP 192.0.2.3 192.0.2.1 40000 → 9 Len=1400']);
    expect(dropsOf(jumboNet)).toEqual([['port_mtu_exceeded', 1, '9000-net/vm3.pcap', 1]]);
    expect(jumboNet.edges.mtuDrops).toBe(1);
    expect(jumboNet.fabric.mtuDrops).toBe(0);
  });

  it('9000 guest on a 1500 network: the encapsulated jumbo datagram is dropped at compute1\'s NIC, never fragmented', () => {
    // what OVS handed p0 (the 8078-byte outer packet too), and what crossed: only the frames that fit
    expect(summary(join(smallNet.out, 'compute1-p0.pcap'))).toEqual([
      'ARP fa:16:3e:00:00:01 fa:16:3e:00:00:03 192.0.2.1 is at fa:16:3e:00:00:01',
      'UDP 192.0.2.1 192.0.2.3 40000 → 9 Len=8000',
      'UDP 192.0.2.1 192.0.2.3 40000 → 9 Len=1400',
    ]);
    expect(summary(join(smallNet.out, 'compute2-vm3.pcap'))).toEqual([
      'ARP fa:16:3e:00:00:01 fa:16:3e:00:00:03 192.0.2.1 is at fa:16:3e:00:00:01',
      'UDP 192.0.2.1 192.0.2.3 40000 → 9 Len=1400',
    ]);
    expect(summary(join(smallNet.out, 'compute1-vm1.pcap'))).toEqual(['ARP fa:16:3e:00:00:03 Broadcast Who has 192.0.2.1? Tell 192.0.2.3', 'UDP 192.0.2.3 192.0.2.1 9 → 40000 Len=100']);
    expect(dropsOf(smallNet)).toEqual([['underlay_mtu_exceeded', 1, '1500-net/vm1.pcap', 1]]);
    expect(smallNet.fabric).toMatchObject({ mtuDrops: 1, fragments: 0 });
  });

  it('with compute1 alone on the underlay, the oversized frame is still dropped by its link before going nowhere', async () => {
    const doc = parse(readFileSync(join(dir, 'topology-reverse.yaml'), 'utf8')) as { hosts: { name: string }[] };
    doc.hosts = doc.hosts.filter((h) => h.name === 'compute1');
    const topology = join(mkdtempSync(join(tmpdir(), 'vs-mtu-')), 'topology.yaml');
    writeFileSync(topology, stringify(doc));
    // vm3 has no host: only vm1's capture is replayed
    const { report } = await replayFresh(topology, inputsOf('1500-net').slice(0, 1));
    const alone: Run = { out: '', report, edges: report.edges, fabric: report.underlay };
    expect(dropsOf(alone)).toEqual([['underlay_mtu_exceeded', 1, '1500-net/vm1.pcap', 1]]);
    expect(report.ports.find((p) => p.host === 'compute1' && p.port === 'p0')?.tx).toBe(3);
    expect(alone.fabric).toMatchObject({ mtuDrops: 1, unrouted: 2, carried: 0 });
    // the same capture cut to 200 bytes (editcap -s 200): the link judges the frame by its length on the wire
    const short = join(dirname(topology), 'vm1-200.pcap');
    execFileSync('editcap', ['-s', '200', inputsOf('1500-net')[0].file, short], { stdio: ['ignore', 'pipe', 'pipe'] });
    const cut = (await replayFresh(topology, [{ ...inputsOf('1500-net')[0], file: short }])).report;
    expect(cut.drops.map((d) => [d.reason, d.count, d.example.index])).toEqual([['underlay_mtu_exceeded', 1, 1]]);
    expect(cut.underlay).toMatchObject({ mtuDrops: 1, unrouted: 2, carried: 0 });
  });

  it('the same on a Linux kernel datapath: vm1 gets ICMP "fragmentation needed" (MTU 1450) from vm3\'s address, then its fitting datagram passes', () => {
    // Linux's bridged VXLAN PMTU discovery (the frame is the kernel's: test/replay/fabric-pmtud.test.ts): spoofed
    // from the inner destination, ID 0, DF, the original TTL, 576 bytes quoting the original datagram
    const rows = fields(join(linuxNet.out, 'compute1-vm1.pcap'), ['eth.src', 'ip.src', 'ip.dst', 'ip.id', 'ip.flags.df', 'ip.len', 'icmp.type', 'icmp.code', 'icmp.mtu', 'ip.checksum.status', 'icmp.checksum.status'], ['ip.check_checksum:TRUE']);
    expect(rows[1].split('\t')).toEqual([
      'fa:16:3e:00:00:03',
      '192.0.2.3,192.0.2.1',
      '192.0.2.1,192.0.2.3',
      '0x0000,0x2001',
      '1,1',
      '576,8028',
      '3',
      '4',
      '1450',
      '1,1',
      '1',
    ]);
    expect(summary(join(linuxNet.out, 'compute2-vm3.pcap'))).toEqual([
      'ARP fa:16:3e:00:00:01 fa:16:3e:00:00:03 192.0.2.1 is at fa:16:3e:00:00:01',
      'UDP 192.0.2.1 192.0.2.3 40000 → 9 Len=1400',
    ]);
    expect(summary(join(linuxNet.out, 'compute1-p0.pcap'))).toEqual(summary(join(smallNet.out, 'compute1-p0.pcap')));
    expect(dropsOf(linuxNet)).toEqual([['mtu_exceeded_df', 1, '1500-net/vm1.pcap', 1]]);
    expect(linuxNet.fabric).toMatchObject({ mtuDrops: 0, pmtudAnswers: 1, fragments: 0 });
  });
});
