import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { formatFlow, KEY_FIELDS, keyMatches, keyNumber, parseMatch } from '../../src/datapath/flow-key.js';
import { native } from '../../src/datapath/native.js';
import { buildFrame } from '../../src/packet/frame-builder.js';

function parsedKey(frame: Uint8Array, inPort: number): Uint8Array {
  const b = PacketBatch.create({ capacity: 1 });
  b.append(frame, { inPort });
  new (native().Parser)().parse(b.buffer, 1);
  return b.key(0).slice();
}

describe('flow key', () => {
  it('has the native field offsets (flow_key.h, hand-counted)', () => {
    expect(KEY_FIELDS.dl_dst[0]).toBe(56);
    expect(KEY_FIELDS.nw_src[0]).toBe(80);
    expect(KEY_FIELDS.nw_proto[0]).toBe(116);
    expect(KEY_FIELDS.tp_dst[0]).toBe(134);
  });

  it('parses OVS-style matches and prints dpctl-style flows', () => {
    const km = parseMatch('in_port=1,tcp,nw_dst=10.0.0.0/24,tp_dst=80');
    expect(formatFlow(km.key, km.mask)).toBe('in_port(1),eth_type(0x0800),ipv4(dst=10.0.0.0/255.255.255.0,proto=6),tcp(dst=80)');
    const v6 = parseMatch('ipv6,ipv6_src=fd00::/64,dl_vlan=100');
    expect(formatFlow(v6.key, v6.mask)).toBe('vlan(vid=100),eth_type(0x86dd),ipv6(src=fd00::/ffff:ffff:ffff:ffff::)');
    expect(formatFlow(new Uint8Array(144), new Uint8Array(144))).toBe('in_port(ANY)');
  });

  it('matches keys the native parser fills', () => {
    const frame = buildFrame(
      [{ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } }, { ipv4: { src: '192.0.2.1', dst: '10.0.0.77', proto: 6 } }, { tcp: { sport: 1234, dport: 80 } }],
      [1, 2, 3],
    );
    const key = parsedKey(frame, 1);
    expect(keyNumber(key, 'tp_dst')).toBe(80);
    expect(keyMatches(key, parseMatch('in_port=1,tcp,nw_dst=10.0.0.0/24,tp_dst=80'))).toBe(true);
    expect(keyMatches(key, parseMatch('in_port=2,tcp'))).toBe(false);
    expect(keyMatches(key, parseMatch('udp'))).toBe(false);
    expect(keyMatches(key, parseMatch(''))).toBe(true);
  });

  it('names the field in errors', () => {
    expect(() => parseMatch('tp_dst=70000')).toThrow(/tp_dst/);
    expect(() => parseMatch('bogus=1')).toThrow(/unknown match field "bogus"/);
    expect(() => parseMatch('nw_dst=fd00::1')).toThrow(/IPv4 prefix/);
  });
});
