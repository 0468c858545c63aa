/**
 * Guest offloads and NIC models (examples/offload-faults): vm1 hands over
 * partial checksums and a TSO super-frame (its tap has checksum offload and
 * TSO); compute1's NIC p0 is, per topology, without hardware checksum (OVS
 * segments and completes in software), a correct NIC with HW checksum and
 * TSO, or a Broadcom BCM5719 (advertises HW checksum, writes wrong
 * checksums). Checked by tshark: the same segments in every variant, good
 * checksums everywhere except exactly the frames the BCM5719 completed.
 *
 * Expected values, derived by hand: gso_size = vm1's MTU 1450 - 20 (IPv4) -
 * 20 (TCP) = 1410, so the 4230-byte super-frame is 3 segments, seq 1, 1411,
 * 2821, inner IP length 1450, outer IP length 1450 + 14 + 8 + 8 + 20 = 1500
 * (VXLAN); inner IPv4 ID 0x1001 + k; PSH on the last segment only (Linux
 * and OVS GSO); the payload is the generator's formula (seed + 13 i) & 0xff.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { writeCaptures } from '../../examples/offload-faults/generate.js';
import { requireTshark } from '../oracle/tshark.js';
import { expectSameWithoutCacheAndWithTwoPmds, expectShippedCaptures, fields, portInputs, replayEdges, type EdgeRun } from './scenario-helpers.js';

const dir = join(packageRoot(), 'examples', 'offload-faults');
const inputs = portInputs(dir, [['compute1', 'vm1'], ['compute2', 'vm3']]);
const run = (topology: string): Promise<EdgeRun> => replayEdges(join(dir, topology), inputs);

const CSUM = ['ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE', 'udp.check_checksum:TRUE'];
/**
 * Per frame: outer/inner IP length, outer/inner IP ID (the OVS model's outer ID is 0 per encapsulated
 * packet, + k per segment of a super-packet, as tunnel GSO does),  TCP seq, TCP flags, TCP and UDP checksum status (1 good, 0 bad; UDP: outer,inner). */
const COLS = ['ip.len', 'ip.id', 'tcp.seq_raw', 'tcp.flags', 'tcp.checksum.status', 'udp.checksum.status'];

/** compute1-p0.pcap, each frame: the expected row with the data frames' checksum status `s`. */
const p0Rows = (s: 0 | 1): string[] => [
  '78\t0x0000\t\t\t\t3', // vm1's ARP reply (not IP inside: only the outer UDP, checksum 0 = absent)
  `1500,1450\t0x0000,0x1001\t1\t0x0010\t${s}\t3`,
  `1500,1450\t0x0001,0x1002\t1411\t0x0010\t${s}\t3`,
  `1500,1450\t0x0002,0x1003\t2821\t0x0018\t${s}\t3`,
  `278,228\t0x0000,0x1002\t\t\t\t3,${s}`,
  `190,140\t0x0000,0x1003\t4231\t0x0018\t${s}\t3`,
];

function payloadHex(n: number, seed: number): string {
  return Array.from({ length: n }, (_, i) => ((seed + i * 13) & 0xff).toString(16).padStart(2, '0')).join('');
}

describe('replay: offload-faults (guest offloads, NIC checksum and TSO, BCM5719)', () => {
  let software: EdgeRun;
  let hw: EdgeRun;
  let bcm: EdgeRun;
  beforeAll(async () => {
    requireTshark();
    software = await run('topology.yaml');
    hw = await run('topology-hw-csum.yaml');
    bcm = await run('topology-bcm5719.yaml');
  }, 60_000);

  it('ships the captures its generator makes (deterministic); vm1 hands over partial checksums', async () => {
    await expectShippedCaptures(writeCaptures, dir, ['vm1', 'vm3']);
    // tshark: the three data frames' checksums are "bad" (they hold the pseudo-header sum), the super-frame is 4284 bytes
    expect(fields(join(dir, 'pcaps', 'vm1.pcap'), ['frame.len', 'tcp.checksum.status', 'udp.checksum.status'], CSUM)).toEqual(['42\t\t', '4284\t0\t', '242\t\t0', '154\t0\t']);
  });

  it('every variant puts the same segments on the underlay; checksums good unless the BCM5719 completed them', () => {
    expect(fields(join(software.out, 'compute1-p0.pcap'), COLS, CSUM)).toEqual(p0Rows(1));
    expect(fields(join(hw.out, 'compute1-p0.pcap'), COLS, CSUM)).toEqual(p0Rows(1));
    expect(fields(join(bcm.out, 'compute1-p0.pcap'), COLS, CSUM)).toEqual(p0Rows(0));
  });

  it('the segments carry the super-frame payload in order', () => {
    const segs = fields(join(software.out, 'compute1-p0.pcap'), ['tcp.payload']).slice(1, 4);
    expect(segs.map((s) => s.replace(/:/g, '')).join('')).toBe(payloadHex(4230, 1));
  });

  it('vm3 receives the segments; with the BCM5719 fault their checksums are wrong (its stack drops them)', () => {
    const good = fields(join(software.out, 'compute2-vm3.pcap'), ['frame.len', 'tcp.checksum.status', 'udp.checksum.status'], CSUM);
    expect(good).toEqual(['42\t\t', '1464\t1\t', '1464\t1\t', '1464\t1\t', '242\t\t1', '154\t1\t']);
    expect(fields(join(hw.out, 'compute2-vm3.pcap'), ['frame.len', 'tcp.checksum.status', 'udp.checksum.status'], CSUM)).toEqual(good);
    expect(fields(join(bcm.out, 'compute2-vm3.pcap'), ['frame.len', 'tcp.checksum.status', 'udp.checksum.status'], CSUM)).toEqual(['42\t\t', '1464\t0\t', '1464\t0\t', '1464\t0\t', '242\t\t0', '154\t0\t']);
  });

  it('gives the same bytes without the flow cache and with two PMDs', async () => {
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology.yaml'), inputs, software);
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology-hw-csum.yaml'), inputs, hw);
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology-bcm5719.yaml'), inputs, bcm);
  }, 60_000);

  it('counts who segmented and completed what, and every frame the fault touched', () => {
    const guest = { guestPartialCsum: 3, guestSuperFrames: 1, mtuDrops: 0, reassembled: 0, segments: 3 };
    expect(software.edges).toEqual({ ...guest, softwareCsum: 5, nicCsum: 0, faults: {} });
    expect(hw.edges).toEqual({ ...guest, softwareCsum: 0, nicCsum: 5, faults: {} });
    expect(bcm.edges).toEqual({ ...guest, softwareCsum: 0, nicCsum: 5, faults: { 'bad-hw-csum': 5 } });
    for (const r of [software, hw, bcm]) expect(r.report.drops).toEqual([]);
  });
});
