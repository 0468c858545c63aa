/**
 * Encap against independent decoders: every combination of tunnel type x
 * IPv4/IPv6 underlay x outer VLAN x L2/L3 payload x one/two labels, with a
 * pinned source port, must equal byte for byte the frame scapy builds from
 * the same fields (test/oracle/scapy_encap.py), and tshark must decode each
 * frame as the intended stack with every checksum good (or absent when the
 * UDP checksum policy is zero).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { buildFrame, TCP } from '../../src/packet/frame-builder.js';
import { CompiledTunnels, encapBatch, type TunnelSpec } from '../../src/tunnel/index.js';
import { requireTshark, tsharkDecode } from '../oracle/tshark.js';
import { batchOf, framesOf, hex, repoRoot, writePcap } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vs-tunnel-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Inner frames: IPv4/UDP with DF and ID 0x1234, TTL 61; IPv6/TCP hop limit 40.
const innerV4 = buildFrame(
  [{ eth: { src: '02:aa:00:00:00:01', dst: '02:aa:00:00:00:02' } }, { ipv4: { src: '10.1.0.1', dst: '10.2.0.2', ttl: 61, id: 0x1234, df: true } }, { udp: { sport: 1000, dport: 2000 } }],
  Array.from({ length: 37 }, (_, k) => k),
);
const innerV6 = buildFrame(
  [{ eth: { src: '02:aa:00:00:00:03', dst: '02:aa:00:00:00:04' } }, { ipv6: { src: 'fd00::1', dst: 'fd00::2', hlim: 40 } }, { tcp: { sport: 4000, dport: 80, flags: TCP.SYN | TCP.ACK } }],
  Array.from({ length: 20 }, (_, k) => 255 - k),
);

interface Case {
  spec: TunnelSpec;
  inner: Uint8Array;
  oracle: Record<string, unknown>;
}

function makeCases(): Case[] {
  const cases: Case[] = [];
  let n = 0;
  for (const type of ['vxlan', 'mplsoudp', 'mplsogre'] as const)
    for (const v6 of [false, true])
      for (const vlan of [false, true])
        for (const payload of type === 'vxlan' ? (['ethernet'] as const) : (['ip', 'ethernet'] as const))
          for (const nLabels of type === 'vxlan' ? [0] : [1, 2]) {
            const k = n++;
            const inner = k % 2 === 0 ? innerV4 : innerV6;
            const innerIsV4 = inner === innerV4;
            const innerTtl = innerIsV4 ? 61 : 40;
            // Vary the other options across the matrix so each is covered.
            const ttl = k % 3 === 0 ? 'inherit' : 30 + k;
            const mplsTtl = k % 4 === 1 ? 200 : 'inherit';
            const ipId = (['counter', 'copy-inner', 'zero'] as const)[k % 3];
            const df = (['clear', 'set', 'inherit'] as const)[(k >> 1) % 3];
            const udpChecksum = v6 ? (k % 5 === 0 ? 'zero' : 'compute') : k % 2 === 0 ? 'compute' : 'zero';
            const controlWord = payload === 'ethernet' && type !== 'vxlan' && k % 2 === 1;
            const greKey = type === 'mplsogre' && k % 3 !== 1 ? 0x01020304 + k : undefined;
            const labels = [1000 + k, 70000 + k].slice(0, nLabels);
            const spec: TunnelSpec = {
              type,
              local: v6 ? '2001:db8::a' : '192.0.2.10',
              remote: v6 ? '2001:db8::b' : '192.0.2.20',
              srcMac: '02:00:00:00:01:0a',
              dstMac: '02:00:00:00:01:0b',
              tos: 0x28,
              ttl,
              ...(vlan ? { vlan: 100 + k, vlanPcp: 5 } : {}),
              ...(type === 'vxlan' ? { vni: 5001 + k } : { labels, payload, mplsTtl, mplsTc: k % 8 }),
              ...(controlWord ? { controlWord } : {}),
              ...(greKey !== undefined ? { greKey } : {}),
              ...(type !== 'mplsogre' ? { srcPort: 50000 + k, udpChecksum } : {}),
              ...(v6 ? { flowLabel: 0x12345 } : { ipId, df, ipIdStart: 300 + k }),
            };
            // Expected per-packet values, from the policies' definitions.
            const outerTtl = ttl === 'inherit' ? innerTtl : ttl;
            const ipIdValue = ipId === 'zero' ? 0 : ipId === 'copy-inner' && innerIsV4 ? 0x1234 : 300 + k;
            const dfValue = df === 'set' || (df === 'inherit' && (innerIsV4 || !innerIsV4)); // inner IPv4 has DF; IPv6 counts as DF
            const payloadBytes = payload === 'ip' ? inner.subarray(14) : inner;
            cases.push({
              spec,
              inner,
              oracle: {
                type,
                ipv6: v6,
                src_mac: spec.srcMac,
                dst_mac: spec.dstMac,
                vlan: vlan ? 100 + k : null,
                vlan_pcp: 5,
                local: spec.local,
                remote: spec.remote,
                tos: 0x28,
                ttl: outerTtl,
                ip_id: ipIdValue,
                df: dfValue,
                flow_label: 0x12345,
                sport: 50000 + k,
                dport: type === 'vxlan' ? 4789 : 6635,
                udp_checksum: type === 'mplsogre' ? 'zero' : udpChecksum,
                vni: 5001 + k,
                labels: labels.map((label) => ({ label, tc: k % 8, ttl: mplsTtl === 'inherit' ? innerTtl : mplsTtl })),
                control_word: controlWord,
                gre_key: greKey ?? null,
                payload_hex: hex(payloadBytes),
              },
            });
          }
  return cases;
}

const cases = makeCases();

function encapAll(): Uint8Array[] {
  const batch = batchOf(cases.map((c) => c.inner));
  const compiled = new CompiledTunnels(cases.map((c) => c.spec));
  const select = Uint16Array.from(cases, (_, k) => k);
  batch.hash.fill(0xdeadbeef); // any hash: the ports are pinned
  expect(encapBatch(batch, compiled, select)).toBe(cases.length);
  expect(Array.from(batch.drop)).toEqual(cases.map(() => 0));
  return framesOf(batch);
}

describe('encap matches scapy byte for byte', () => {
  const ours = encapAll();

  it('covers the whole matrix (3 types x 2 underlays x 2 VLAN x payloads x label counts)', () => {
    expect(cases.length).toBe(4 + 16 + 16);
  });

  it('every frame equals the scapy-built frame', () => {
    const out = execFileSync('/usr/bin/python3', [join(repoRoot, 'test', 'oracle', 'scapy_encap.py')], {
      input: JSON.stringify(cases.map((c) => c.oracle)),
      encoding: 'utf8',
    });
    const expected = JSON.parse(out) as string[];
    expect(expected.length).toBe(cases.length);
    cases.forEach((c, k) => expect(hex(ours[k]), `case ${k}: ${JSON.stringify(c.spec)}`).toBe(expected[k]));
  });

  it('tshark decodes every frame as the intended stack with checksums good or absent as configured', () => {
    requireTshark();
    const file = join(tmp, 'encap.pcap');
    writePcap(file, ours);
    const decodeAs = cases.flatMap((c) =>
      c.spec.payload === 'ethernet' ? ['-d', `mpls.label==${c.spec.labels![c.spec.labels!.length - 1]},${c.spec.controlWord ? 'pwethcw' : 'pwethnocw'}`] : [],
    );
    const frames = tsharkDecode(file, decodeAs);
    expect(frames.length).toBe(cases.length);
    cases.forEach((c, k) => {
      const f = frames[k];
      const where = `case ${k}: ${JSON.stringify(c.spec)} -> ${f.protocols.join(':')}`;
      const outerIp = c.spec.local.includes(':') ? 'ipv6' : 'ip';
      const innerIp = c.inner === innerV4 ? 'ip' : 'ipv6';
      const innerL4 = c.inner === innerV4 ? 'udp' : 'tcp';
      const stack = ['eth', 'ethertype', ...(c.spec.vlan !== undefined ? ['vlan', 'ethertype'] : []), outerIp];
      if (c.spec.type === 'vxlan') stack.push('udp', 'vxlan', 'eth', 'ethertype');
      else {
        stack.push(...(c.spec.type === 'mplsoudp' ? ['udp', 'mpls'] : ['gre', 'mpls']));
        if (c.spec.payload === 'ethernet') stack.push('eth', 'ethertype');
      }
      stack.push(innerIp, innerL4);
      expect(f.protocols.slice(0, stack.length), where).toEqual(stack);
      const layerNames = f.layers.map((l) => l.proto);
      if (c.spec.controlWord) expect(layerNames, where).toContain('pwethcw');
      const statuses = f.layers.filter((l) => l.status !== undefined).map((l) => `${l.proto}:${l.status}`);
      // tshark calls a zero UDP checksum over IPv6 "illegal" (RFC 8200; only RFC 6935 tunnels may send it).
      const zero = c.oracle.udp_checksum === 'zero';
      const zeroVerdict = outerIp === 'ipv6' ? 'illegal' : 'absent';
      const outerUdp = c.spec.type === 'mplsogre' ? [] : [`udp:${zero ? zeroVerdict : 'good'}`];
      const expected = [...(outerIp === 'ip' ? ['ip:good'] : []), ...outerUdp, ...(innerIp === 'ip' ? ['ip:good'] : []), `${innerL4}:good`];
      expect(statuses, where).toEqual(expected);
    });
  });
});
