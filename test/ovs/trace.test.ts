import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadTopology } from '../../src/model/load-topology.js';
import { buildOvsHost } from '../../src/ovs/build-host.js';
import { flowFromString } from '../../src/ovs/flow.js';
import { traceJson, traceText } from '../../src/ovs/trace-format.js';
import { readClassicPcap } from '../oracle/ovs-sandbox.js';

const ORACLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'oracles', 'ovs', 'examples');
const structure = (text: string): string[] =>
  text.split('\n').filter((l) => /^bridge\(/.test(l) || /^\s*\d+\. /.test(l) || /^ {4}\S/.test(l));

/** The neutron host after the oracle's capture went through it (so NORMAL knows the remote VM). */
function learnedHost() {
  const topo = loadTopology(join(import.meta.dirname, '..', '..', 'examples', 'ovs', 'neutron-vxlan-host.yaml'));
  if (topo.hosts[0].kind !== 'ovs') throw new Error('kind');
  const h = buildOvsHost(topo.hosts[0]);
  for (const f of readClassicPcap(readFileSync(join(ORACLE, 'in-test.pcap')))) {
    const src = Array.from(f.subarray(6, 12), (x) => x.toString(16).padStart(2, '0')).join(':');
    h.receive(src === 'fa:16:3e:00:00:01' ? 'vm1' : src === 'fa:16:3e:00:00:02' ? 'vm2' : 'p0', f);
  }
  return h;
}

describe('trace text (ofproto/trace layout)', () => {
  it('walks the same bridges, tables, rules and actions as ofproto/trace for the encap case', () => {
    const h = learnedHost();
    const vm1 = h.port('vm1')!;
    const flow = 'in_port=vm1,udp,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:99,nw_src=192.0.2.1,nw_dst=192.0.2.99,nw_ttl=64,udp_src=40002,udp_dst=53';
    const ours = traceText(h.translate(vm1, flowFromString(flow, (n) => vm1.bridge.portByRef(n)!.ofport), false));
    const real = readFileSync(join(ORACLE, 'trace-encap.txt'), 'utf8');
    expect(structure(ours)).toEqual(structure(real));
    expect(ours.split('\n')[0]).toBe(real.split('\n')[0]); // the Flow: line
    const dp = (t: string): string => t.split('\n').find((l) => l.startsWith('Datapath actions:'))!.replace('type=vxlan', 'type=4');
    // ofproto/trace also prints out_port(<br-phys dp port>) and no clone() around the last action
    const mf = (t: string): string => t.split('\n').find((l) => l.startsWith('Megaflow:'))!;
    expect(mf(ours)).toBe(mf(real)); // pkt_mark=0,recirc_id=0,eth,ip,in_port=1,dl_src=...,nw_ecn=0,nw_frag=no
    expect(dp(ours)).toContain('header(size=50,type=4,eth(dst=02:00:c6:12:00:02,src=02:00:c6:12:00:01,dl_type=0x0800),ipv4(src=198.18.0.1,dst=198.18.0.2,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x64))');
  });

  it('prints the tnl_pop megaflow of the outer frame as ofproto/trace does', () => {
    const h = learnedHost();
    const p0 = h.port('p0')!;
    const flow = 'in_port=p0,udp,dl_src=02:00:c6:12:00:02,dl_dst=02:00:c6:12:00:01,nw_src=198.18.0.2,nw_dst=198.18.0.1,nw_ttl=64,udp_src=54321,udp_dst=4789';
    const ours = traceText(h.translate(p0, flowFromString(flow, (n) => p0.bridge.portByRef(n)!.ofport), false));
    const real = readFileSync(join(ORACLE, 'trace-decap.txt'), 'utf8');
    const mf = (t: string): string => t.split('\n').find((l) => l.startsWith('Megaflow:'))!;
    expect(mf(ours)).toBe(mf(real)); // recirc_id=0,eth,udp,in_port=1,...,nw_dst=198.18.0.1,nw_frag=no,tp_dst=4789
    expect(ours).toMatch(/Datapath actions: tnl_pop\(4789\)$/);
  });

  it('walks the decap case inside br-tun and br-int as ofproto/trace does', () => {
    const h = learnedHost();
    const vx = h.port('vxlan-c6120002')!;
    const flow = 'in_port=vxlan-c6120002,tun_id=0x64,tun_src=198.18.0.2,tun_dst=198.18.0.1,udp,dl_src=fa:16:3e:00:00:99,dl_dst=fa:16:3e:00:00:01,nw_src=192.0.2.99,nw_dst=192.0.2.1,nw_ttl=64,udp_src=53,udp_dst=40002';
    const r = h.translate(vx, flowFromString(flow, (n) => vx.bridge.portByRef(n)!.ofport), false);
    const real = readFileSync(join(ORACLE, 'trace-decap.txt'), 'utf8');
    const second = real.slice(real.indexOf('Flow: udp,tun_src'));
    expect(structure(traceText(r))).toEqual(structure(second));
    const j = traceJson(r);
    // the popped packet's megaflow: OVS also prints tun_tos and tun_flags, which the model's flow does not hold
    const realMf = second.split('\n').find((l) => l.startsWith('Megaflow:'))!.replace(',tun_tos=0,tun_flags=-df-csum-key', '');
    expect(`Megaflow: ${j.megaflow}`).toBe(realMf.replace('in_port=2', `in_port=${vx.ofport}`));
    expect(h.portByDp(Number(j.datapathActions))?.name).toBe('vm1');
    expect(j.learned[0]).toContain('table=20 priority=1,vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:00:00:99');
  });
});
