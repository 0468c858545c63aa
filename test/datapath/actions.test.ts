/**
 * Action programs: compile / decode / dpctl text round trips, native
 * validation, and execution against frames scapy builds
 * (test/datapath/actions-scapy.py: the expected frame is scapy's rendering of
 * the rewritten headers with checksums recomputed from scratch).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { compileActions, decodeActions, formatActions, parseActions, type Action } from '../../src/datapath/actions.js';
import { PacketBatch } from '../../src/datapath/batch.js';
import { DROP_REASONS } from '../../src/datapath/drop-reasons.js';
import { native } from '../../src/datapath/native.js';
import { buildTemplate, resolveTunnel } from '../../src/tunnel/index.js';

const fromHex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function scapyCases(): Record<string, [string, string]> {
  const script = fileURLToPath(new URL('./actions-scapy.py', import.meta.url));
  return JSON.parse(execFileSync('/usr/bin/python3', [script], { encoding: 'utf8' })) as Record<string, [string, string]>;
}

/** Runs `actions` on `frame` and returns the outputs (port, bytes). */
function run(frame: Uint8Array, actions: Action[]): { outputs: { port: number; bytes: Uint8Array }[]; drop: number } {
  const batch = PacketBatch.create({ capacity: 4 });
  batch.append(frame, { inPort: 1 });
  new (native().Parser)().parse(batch.buffer, 1);
  const out = PacketBatch.create({ capacity: 8 });
  const res = native().executeActions(batch.buffer, 0, compileActions(actions), out.buffer);
  const outputs = Array.from({ length: out.count }, (_, j) => ({ port: out.next[j], bytes: out.packet(j).slice() }));
  return { outputs, drop: res.drop };
}

