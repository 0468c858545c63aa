/**
 * Fragmented VXLAN (examples/fragmented-vxlan): outer IPv4 fragments from a
 * Linux VTEP with DF clear arrive at compute2's NIC. A `linux` receiver
 * reassembles them before the VXLAN receive, so vm3 gets every inner
 * packet; OVS userspace native tunnelling does not (lib/tnl-ports.c matches
 * tunnel packets on non-fragments only), so the fragments are not
 * decapsulated: only the unfragmented packets reach vm3, and the fragments
 * go where br-phys sends ordinary frames to its LOCAL port (the host's
 * own IP stack).
 *
 * The capture itself is checked by tshark (its own reassembly decodes the
 * inner packets), so the fragments are what RFC 791 / Linux make; the
 * expected inner packets come from the generator's list (hand-written
 * sizes), read back through tshark.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import type { ReplayReport } from '../../src/replay/replay-report.js';
import { writeCaptures } from '../../examples/fragmented-vxlan/generate.js';
import { requireTshark } from '../oracle/tshark.js';
import { expectSameWithoutCacheAndWithTwoPmds, expectShippedCaptures, fields, portInputs, replayFresh, summary } from './scenario-helpers.js';

const dir = join(packageRoot(), 'examples', 'fragmented-vxlan');
const inputs = portInputs(dir, [['compute2', 'p0']]);
const run = (topology: string): Promise<{ out: string; report: ReplayReport }> => replayFresh(join(dir, topology), inputs);

const UDP_SMALL = 'UDP 192.0.2.1 192.0.2.3 40000 → 9 Len=64';
const UDP_BIG = 'UDP 192.0.2.1 192.0.2.3 40000 → 9 Len=1444';
const TCP_FITS = 'TCP 192.0.2.1 192.0.2.3 41000 → 80 [PSH, ACK] Seq=1 Ack=1 Win=502 Len=1400';
const TCP_BIG = 'TCP 192.0.2.1 192.0.2.3 41000 → 80 [PSH, ACK] Seq=1401 Ack=1 Win=502 Len=1432';

describe('replay: fragmented-vxlan', () => {
  let linux: { out: string; report: ReplayReport };
  let ovs: { out: string; report: ReplayReport };
  beforeAll(async () => {
    requireTshark();
    linux = await run('topology.yaml');
    ovs = await run('topology-ovs-userspace.yaml');
  }, 60_000);

  it('ships the capture its generator makes (deterministic)', async () => {
    await expectShippedCaptures(writeCaptures, dir, ['p0']);
  });

  it('gives the same bytes without the flow cache and with two PMDs', async () => {
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology.yaml'), inputs, linux);
    await expectSameWithoutCacheAndWithTwoPmds(join(dir, 'topology-ovs-userspace.yaml'), inputs, ovs);
  }, 60_000);

  it('the capture holds RFC 791 outer fragments that tshark reassembles into the four inner packets', () => {
    const p0 = join(dir, 'pcaps', 'p0.pcap');
    // frame length, outer IP length, fragment offset (8-byte units), MF
    expect(fields(p0, ['frame.len', 'ip.len', 'ip.frag_offset', 'ip.flags.mf']).map((l) => l.split('\t').map((f) => f.split(',')[0]).join(' '))).toEqual([
      '156 142 0 0',
      '1514 1500 0 1',
      '56 42 185 0',
      '1504 1490 0 0',
      '56 42 185 0',
      '1514 1500 0 1',
    ]);
    // tshark shows the inner packet on the frame that completes a datagram
    expect(summary(p0).filter((l) => !l.startsWith('IPv4'))).toEqual([UDP_SMALL, UDP_BIG, TCP_FITS, TCP_BIG]);
  });

  it('linux receiver: reassembled before decap, vm3 gets every inner packet with good checksums', () => {
    const vm3 = join(linux.out, 'compute2-vm3.pcap');
    expect(summary(vm3)).toEqual([UDP_SMALL, UDP_BIG, TCP_FITS, TCP_BIG]);
    expect(fields(vm3, ['ip.checksum.status', 'udp.checksum.status', 'tcp.checksum.status'], ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE', 'tcp.check_checksum:TRUE'])).toEqual([
      '1\t1\t',
      '1\t1\t',
      '1\t\t1',
      '1\t\t1',
    ]);
    expect(linux.report.drops).toEqual([]);
    // four datagrams enter the switch at p0 (six fragments on the wire)
    expect(linux.report.ports.find((p) => p.port === 'p0')?.rx).toBe(4);
    expect(existsSync(join(linux.out, 'compute2-br-phys.pcap'))).toBe(false);
  });

  it('ovs-userspace receiver: fragments are not decapsulated; vm3 gets only the unfragmented packets', () => {
    expect(summary(join(ovs.out, 'compute2-vm3.pcap'))).toEqual([UDP_SMALL, TCP_FITS]);
    expect(ovs.report.ports.find((p) => p.port === 'p0')?.rx).toBe(6);
    // every fragment (the first ones too: OVS's tunnel-port match excludes all fragments) goes to br-phys
    // LOCAL, the host's own IP stack, as an ordinary frame: outer ID, fragment offset (8-byte units), MF
    const local = fields(join(ovs.out, 'compute2-br-phys.pcap'), ['ip.id', 'ip.frag_offset', 'ip.flags.mf']).map((l) => l.split('\t').map((f) => f.split(',')[0]).join(' '));
    expect(local).toEqual(['0x5002 0 1', '0x5002 185 0', '0x5004 185 0', '0x5004 0 1']);
    expect(ovs.report.drops).toEqual([]);
  });
});
