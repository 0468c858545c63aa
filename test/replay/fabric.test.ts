/**
 * The replay fabric on its own: routing by destination IPv4, link MTU per
 * sending stack (OVS userspace drops, Linux fragments without DF: the
 * fragments compared with scapy's fragment()), receiving VLAN and MTU,
 * reassembly at a Linux receiver (the rebuilt frame is the original, byte
 * for byte), and the counters.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { loadTopology, validateTopology } from '../../src/model/load-topology.js';
import { buildFrame, type Header } from '../../src/packet/frame-builder.js';
import { Fabric, type FabricAttachment } from '../../src/replay/fabric.js';
import type { FabricLinkSettings } from '../../src/replay/fabric-settings.js';

const ATT: FabricAttachment[] = [
  { host: 'c1', port: 'p0', ip: '198.18.0.1' },
  { host: 'c2', port: 'p0', ip: '198.18.0.2' },
];
const eth: Header = { eth: { src: '02:00:c6:12:00:01', dst: '02:00:c6:12:00:02' } };
const payload = (n: number): number[] => Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
/** An outer UDP packet 198.18.0.1 -> .2 with `n` bytes of UDP payload (IP length n + 28). */
const packet = (n: number, df: boolean, head: Header[] = [eth]): Uint8Array =>
  buildFrame([...head, { ipv4: { src: '198.18.0.1', dst: '198.18.0.2', proto: 17, id: 0x4242, df, ttl: 64 } }, { udp: { sport: 49152, dport: 4789, csum: 'zero' } }], payload(n));

