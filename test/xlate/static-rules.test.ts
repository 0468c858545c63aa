import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { formatActions } from '../../src/datapath/actions.js';
import { PacketBatch } from '../../src/datapath/batch.js';
import { formatFlow } from '../../src/datapath/flow-key.js';
import { native } from '../../src/datapath/native.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { StaticRules } from '../../src/xlate/static-rules.js';
import type { Upcall } from '../../src/xlate/upcall.js';

function upcall(inPort: number, dport: number): Upcall {
  const frame = buildFrame(
    [{ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } }, { ipv4: { src: '192.0.2.1', dst: '10.0.0.7', proto: 6 } }, { tcp: { sport: 999, dport } }],
    [],
  );
  const b = PacketBatch.create({ capacity: 1 });
  b.append(frame, { inPort });
  new (native().Parser)().parse(b.buffer, 1);
  return { seq: 0, inPort, key: b.key(0).slice(), packet: b.packet(0).slice() };
}

const rules = new StaticRules({
  rules: [
    { priority: 10, match: 'in_port=1', actions: '2' },
    { priority: 20, match: 'in_port=1,tcp,tp_dst=80', actions: 'push_vlan(vid=5),2' },
    { priority: 5, match: 'in_port=3', actions: 'drop' },
  ],
});

describe('static rules', () => {
  it('picks the highest priority match and masks every field it consulted', () => {
    const web = rules.translate(upcall(1, 80));
    expect(formatActions(web.actions as Uint8Array)).toBe('push_vlan(vid=5,pcp=0),2');
    // Only the first rule was tried: in_port, dl_type, nw_proto, tp_dst.
    expect(formatFlow(upcall(1, 80).key.map((b, k) => b & web.mask![k]), web.mask!)).toBe('in_port(1),eth_type(0x0800),ipv4(proto=6),tcp(dst=80)');
    const ssh = rules.translate(upcall(1, 22));
    expect(formatActions(ssh.actions as Uint8Array)).toBe('2');
    // The web rule was tried and failed on tp_dst, so the megaflow keeps tp_dst exact.
    expect(formatFlow(upcall(1, 22).key.map((b, k) => b & ssh.mask![k]), ssh.mask!)).toBe('in_port(1),eth_type(0x0800),ipv4(proto=6),tcp(dst=22)');
    expect(formatActions(rules.translate(upcall(3, 1)).actions as Uint8Array)).toBe('drop');
    expect(formatActions(rules.translate(upcall(9, 1)).actions as Uint8Array)).toBe('drop(no_matching_rule)');
  });

  it('reports the path of a bad entry', () => {
    expect(() => new StaticRules({ rules: [{ priority: 1, match: 'in_port=1', actions: 'frob' }] })).toThrow(/^rules\[0\]\.actions: unknown action/);
    expect(() => new StaticRules({ rules: [{ priority: 1, match: 'nope=1', actions: '1' }] })).toThrow(/^rules\[0\]\.match:/);
    const dir = mkdtempSync(join(tmpdir(), 'vs-static-'));
    const file = join(dir, 'r.yaml');
    writeFileSync(file, 'tunnels:\n  t: { type: vxlan, local: 192.0.2.1, remote: 192.0.2.2 }\nrules: []\n');
    expect(() => StaticRules.load(file)).toThrow(/^tunnels\.t: .*vni/);
    try {
      StaticRules.load(file);
    } catch (err) {
      expect((err as { code: string }).code).toBe('ERR_TOPOLOGY_STATIC_RULES');
    }
  });
});
