/**
 * TSO super-frames through VXLAN over a VLAN underlay
 * (examples/vxlan-over-vlan-gso): vm1 hands over the Linux oracle's 20,054-
 * byte super-frame; compute1's NIC (hardware checksum and TSO) segments it
 * inside VXLAN, tagged VLAN 100 on the wire; compute2's NIC strips the tag
 * and vm3 receives the segments. The reference is the Linux kernel: its
 * inner frames for the same super-frame and segment size
 * (../shared/oracles/linux/examples/vxlan-gso-v4-noudpcsum/out.pcap) must
 * equal ours byte for byte after the MAC addresses (the only bytes the
 * scenario changed, and no checksum covers them). With the `vxlan-vlan-gso`
 * driver bug every segment the NIC made has a wrong inner TCP checksum.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { SUPER_FRAME, writeCaptures } from '../../examples/vxlan-over-vlan-gso/generate.js';
import { exampleDir, readFrames } from '../oracle/linux-oracle.js';
import { requireTshark } from '../oracle/tshark.js';
import { expectSameWithoutCacheAndWithTwoPmds, expectShippedCaptures, fields, portInputs, replayEdges, type EdgeRun } from './scenario-helpers.js';

const dir = join(packageRoot(), 'examples', 'vxlan-over-vlan-gso');
const inputs = portInputs(dir, [['compute1', 'vm1'], ['compute2', 'vm3']]);
const run = (topology: string): Promise<EdgeRun> => replayEdges(join(dir, topology), inputs);

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const CSUM = ['ip.check_checksum:TRUE', 'tcp.check_checksum:TRUE'];

describe('replay: vxlan-over-vlan-gso (NIC TSO inside VXLAN over 802.1Q)', () => {
  let good: EdgeRun;
  let bug: EdgeRun;
  let kernel: Uint8Array[];
  beforeAll(async () => {
    requireTshark();
    kernel = await readFrames(join(exampleDir('vxlan-gso-v4-noudpcsum'), 'out.pcap'));
    good = await run('topology.yaml');
    bug = await run('topology-driver-bug.yaml');
  }, 60_000);

  it('ships the captures its generator makes; the super-frame is the oracle input after the MACs', async () => {
    await expectShippedCaptures(writeCaptures, dir, ['vm1', 'vm3']);
    const [oracleIn] = await readFrames(join(exampleDir('vxlan-gso-v4-noudpcsum'), 'in.pcap'));
    expect(hex(SUPER_FRAME.subarray(12))).toBe(hex(oracleIn.subarray(12)));
  });

  it('gives the same bytes without the flow cache and with two PMDs', async () => {
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology.yaml'), inputs, good);
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology-driver-bug.yaml'), inputs, bug);
  }, 60_000);

  it('the underlay carries 15 VLAN-100 VXLAN segments whose inner frames are the Linux kernel\'s', async () => {
    const p0 = await readFrames(join(good.out, 'compute1-p0.pcap'));
    const data = p0; // vm1 sends nothing else across (vm3's ARP came the other way)
    expect(kernel.length).toBe(15);
    expect(data.length).toBe(15);
    // ours: Ethernet 14 + 802.1Q 4 + IPv4 20 + UDP 8 + VXLAN 8 = 54; the kernel's: 50 (untagged)
    data.forEach((f, k) => expect(hex(f.subarray(54 + 12)), `segment ${k}`).toBe(hex(kernel[k].subarray(50 + 12))));
    // 14 full segments: 54 + 14 + 20 + 20 + 1398 = 1506 bytes; the last carries 20000 - 14 * 1398 = 428 bytes: 536
    expect(fields(join(good.out, 'compute1-p0.pcap'), ['vlan.id', 'frame.len'])).toEqual([...Array(14).fill('100\t1506'), '100\t536']);
  });

  it('vm3 gets the 15 segments untagged, checksums valid (tshark)', () => {
    const rows = fields(join(good.out, 'compute2-vm3.pcap'), ['vlan.id', 'ip.checksum.status', 'tcp.checksum.status', 'tcp.len'], CSUM);
    expect(rows.length).toBe(15);
    expect(rows.slice(0, 14)).toEqual(Array(14).fill('\t1\t1\t1398'));
    expect(rows[14]).toBe(`\t1\t1\t${20000 - 14 * 1398}`);
    expect(good.report.drops).toEqual([]);
    expect(good.edges).toMatchObject({ guestSuperFrames: 1, segments: 15, nicCsum: 15, softwareCsum: 0, faults: {} });
  });

  it('the driver bug: every NIC-made segment has a wrong inner TCP checksum, and each is counted', () => {
    const rows = fields(join(bug.out, 'compute2-vm3.pcap'), ['ip.checksum.status', 'tcp.checksum.status'], CSUM);
    expect(rows).toEqual(Array(15).fill('1\t0'));
    expect(bug.edges.faults).toEqual({ 'vxlan-vlan-gso': 15 });
  });
});
