/**
 * Our `linux` profile against the real Linux kernel's frames shipped in
 * ../shared/oracles/linux/examples (captured by the namespace scripts there:
 * tap with virtio_net_hdr in, veth with offloads off, tcpdump out). Byte for
 * byte; only kernel-randomised fields are masked (outer IPv4 ID and the IP
 * checksum covering it, the ICMP error's IP ID and checksum).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { encapBatch } from '../../src/tunnel/index.js';
import { createParser } from '../../src/packet/parse.js';
import {
  completeChecksums,
  fragmentIpv4,
  gsoBatch,
  icmpFragNeeded,
  icmpv6PacketTooBig,
  mtuCheck,
} from '../../src/offload/index.js';
import { batchOf, emptyBatch, exampleDir, framesOf, hex, mac, mask, readFrames, readInput, route } from './linux-oracle.js';

async function gsoExample(name: string, prep?: (f: Uint8Array) => Uint8Array): Promise<{ got: Uint8Array[]; want: Uint8Array[] }> {
  const dir = exampleDir(name);
  const input = await readInput(dir);
  const frame = prep ? prep(input.frame) : input.frame;
  const inb = batchOf([frame], [input.vnetHdr]);
  const out = emptyBatch(256);
  const r = gsoBatch(inb, out, { profile: 'linux' });
  expect(r.outputFull).toBe(false);
  return { got: framesOf(out), want: await readFrames(join(dir, 'out.pcap')) };
}

describe('Linux GSO (shipped examples)', () => {
  for (const name of ['gso-bridge-v4', 'gso-bridge-v6', 'gso-bridge-v4-uso', 'gso-bridge-v4-zerolast']) {
    it(`${name}: segments byte for byte`, async () => {
      const { got, want } = await gsoExample(name);
      expect(want.length).toBeGreaterThan(1);
      expect(hex(got)).toEqual(hex(want));
    });
  }
  // Routed: the router (02:00:00:00:01:02 -> vS 02:00:00:00:00:02) decrements TTL before segmenting.
  for (const name of ['gso-route-v4', 'gso-route-v6']) {
    it(`${name}: TTL-1 and new MACs, then segments byte for byte`, async () => {
      const { got, want } = await gsoExample(name, (f) => route(f, 14, mac('02:00:00:00:00:02'), mac('02:00:00:00:01:02')));
      expect(hex(got)).toEqual(hex(want));
    });
  }
});

describe('Linux checksum completion (shipped examples)', () => {
  for (const v of ['tcp4', 'tcp6', 'udp4', 'udp6', 'tcp4-zero', 'udp4-zero', 'udp6-zero']) {
    it(`${v}: skb_checksum_help result, 0 written as 0xffff`, async () => {
      const dir = exampleDir('csum-complete');
      const input = await readInput(dir, `in-${v}`);
      const b = batchOf([input.frame], [input.vnetHdr]);
      expect(completeChecksums(b)).toBe(1);
      const want = await readFrames(join(dir, `out-${v}.pcap`));
      expect(hex(framesOf(b))).toEqual(hex(want));
    });
  }
  it('tcp4-txon: a NIC with tx checksumming leaves the pseudo-header sum (nothing completed in software)', async () => {
    const dir = exampleDir('csum-complete');
    const input = await readInput(dir, 'in-tcp4-txon');
    const b = batchOf([input.frame], [input.vnetHdr]);
    const want = await readFrames(join(dir, 'out-tcp4-txon.pcap'));
    expect(hex(framesOf(b))).toEqual(hex(want));
  });
});

// vx0: VNI 100, 198.18.0.1 -> 198.18.0.2, srcport pinned to 49152, vU 02:00:00:00:0b:01 -> vP 02:00:00:00:0b:02.
function vxlanSpec(udpCsum: boolean) {
  return {
    type: 'vxlan' as const,
    local: '198.18.0.1',
    remote: '198.18.0.2',
    srcMac: '02:00:00:00:0b:01',
    dstMac: '02:00:00:00:0b:02',
    vni: 100,
    srcPort: 49152,
    udpChecksum: udpCsum ? ('compute' as const) : ('zero' as const),
  };
}

describe('Linux VXLAN + GSO (shipped examples; outer ID and IP checksum masked)', () => {
  for (const [name, csum] of [
    ['vxlan-gso-v4-udpcsum', true],
    ['vxlan-gso-v4-noudpcsum', false],
    ['vxlan-gso-v6-udpcsum', true],
  ] as const) {
    it(`${name}: encap the super-packet, then segment`, async () => {
      const dir = exampleDir(name);
      const input = await readInput(dir);
      const inb = batchOf([input.frame], [input.vnetHdr]);
      expect(encapBatch(inb, vxlanSpec(csum))).toBe(1);
      createParser().parse(inb, 1);
      const out = emptyBatch(256);
      expect(gsoBatch(inb, out, { profile: 'linux' }).outputFull).toBe(false);
      const want = await readFrames(join(dir, 'out.pcap'));
      expect(hex(mask(framesOf(out), [[18, 2], [24, 2]]))).toEqual(hex(mask(want, [[18, 2], [24, 2]])));
    });
  }
});

describe('Linux MTU: fragmentation and ICMP errors (shipped examples)', () => {
  it('fragment-v4: DF clear, MTU 1400 -> 1396 + 124 byte fragments after the router', async () => {
    const dir = exampleDir('fragment-v4');
    const [frame] = await readFrames(join(dir, 'in.pcap'));
    const routed = route(frame, 14, mac('02:00:00:00:00:02'), mac('02:00:00:00:01:02'));
    const inb = batchOf([routed]);
    expect(mtuCheck(inb, 0, 1400).verdict).toBe('fragment');
    const out = emptyBatch(8);
    expect(fragmentIpv4(inb, 0, 1400, out)).toEqual({ drop: 'none', fragments: 2 });
    expect(hex(framesOf(out))).toEqual(hex(await readFrames(join(dir, 'out.pcap'))));
  });
  it('frag-needed-v4: DF set -> ICMP 3/4 mtu 1400 from 192.0.2.254 (IP ID and checksum masked)', async () => {
    const dir = exampleDir('frag-needed-v4');
    const [frame] = await readFrames(join(dir, 'in.pcap'));
    const inb = batchOf([frame]);
    expect(mtuCheck(inb, 0, 1400).verdict).toBe('too-big-df');
    const out = emptyBatch(4);
    icmpFragNeeded(inb, 0, 1400, { srcMac: mac('02:00:00:00:01:01'), srcIp: Uint8Array.of(192, 0, 2, 254) }, out);
    const want = await readFrames(join(dir, 'icmp-back.pcap'));
    expect(hex(mask(framesOf(out), [[18, 2], [24, 2]]))).toEqual(hex(mask(want, [[18, 2], [24, 2]])));
  });
  for (const [name, fl] of [
    ['ptb-v6', 0x079163],
    ['ptb-v6-autofl0', 0],
  ] as const) {
    it(`${name}: ICMPv6 Packet Too Big mtu 1400, 1280 bytes, from 2001:db8:1::ff`, async () => {
      const dir = exampleDir(name);
      const [frame] = await readFrames(join(dir, 'in.pcap'));
      const inb = batchOf([frame]);
      expect(mtuCheck(inb, 0, 1400).verdict).toBe('too-big-v6');
      const out = emptyBatch(4);
      const src = Uint8Array.from(Buffer.from('20010db8000100000000000000000000ff'.slice(0, 32), 'hex'));
      src[15] = 0xff;
      // flow label: the kernel's automatic flow hash of this boot (a kernel-chosen field), 0 with auto_flowlabels=0.
      icmpv6PacketTooBig(inb, 0, 1400, { srcMac: mac('02:00:00:00:01:01'), srcIp: src, flowLabel: fl }, out);
      const want = await readFrames(join(dir, 'icmp-back.pcap'));
      expect(hex(framesOf(out))).toEqual(hex(want));
    });
  }
});
