import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildFrame, TCP } from '../../src/packet/frame-builder.js';
import { traceCli as run } from '../cli/run-cli.js';

const EX = join(import.meta.dirname, '..', '..', 'examples', 'ovs');

describe('vswitch-sim trace', () => {
  it('shows the TaaS failure: the dl_vlan mirror rule is not hit between access ports', async () => {
    const text = await run([join(EX, 'taas-mirror.yaml'), '--in', 'compute1:vm1', '--packet',
      'in_port=vm1,tcp,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02,nw_src=192.0.2.1,nw_dst=192.0.2.2,nw_ttl=64,tcp_src=40004,tcp_dst=22']);
    expect(text).toContain('Flow: tcp,in_port=1,vlan_tci=0x0000');
    expect(text).toContain(' 0. priority 0\n    goto_table:58');
    expect(text).not.toContain('priority 20');
  });

  it('takes hex bytes and prints JSON', async () => {
    const f = buildFrame([{ eth: { src: 'fa:16:3e:00:00:99', dst: 'fa:16:3e:00:00:02' } }, { ipv4: { src: '192.0.2.99', dst: '192.0.2.2' } }, { tcp: { sport: 80, dport: 40004, flags: TCP.SYN } }]);
    const json = JSON.parse(await run([join(EX, 'taas-mirror.yaml'), '--in', 'p1', '--packet', Buffer.from(f).toString('hex'), '--json'])) as { events: { kind: string; match?: string }[]; datapathActions: string };
    expect(json.events.some((e) => e.kind === 'rule' && e.match === 'dl_vlan=1,dl_dst=fa:16:3e:00:00:02')).toBe(true);
    expect(json.datapathActions).toMatch(/push_vlan\(vid=3900,pcp=0\)/);
  });

  it('reports a bad port or flow as a user error', async () => {
    await expect(run([join(EX, 'taas-mirror.yaml'), '--in', 'nope', '--packet', 'in_port=1'])).rejects.toMatchObject({ code: 'ERR_TOPOLOGY_REF' });
    await expect(run([join(EX, 'taas-mirror.yaml'), '--in', 'vm1', '--packet', 'in_port=vm1,bogus=1'])).rejects.toMatchObject({ code: 'ERR_TOPOLOGY_FLOW_SYNTAX' });
  });
});
