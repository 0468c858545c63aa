/**
 * The parser against tshark on frames built by scapy (layer stack and
 * checksum verdicts, compared as in test/oracle/stack-compare.ts), and the
 * parser's API. Every capture of the shared corpora and pcaps/ is compared
 * through `inspect` in test/oracle/inspect-vs-tshark.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { PacketFlag } from '../../src/datapath/batch-layout.js';
import { layerFields } from '../../src/packet/layer-fields.js';
import { LinkType, createParser } from '../../src/packet/parse.js';
import { batches, openCapture } from '../../src/pcap/index.js';
import { requireTshark, tsharkDecode } from '../oracle/tshark.js';
import { ourStack, tsharkStack } from '../oracle/stack-compare.js';

/** Disagreements between our parser and tshark on every frame of a capture. */
async function compareWithTshark(file: string): Promise<string[]> {
  const theirs = tsharkDecode(file);
  const problems: string[] = [];
  let k = 0;
  for await (const { batch, linkType } of batches(await openCapture(file))) {
    for (const d of createParser().describe(batch, linkType)) {
      const a = ourStack(d).join(' ');
      const b = k < theirs.length ? tsharkStack(theirs[k]).join(' ') : '(no frame)';
      if (a !== b) problems.push(`frame ${k + 1}: ours "${a}"${d.error ? ` (${d.error})` : ''} vs tshark "${b}"`);
      k++;
    }
  }
  if (k !== theirs.length) problems.push(`frame count: ours ${k}, tshark ${theirs.length}`);
  return problems;
}

