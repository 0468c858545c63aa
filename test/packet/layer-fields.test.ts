import { describe, expect, it } from 'vitest';

import { formatIpv6, formatTcpFlags, layerFields } from '../../src/packet/layer-fields.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('layerFields', () => {
  it('formats IPv6 addresses as RFC 5952 text', () => {
    expect(formatIpv6(hex('20010db8000000000000000000000001'), 0)).toBe('2001:db8::1');
    expect(formatIpv6(hex('00000000000000000000000000000000'), 0)).toBe('::');
    expect(formatIpv6(hex('20010db8000000010000000000000001'), 0)).toBe('2001:db8:0:1::1'); // longest run wins
    expect(formatIpv6(hex('20010db8000100010001000100010001'), 0)).toBe('2001:db8:1:1:1:1:1:1');
    expect(formatIpv6(hex('20010db8000000010001000100010001'), 0)).toBe('2001:db8:0:1:1:1:1:1'); // a single 0 stays
  });

  it('reads MPLS label stacks, GRE keys, ARP and TCP flags', () => {
    // labels 21 (S=0, TTL 64) and 46 (S=1, TTL 64): (21<<12)|64 = 0x00015040, (46<<12)|0x100|64 = 0x0002e140
    expect(layerFields(hex('00015040 0002e140 45'), 'mpls', 0)).toEqual({ labels: '21/46', tc: 0, ttl: 64 });
    // GRE C|K|S (0xb000), protocol 0x0800, checksum+reserved, key 0x1234, sequence 7
    expect(layerFields(hex('b0000800 49f60000 00001234 00000007'), 'gre', 0)).toEqual({ protocol: 0x800, version: 0, key: 0x1234, seq: 7 });
    // ARP request 10.0.0.1 -> 10.0.0.9 from 02:00:00:00:00:01
    const arp = hex('0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000009');
    expect(layerFields(arp, 'arp', 0)).toEqual({ op: 1, sha: '02:00:00:00:00:01', spa: '10.0.0.1', tha: '00:00:00:00:00:00', tpa: '10.0.0.9' });
    expect(formatTcpFlags(0x12)).toBe('SA');
    expect(formatTcpFlags(0x11)).toBe('FA');
    expect(layerFields(hex('0800'), 'icmp', 0)).toEqual({});  // cut short: nothing
    expect(layerFields(hex('0800f7ff'), 'icmp', 0)).toEqual({ type: 8, code: 0 });
  });
});