describe('action programs', () => {
  const sample: Action[] = [
    { type: 'push_vlan', vid: 10, pcp: 3 },
    { type: 'set', field: 'ipv4_dst', value: '10.0.0.9' },
    { type: 'set', field: 'tcp_dst', value: 8080 },
    { type: 'clone', actions: [{ type: 'pop_vlan' }, { type: 'output', port: 3 }] },
    { type: 'userspace', cookie: 7 },
    { type: 'output', port: 2 },
  ];
  const text = 'push_vlan(vid=10,pcp=3),set(ipv4(dst=10.0.0.9)),set(tcp(dst=8080)),clone(pop_vlan,3),userspace(cookie=7),2';

  it('prints in dpctl style and parses back', () => {
    expect(formatActions(sample)).toBe(text);
    expect(formatActions(parseActions(text))).toBe(text);
    expect(formatActions([])).toBe('drop');
    expect(formatActions(parseActions('drop(no_matching_rule)'))).toBe('drop(no_matching_rule)');
    expect(formatActions(parseActions('set(eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02)),set(ip(ttl=3)),set(ipv6(hlimit=4))'))).toBe(
      'set(eth(src=02:00:00:00:00:01)),set(eth(dst=02:00:00:00:00:02)),set(ip(ttl=3)),set(ip(ttl=4))',
    );
  });

  it('encodes as native/action.h says (hand-derived bytes)', () => {
    // version 1, reserved, count 2; OUTPUT (1) len 4 port 2; PUSH_VLAN (2) len 4 tpid 0x8100 tci 0x600a (pcp 3, vid 10) LE.
    expect(toHex(compileActions([{ type: 'output', port: 2 }, { type: 'push_vlan', vid: 10, pcp: 3 }]))).toBe(
      '01000200' + '01000400' + '02000000' + '02000400' + '0081' + '0a60',
    );
    expect(decodeActions(compileActions(sample))).toEqual(JSON.parse(JSON.stringify(sample)));
  });

  it('is accepted by the native validator, truncations are not', () => {
    const prog = compileActions(sample);
    expect(native().validateActions(prog)).toBe(true);
    for (let n = 0; n < prog.length; n++) expect(native().validateActions(prog.subarray(0, n))).toBe(false);
  });

  it('rejects bad arguments with messages naming the field', () => {
    expect(() => compileActions([{ type: 'push_vlan', vid: 4096 }])).toThrow(/push_vlan vid/);
    expect(() => compileActions([{ type: 'drop', reason: 'no_such_reason' }])).toThrow(/unknown drop reason/);
    expect(() => parseActions('frobnicate(1)')).toThrow(/unknown action/);
    let nested: Action[] = [{ type: 'output', port: 1 }];
    for (let d = 0; d < 5; d++) nested = [{ type: 'clone', actions: nested }];
    expect(() => compileActions(nested)).toThrow(/nested deeper/);
  });

  describe('execution against scapy', () => {
    const cases = scapyCases();
    const expectOne = (name: string, actions: Action[]): void => {
      const [input, expected] = cases[name];
      const res = run(fromHex(input), [...actions, { type: 'output', port: 5 }]);
      expect(res.outputs.length).toBe(1);
      expect(res.outputs[0].port).toBe(5);
      expect(toHex(res.outputs[0].bytes)).toBe(expected);
    };
    it('rewrites IPv4/UDP addresses, ports, TTL, DSCP and MAC', () =>
      expectOne('udp4_rewrite', parseActions('set(ipv4(src=192.168.1.1)),set(ipv4(dst=172.16.0.9)),set(udp(src=53)),set(udp(dst=80)),set(ip(ttl=63)),set(ip(dscp=46)),set(eth(dst=aa:bb:cc:dd:ee:ff))')));
    it('pushes a VLAN tag', () => expectOne('tcp4_push_vlan', parseActions('push_vlan(vid=10,pcp=3)')));
    it('pops a VLAN tag', () => expectOne('udp4_pop_vlan', parseActions('pop_vlan')));
    it('rewrites IPv6/TCP with hop limit and traffic class', () =>
      expectOne('tcp6_rewrite', parseActions('set(ipv6(src=2001:db8::a,dst=2001:db8::b)),set(tcp(dst=8443)),set(ip(ttl=9)),set(ip(dscp=10))')));
    it('updates the ICMPv6 checksum', () => expectOne('icmp6_rewrite', parseActions('set(ipv6(dst=fd00::99))')));
  });

  it('drops with the named reason, or no_output_action', () => {
    const frame = fromHex(scapyCases().udp4_rewrite[0]);
    const names = DROP_REASONS.map(([n]) => n as string);
    expect(names[run(frame, parseActions('drop(no_matching_rule),1')).drop]).toBe('no_matching_rule');
    expect(names[run(frame, []).drop]).toBe('no_output_action');
    expect(run(frame, parseActions('clone(drop),4')).outputs.map((o) => o.port)).toEqual([4]);
  });

  it('tnl_push gives the bytes of the tunnel module encap', () => {
    const frame = fromHex(scapyCases().udp4_rewrite[0]);
    const spec = { type: 'vxlan' as const, local: '192.0.2.1', remote: '192.0.2.2', vni: 1000, srcPort: 50000 };
    const template = buildTemplate(resolveTunnel(spec));
    const res = run(frame, [{ type: 'tnl_push', tunnelPort: 9, template }, { type: 'output', port: 2 }]);
    const direct = PacketBatch.create({ capacity: 1 });
    direct.append(frame, { inPort: 1 });
    new (native().Parser)().parse(direct.buffer, 1);
    native().tunnelEncap(direct.buffer, template, new Uint16Array(1), null);
    expect(toHex(res.outputs[0].bytes)).toBe(toHex(direct.packet(0)));
    expect(formatActions([{ type: 'tnl_push', tunnelPort: 9, template }])).toMatch(
      /^tnl_push\(tnl_port\(9\),header\(size=50,type=vxlan,eth\(.*\),ipv4\(src=192\.0\.2\.1,dst=192\.0\.2\.2,proto=17,.*\),udp\(src=0,dst=4789,csum=0x0\),vxlan\(flags=0x8000000,vni=0x3e8\)\)\)$/,
    );
  });
});