describe('parser vs tshark on frames built by scapy', () => {
  let dir = '';
  beforeAll(() => {
    requireTshark();
    dir = mkdtempSync(join(tmpdir(), 'vs-parse-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // Each entry: a scapy expression for one Ethernet frame.
  const FRAMES = [
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/TCP(sport=1,dport=2)/b'x'",
    "Ether()/Dot1AD(vlan=10)/Dot1Q(vlan=20)/IPv6(src='2001:db8::1',dst='2001:db8::2')/UDP(sport=3,dport=4)/b'y'",
    "Ether()/IPv6(src='2001:db8::1',dst='2001:db8::2')/IPv6ExtHdrHopByHop()/IPv6ExtHdrDestOpt()/TCP(sport=5,dport=6)",
    "Ether()/IPv6(src='2001:db8::1',dst='2001:db8::2')/IPv6ExtHdrRouting(addresses=['2001:db8::7','2001:db8::8'],segleft=2)/UDP(sport=1,dport=2)/b'rt0'",
    "Ether()/IPv6(src='2001:db8::1',dst='2001:db8::2')/IPv6ExtHdrSegmentRouting(addresses=['2001:db8::99','2001:db8::2'],segleft=1)/UDP(sport=1,dport=2)/b'srh'",
    "Ether()/IPv6(src='2001:db8::1',dst='2001:db8::2')/IPv6ExtHdrFragment(offset=0,m=1,id=5)/UDP(sport=1,dport=2,len=200)/b'frag'",
    "Ether()/IPv6(src='2001:db8::1',dst='2001:db8::2')/IPv6ExtHdrFragment(offset=10,m=0,id=5)/b'later'",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2',flags='MF')/UDP(sport=1,dport=2,len=300)/b'first'",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2',frag=5)/b'later fragment'",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2',options=[IPOption_RR(routers=['1.2.3.4'])])/ICMP()/b'opts'",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=1,dport=2,chksum=0x1234)/b'bad udp'",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2',chksum=0x1111)/TCP(sport=1,dport=2,chksum=0x2222)",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/GRE(key_present=1,key=7,chksum_present=1)/Ether()/IP(src='10.1.0.1',dst='10.1.0.2')/UDP(sport=1,dport=2)",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/GRE(proto=0x8847)/MPLS(label=100,s=1)/IP(src='10.9.0.1',dst='10.9.0.2')/TCP()",
    "Ether()/IPv6(src='2001:db8::1',dst='2001:db8::2')/UDP(sport=50000,dport=4789)/VXLAN(vni=9)/Ether()/Dot1Q(vlan=5)/IP(src='10.1.0.1',dst='10.1.0.2')/UDP(sport=1,dport=2)",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=40000,dport=6081)/GENEVE(vni=5,proto=0x6558)/Ether()/IPv6(src='fe80::1',dst='fe80::2')/ICMPv6EchoRequest()",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=50000,dport=6635)/MPLS(label=21,s=0)/MPLS(label=46,s=1)/IP(src='10.7.0.1',dst='10.7.0.2')/ICMP()",
    "Ether()/IPv6(src='fe80::1',dst='fe80::2')/ICMPv6DestUnreach()/IPv6(src='fe80::2',dst='fe80::1')/UDP(sport=1,dport=2)",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/ICMP(type=11,code=0)/IP(src='10.0.0.2',dst='10.0.0.9')/UDP(sport=33434,dport=33435)",
    "Ether()/ARP(op=2,psrc='10.0.0.1',pdst='10.0.0.2')",
    "Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/IP(src='10.5.0.1',dst='10.5.0.2')/UDP(sport=1,dport=2)",
    "Ether()/IPv6(src='2001:db8::1',dst='2001:db8::2')/IPv6ExtHdrHopByHop()/IPv6ExtHdrSegmentRouting(addresses=['2001:db8::99','2001:db8::2'],segleft=1)/IPv6ExtHdrFragment(offset=0,m=1,id=9)/TCP(sport=1,dport=2)",
  ];

  it('layers and checksum verdicts agree', async () => {
    const file = join(dir, 'frames.pcap');
    const script = [
      'import sys',
      'from scapy.all import *',
      'from scapy.contrib.mpls import MPLS',
      'from scapy.contrib.geneve import GENEVE',
      `wrpcap(sys.argv[1], [${FRAMES.join(', ')}])`,
    ].join('\n');
    execFileSync('/usr/bin/python3', ['-c', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(await compareWithTshark(file)).toEqual([]);
  });
});

describe('createParser', () => {
  it('validates its arguments', () => {
    expect(() => createParser({ vxlanPorts: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toThrow(/at most 8 UDP port numbers for options.vxlanPorts/);
    expect(() => createParser({ genevePorts: [70000] })).toThrow(/\[0, 65535\] for options.genevePorts\[0\], received number 70000/);
    const p = createParser();
    const batch = PacketBatch.create({ capacity: 1 });
    expect(() => p.parse(batch, 147)).toThrow(/supported link type .* for linkType, received number 147/);
  });

  it('parses a batch in one call and reports truncation and errors', () => {
    const batch = PacketBatch.create({ capacity: 4 });
    // scapy: bytes(Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=1,dport=4789)/VXLAN(vni=7)/Ether()/IP()/TCP())
    const f = Buffer.from(
      execFileSync('/usr/bin/python3', [
        '-c',
        "from scapy.all import *; import sys; sys.stdout.write(bytes(Ether()/IP(src='10.0.0.1',dst='10.0.0.2')/UDP(sport=1,dport=4789)/VXLAN(vni=7)/Ether()/IP(src='10.1.0.1',dst='10.1.0.2')/TCP(sport=3,dport=4)).hex())",
      ], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
      'hex',
    );
    batch.append(f);
    batch.append(f.subarray(0, 60), { wireLength: f.length }); // snaplen 60
    batch.append(f.subarray(0, 60)); // a 60-byte frame: the IP length says more
    const p = createParser({ vxlanPorts: [4789] });
    p.parse(batch, LinkType.ETHERNET);
    expect([batch.l3[0], batch.l4[0], batch.tnl[0], batch.innerL2[0], batch.innerL3[0], batch.innerL4[0]]).toEqual([14, 34, 42, 50, 64, 84]);
    expect(batch.flags[0] & PacketFlag.TUNNEL).toBeTruthy();
    expect(batch.flags[1] & PacketFlag.TRUNCATED).toBeTruthy();
    expect(batch.drop[1]).toBe(0);
    const d = p.describe(batch, LinkType.ETHERNET);
    expect(d[0].layers.map((l) => `${l.name}@${l.depth}`)).toEqual(['eth@0', 'ip@0', 'udp@0', 'vxlan@0', 'eth@1', 'ip@1', 'tcp@1']);
    expect(d[0].checksums.map((c) => c.status)).toEqual(['good', 'good', 'good', 'good']);
    expect(d[1].truncated).toBe(true);
    expect(d[1].error).toBeUndefined();
    expect(d[2].error).toBe('bad_ipv4_total_length');
    // Display fields at the reported offsets.
    const bytes = batch.packet(0);
    expect(layerFields(bytes, 'vxlan', d[0].layers[3].offset)).toMatchObject({ vni: 7 });
    expect(layerFields(bytes, 'ip', 14)).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 });
    expect(layerFields(bytes, 'tcp', 84)).toMatchObject({ srcPort: 3, dstPort: 4, flags: 'S' });
  });
});
