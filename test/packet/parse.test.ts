/**
 * The parser against tshark: every frame of every capture in
 * ../shared/corpora and frames built by scapy must get the same layer stack
 * and the same checksum verdicts (tshark reports a partial checksum as bad).
 * Where tshark decodes differently on purpose or by a tshark limitation, the
 * frame is listed in KNOWN_DIFFERENCES with the reason.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { PacketFlag } from '../../src/datapath/batch-layout.js';
import { packageRoot } from '../../src/datapath/native.js';
import { layerFields } from '../../src/packet/layer-fields.js';
import { LinkType, createParser, type PacketDescription } from '../../src/packet/parse.js';
import { requireTshark, tsharkDecode, type TsharkFrame } from '../oracle/tshark.js';
import { batchOf, readPcap } from './pcap-fixture.js';

const OURS = new Set(['eth', 'vlan', 'arp', 'ip', 'ipv6', 'tcp', 'udp', 'icmp', 'icmpv6', 'gre', 'mpls', 'vxlan', 'geneve', 'sll', 'ppp']);
// tshark protocol elements that are part of a layer we report (or only annotate one).
const TRANSPARENT = new Set(['pwethheuristic', 'pwethcw', 'pweth', 'ipv6.hopopts', 'ipv6.routing', 'ipv6.fraghdr', 'ipv6.dstopts', 'ethertype']);

/** tshark's stack cut at the first protocol the parser does not follow, as "name:status" tokens. */
// tshark names that are one of ours.
const ALIAS: Record<string, string> = { ieee8021ad: 'vlan' };

function tsharkStack(f: TsharkFrame): string {
  const out: string[] = [];
  for (const l of f.layers) {
    if (TRANSPARENT.has(l.proto) || l.proto.startsWith('_ws')) continue;
    const name = ALIAS[l.proto] ?? l.proto;
    if (!OURS.has(name)) break;
    // tshark has one element per MPLS label; the parser one layer per label stack.
    if (name === 'mpls' && out[out.length - 1] === 'mpls') continue;
    out.push(l.status ? `${name}:${l.status}` : name);
  }
  return out.join(' ');
}

function ourStack(d: PacketDescription): string {
  const out: string[] = [];
  let c = 0;
  for (const l of d.layers) {
    const cs = d.checksums[c];
    let tok: string = l.name;
    if (cs && cs.layer === l.name && cs.depth === l.depth && (cs.quoted ?? false) === (l.quoted ?? false)) {
      // Match checksums to layers in order (both lists are outermost first).
      tok += `:${cs.status === 'partial' ? 'bad' : cs.status}`;
      c++;
    }
    out.push(tok);
  }
  return out.join(' ');
}

/**
 * Frames where tshark and the parser disagree, with why. Key: "<corpus path>#<frame number>".
 */
const KNOWN_DIFFERENCES: Record<string, { ours: string; why: string }> = {
  'tcpdump/bigtcp-ipv4-vxlan-ipv4.pcap#1': {
    ours: 'eth ip:good udp:bad vxlan eth ip:good tcp:bad',
    why: 'BIG TCP: IPv4 total length and UDP length are 0; tshark stops at "UDP length 0 < 8", the parser takes both lengths from the frame (FLAG_IP_LENGTH_FROM_FRAME) and decodes the VXLAN payload. Both UDP and TCP checksums are partial (shown as bad, as tshark would)',
  },
  'tcpdump/wccp_redirect_gre.pcap#1': {
    ours: 'eth ip:good gre',
    why: 'GRE protocol 0x883e (WCCP redirect): tshark decodes the IP packet after the 4-byte redirect header; the parser does not follow WCCP',
  },
  'tcpreplay/test.pcap#11': {
    ours: 'eth mpls ip:bad',
    why: 'IPv4 total length 255 in a frame with 100 bytes after the labels: malformed (bad_ipv4_total_length, dropped); tshark decodes the ICMP in the bytes present',
  },
};

const root = packageRoot();
const corpora = join(root, '..', 'shared', 'corpora');

function listPcaps(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listPcaps(p));
    else if (name.endsWith('.pcap')) out.push(p);
  }
  return out;
}

function compareFile(file: string, rel: string): string[] {
  const pcap = readPcap(file);
  const batch = batchOf(pcap.frames);
  const ours = createParser().describe(batch, pcap.linkType);
  const theirs = tsharkDecode(file);
  expect(theirs.length, `${rel}: tshark frame count`).toBe(ours.length);
  const problems: string[] = [];
  ours.forEach((d, i) => {
    const key = `${rel}#${i + 1}`;
    const a = ourStack(d);
    const b = tsharkStack(theirs[i]);
    const known = KNOWN_DIFFERENCES[key];
    if (known) {
      if (a !== known.ours) problems.push(`${key}: known difference changed: ours now "${a}" (tshark "${b}")`);
    } else if (a !== b) {
      problems.push(`${key}: ours "${a}"${d.error ? ` (${d.error})` : ''}, tshark "${b}" [${theirs[i].protocols.join(':')}]`);
    }
  });
  return problems;
}

describe('parser vs tshark on ../shared/corpora', () => {
  beforeAll(() => {
    requireTshark();
    if (!existsSync(corpora)) throw new Error(`the shared corpora are missing: expected them at ${corpora}`);
  });

  it('has captures to check', () => {
    expect(listPcaps(corpora).length).toBeGreaterThan(10);
  });

  for (const file of existsSync(corpora) ? listPcaps(corpora) : []) {
    const rel = relative(corpora, file);
    it(rel, () => {
      expect(compareFile(file, rel)).toEqual([]);
    });
  }
});

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

  it('layers and checksum verdicts agree', () => {
    const file = join(dir, 'frames.pcap');
    const script = [
      'import sys',
      'from scapy.all import *',
      'from scapy.contrib.mpls import MPLS',
      'from scapy.contrib.geneve import GENEVE',
      `wrpcap(sys.argv[1], [${FRAMES.join(', ')}])`,
    ].join('\n');
    execFileSync('/usr/bin/python3', ['-c', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    expect(compareFile(file, 'scapy')).toEqual([]);
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