const fabric = (c1: Partial<FabricLinkSettings>, c2: Partial<FabricLinkSettings> = {}): Fabric =>
  new Fabric(ATT, {
    links: new Map([
      ['c1', { mtu: 1500, stack: 'ovs-userspace', ...c1 }],
      ['c2', { mtu: 1500, stack: 'ovs-userspace', ...c2 }],
    ]),
  });
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** scapy: fragment(Ether/IP) as Linux would cut it for a 1500 MTU (fragsize 1480). */
function scapyFragments(frame: Uint8Array): string[] {
  const script = [
    'import sys',
    'from scapy.all import Ether, IP, fragment, raw',
    'p = Ether(bytes.fromhex(sys.argv[1]))',
    'for f in fragment(p[IP], fragsize=1480): print(raw(Ether(src=p.src, dst=p.dst)/f).hex())',
  ].join('\n');
  return execFileSync('/usr/bin/python3', ['-c', script, hex(frame)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n');
}

describe('Fabric', () => {
  it('delivers by destination IPv4; broadcast, unknown and own addresses are not carried', () => {
    const f = fabric({});
    const r = f.carry('c1', 'p0', packet(100, true));
    expect(r.deliveries.map((d) => [d.host, d.port, d.frame.length])).toEqual([['c2', 'p0', 14 + 128]]);
    expect(f.carry('c2', 'p0', packet(100, true)).deliveries).toEqual([]); // to itself
    const arp = buildFrame([{ eth: { src: '02:00:c6:12:00:01', dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: '02:00:c6:12:00:01', spa: '198.18.0.1', tha: '00:00:00:00:00:00', tpa: '198.18.0.2' } }]);
    expect(f.carry('c1', 'p0', arp).deliveries).toEqual([]);
    expect(f.counters).toMatchObject({ carried: 1, unrouted: 2 });
    expect(f.isFabricPort('c1', 'p0')).toBe(true);
    expect(f.isFabricPort('c1', 'vm1')).toBe(false);
  });

  it('OVS userspace sender: a packet over the link MTU is dropped, DF or not (1473 + 28 = 1501 > 1500)', () => {
    const f = fabric({});
    expect(f.carry('c1', 'p0', packet(1472, false)).deliveries.length).toBe(1); // exactly 1500
    for (const df of [false, true]) expect(f.carry('c1', 'p0', packet(1473, df))).toEqual({ deliveries: [], drops: ['underlay_mtu_exceeded'] });
    expect(f.counters).toMatchObject({ carried: 1, mtuDrops: 2, fragments: 0 });
  });

  it('the sending link comes first: with one host, an oversized frame is dropped (or fragmented) before it goes nowhere', () => {
    const alone = (stack: FabricLinkSettings['stack']): Fabric => new Fabric([ATT[0]], { links: new Map([['c1', { mtu: 1500, stack }]]) });
    const ovs = alone('ovs-userspace');
    expect(ovs.longestFittingFrame('c1')).toBe(1514);
    expect(ovs.carry('c1', 'p0', packet(1473, true))).toEqual({ deliveries: [], drops: ['underlay_mtu_exceeded'] });
    expect(ovs.carry('c1', 'p0', packet(1472, true))).toEqual({ deliveries: [], drops: [] });
    expect(ovs.counters).toMatchObject({ mtuDrops: 1, unrouted: 1, carried: 0 });
    const linux = alone('linux');
    expect(linux.carry('c1', 'p0', packet(3000, false))).toEqual({ deliveries: [], drops: [] });
    expect(linux.counters).toMatchObject({ fragments: 3, unrouted: 3, mtuDrops: 0 });
  });

  it('Linux sender without DF: RFC 791 fragments, byte for byte what scapy fragment() makes', () => {
    const f = fabric({ stack: 'linux' });
    const big = packet(3000, false);
    const r = f.carry('c1', 'p0', big);
    expect(r.drops).toEqual([]);
    expect(r.deliveries.map((d) => hex(d.frame))).toEqual(scapyFragments(big));
    // IP payload 8 + 3000 = 3008 bytes: 1480 + 1480 + 48
    expect(r.deliveries.map((d) => d.frame.length)).toEqual([1514, 1514, 14 + 20 + 48]);
    expect(f.counters).toMatchObject({ fragments: 3, carried: 3 });
    // with DF the Linux stack refuses it
    expect(f.carry('c1', 'p0', packet(3000, true)).drops).toEqual(['mtu_exceeded_df']);
  });

  it('Linux receiver reassembles outer fragments before the host sees them; OVS userspace gets them as they are', () => {
    const big = packet(3000, false);
    const linux = fabric({ stack: 'linux' }, { stack: 'linux' });
    const r = linux.carry('c1', 'p0', big);
    expect(r.deliveries.map((d) => hex(d.frame))).toEqual([hex(big)]);
    expect(linux.counters).toMatchObject({ fragments: 3, reassembled: 1, carried: 1, heldFragments: 0 });
    const ovs = fabric({ stack: 'linux' }, { stack: 'ovs-userspace' });
    expect(ovs.carry('c1', 'p0', big).deliveries.length).toBe(3);
    expect(ovs.counters).toMatchObject({ reassembled: 0, carried: 3 });
  });

  it('a Linux receiver drops a datagram whose fragments do not all arrive within 30 s (ipfrag_time)', () => {
    // a Linux sender's fragments (as scapy cuts them) arriving one by one, the second 31 s after the first
    const frags = scapyFragments(packet(3000, false)).map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
    const rx = fabric({}, { stack: 'linux' });
    expect(rx.carry('c1', 'p0', frags[0], 0).deliveries).toEqual([]);
    expect(rx.counters.heldFragments).toBe(1);
    const late = rx.carry('c1', 'p0', frags[1], 31e9);
    expect(late.drops).toEqual(['reasm_timeout']);
    expect(late.deliveries).toEqual([]); // it starts a new datagram
    expect(rx.carry('c1', 'p0', frags[2], 31.5e9).deliveries).toEqual([]);
    expect(rx.counters.reassembled).toBe(0);
  });

  it('the receiving NIC accepts its own VLAN only and strips the tag; the tag is not counted against the IP MTU', () => {
    const f = fabric({ vlan: 100 }, { vlan: 100 });
    const tagged = packet(1472, true, [eth, { vlan: { vid: 100 } }]);
    const r = f.carry('c1', 'p0', tagged);
    expect(r.deliveries.map((d) => hex(d.frame))).toEqual([hex(packet(1472, true))]);
    expect(f.carry('c1', 'p0', packet(100, true, [eth, { vlan: { vid: 200 } }])).drops).toEqual(['underlay_vlan_mismatch']);
    expect(f.carry('c1', 'p0', packet(100, true)).drops).toEqual(['underlay_vlan_mismatch']);
    expect(f.counters).toMatchObject({ carried: 1, vlanDrops: 2 });
  });

  it('a tagged frame is fragmented with its tag on every fragment and reassembled untagged', () => {
    const f = fabric({ stack: 'linux', vlan: 7 }, { stack: 'linux', vlan: 7 });
    const r = f.carry('c1', 'p0', packet(3000, false, [eth, { vlan: { vid: 7 } }]));
    expect(r.drops).toEqual([]);
    expect(r.deliveries.map((d) => hex(d.frame))).toEqual([hex(packet(3000, false))]);
    expect(f.counters).toMatchObject({ fragments: 3, reassembled: 1, vlanDrops: 0 });
  });

  it('a delivered frame keeps the wire length of a frame captured short, less the tag its receiver stripped', () => {
    const f = fabric({ vlan: 100 }, { vlan: 100 });
    const tagged = packet(100, true, [eth, { vlan: { vid: 100 } }]); // 146 bytes
    expect(f.carry('c1', 'p0', tagged, undefined, 1518).deliveries.map((d) => [d.frame.length, d.wireLength])).toEqual([[142, 1514]]);
    expect(f.carry('c1', 'p0', tagged).deliveries.map((d) => [d.frame.length, d.wireLength])).toEqual([[142, 142]]);
    // fragments and the datagram a linux receiver rebuilds are what they are
    const l = fabric({ stack: 'linux' }, { stack: 'linux' });
    expect(l.carry('c1', 'p0', packet(3000, false), undefined, 4000).deliveries.map((d) => [d.frame.length, d.wireLength])).toEqual([[3042, 3042]]);
  });

  it('a receiver with a smaller MTU drops what its NIC cannot take', () => {
    const f = fabric({ mtu: 9000 }, { mtu: 1500 });
    expect(f.carry('c1', 'p0', packet(3000, true)).drops).toEqual(['underlay_rx_oversize']);
    expect(f.counters.mtuDrops).toBe(1);
  });

  it('fromTopology reads each host\'s underlay mtu, vlan and stack', () => {
    const topo = loadTopology(join(packageRoot(), 'examples', 'fragmented-vxlan', 'topology.yaml'));
    const f = Fabric.fromTopology(topo, ATT);
    expect(f.link('compute1')).toEqual({ mtu: 1500, stack: 'ovs-userspace' });
    expect(f.link('compute2')).toEqual({ mtu: 1500, stack: 'linux' });
    const v = Fabric.fromTopology(loadTopology(join(packageRoot(), 'examples', 'vxlan-over-vlan-gso', 'topology.yaml')), ATT);
    expect(v.link('compute2')).toEqual({ mtu: 1500, stack: 'ovs-userspace', vlan: 100 });
    // hosts a vrouterController section derives are not in `hosts`: the defaults
    const vr = Fabric.fromTopology(loadTopology(join(packageRoot(), 'examples', 'vrouter', 'two-computes.yaml')), ATT);
    expect(vr.link('compute1')).toEqual({ mtu: 1500, stack: 'ovs-userspace' });
    // an explicit vRouter host: its physical vif's MTU
    const topo2 = validateTopology({
      hosts: [{ name: 'vr1', kind: 'vrouter', vhostIp: '198.18.0.9', interfaces: [{ id: 0, name: 'eth0', type: 'physical', mac: '02:00:00:00:00:09', vrf: 0, mtu: 9000 }] }],
    });
    expect(Fabric.fromTopology(topo2, ATT).link('vr1')).toEqual({ mtu: 9000, stack: 'vrouter' });
  });
});
