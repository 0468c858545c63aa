/**
 * The two-compute fabric run by the datapath engine (VrouterDatapathFabric)
 * against the per-packet model fabric (VrouterFabric, whose frames
 * test/vrouter/scenario.test.ts checks with scapy and tshark): same delivered
 * frames, same wire frames (byte for byte: both stamp the vRouter's outer
 * IPv4 ID counter in the order packets leave, src/vrouter/outer-ip-id.ts),
 * same drops; and `vrouter flow --datapath` lists the
 * megaflows, written by hand from the topology below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { buildFrame, TCP } from '../../src/packet/frame-builder.js';
import { buildFromController, VrouterDatapathFabric, VrouterFabric, type ControllerInput } from '../../src/vrouter/index.js';
import { cli } from '../cli/run-cli.js';
import { hex, repoRoot, writePcap } from '../tunnel/helpers.js';
import { RED1, VR, twoComputes } from './two-computes.js';

const tmp = mkdtempSync(join(tmpdir(), 'vs-vrdp-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const topo = twoComputes(['MPLSoUDP']);

const tcpSyn = (sport: number): Uint8Array =>
  buildFrame([{ eth: { src: RED1, dst: VR } }, { ipv4: { src: '10.1.1.3', dst: '10.2.2.4', ttl: 64, id: 0x1111, df: true } }, { tcp: { sport, dport: 80, seq: 1000, flags: TCP.SYN } }]);
const arpReq = (tpa: string): Uint8Array =>
  buildFrame([{ eth: { src: RED1, dst: 'ff:ff:ff:ff:ff:ff' } }, { arp: { op: 1, sha: RED1, spa: '10.1.1.3', tha: '00:00:00:00:00:00', tpa } }]);

const wireHex = (f: Uint8Array): string => hex(f);

describe('VrouterDatapathFabric', () => {
  it('delivers what the per-packet fabric delivers, frames and drops', async () => {
    const model = new VrouterFabric(buildFromController(topo));
    const dp = new VrouterDatapathFabric(buildFromController(topo));
    try {
      const frames = [arpReq('10.1.1.4'), arpReq('10.1.1.77'), ...Array.from({ length: 6 }, (_, k) => tcpSyn(40000 + (k % 2))), tcpSyn(40000).map((b, k) => (k === 22 ? 1 : b))];
      for (const f of frames) {
        const want = model.sendFrom('tap-red1', f);
        const got = await dp.send('compute1', 3, f);
        expect(got.delivered.map((x) => `${x.host}/${x.vif}:${hex(x.frame)}`)).toEqual(want.delivered.map((x) => `${x.host}/${x.vif}:${hex(x.frame)}`));
        expect(got.wire.map((x) => `${x.from}>${x.to}:${wireHex(x.frame)}`)).toEqual(want.wire.map((x) => `${x.from}>${x.to}:${wireHex(x.frame)}`));
        expect(got.drops).toEqual(want.drops);
        // MPLSoUDP: the outer ID is the vRouter's counter (1, 2, ... per compute), never a copy of the inner ID
        for (const w of got.wire) expect((w.frame[18] << 8) | w.frame[19]).not.toBe(0);
        expect(got.trace.length).toBeGreaterThan(0);
      }
      // Routed TCP red1 -> blue2 on compute1, hand-derived: in_port = tap-red1 (vif 3), TTL 64 matched
      // exactly, rewritten to 63, then MPLSoUDP to compute2 with blue2's L3 label 18, out of vif 0.
      const flows = await dp.flows('compute1');
      const tcp = flows.find((l) => l.includes('ipv4(dst=10.2.2.4') && l.includes('ttl=64'));
      expect(tcp).toMatch(/^recirc_id\(0\),in_port\(3\),eth\(dst=00:00:5e:00:01:00\),vlan\(.*\),eth_type\(0x0800\),ipv4\(dst=10\.2\.2\.4,ttl=64,frag=no\), packets:\d+, bytes:\d+, actions:set\(ip\(ttl=63\)\),check_mtu\(mtu=1468,profile=vrouter,src_mac=00:00:5e:00:01:00,src_ip4=10\.1\.1\.1\),tnl_push\(tnl_port\(0\),header\(.*udp\(src=0,dst=6635.*mpls\(label=18,.*\)\),0$/);
      // compute2: pop + recirculate, then label 18 (blue2's L3 label) -> vif 4 with the L2 rewrite.
      const c2 = await dp.flows('compute2');
      expect(c2.some((l) => /^recirc_id\(0\),in_port\(0\),.*actions:tnl_pop\(0\),recirc\(0x1\)$/.test(l))).toBe(true);
      expect(c2.some((l) => /^recirc_id\(1\),tunnel\(tun_id=0x12\),in_port\(0\),.*actions:set\(eth\(dst=02:00:00:00:02:04\)\),set\(eth\(src=00:00:5e:00:01:00\)\),4$/.test(l))).toBe(true);
      const st = await dp.stats('compute1');
      expect(st.pmds[0].emcHits + st.pmds[0].megaflowHits).toBeGreaterThan(0);
    } finally {
      await dp.close();
    }
  });

  it('`vrouter flow --datapath` replays a capture and lists the megaflows', async () => {
    const pcap = join(tmp, 'in.pcap');
    writePcap(pcap, [tcpSyn(40000), tcpSyn(40000), tcpSyn(40000)]);
    const { code, text } = await cli(['vrouter', 'flow', join(repoRoot, 'examples', 'vrouter', 'two-computes.yaml'), '--host', 'compute1', '--replay', pcap, '--from', 'tap-red1', '--datapath']);
    expect(code).toBe(0);
    expect(text).toMatch(/^recirc_id\(0\),in_port\(3\),.*ipv4\(dst=10\.2\.2\.4,ttl=64,frag=no\), packets:\d+, bytes:\d+, actions:set\(ip\(ttl=63\)\),check_mtu\(mtu=1468,profile=vrouter,src_mac=00:00:5e:00:01:00,src_ip4=10\.1\.1\.1\),tnl_push\(.*\),0$/m);
  });
});
