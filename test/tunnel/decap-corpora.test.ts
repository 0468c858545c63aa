/**
 * Decap of real captures (../shared/corpora, see PROVENANCE.tsv) against
 * tshark: every frame tshark decodes as a tunnel the tables terminate must
 * decap to exactly the inner bytes tshark locates (its inner eth / ip element
 * position, and the UDP or inner IP length it shows); every other frame must
 * be dropped with the reason that tshark's view of its outer headers implies.
 * None of the GRE corpora carries MPLSoGRE (protocol 0x8847): they check the
 * GRE validation (version, accepted flags C/K, protocol).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { dropReasonName } from './drop-name.js';
import { openCapture } from '../../src/pcap/open-capture.js';
import { decapBatch, type DecapTables } from '../../src/tunnel/index.js';
import { requireTshark, TSHARK_ARGS } from '../oracle/tshark.js';
import { batchOf, corpora, framesOf, hex } from './helpers.js';

interface PdmlPacket {
  protos: { name: string; pos: number; size: number }[];
  fields: Map<string, string[]>; // name -> show values in document order
}

function pdml(file: string): PdmlPacket[] {
  const text = execFileSync('tshark', ['-r', file, ...TSHARK_ARGS, '-T', 'pdml'], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: PdmlPacket[] = [];
  let cur: PdmlPacket | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('<packet>')) out.push((cur = { protos: [], fields: new Map() }));
    if (!cur) continue;
    const p = /<proto name="([^"]+)".*?size="(\d+)" pos="(\d+)"/.exec(line);
    if (p) cur.protos.push({ name: p[1], size: Number(p[2]), pos: Number(p[3]) });
    const f = /<field name="([^"]+)"[^>]*?\sshow="([^"]*)"/.exec(line);
    if (f) cur.fields.set(f[1], [...(cur.fields.get(f[1]) ?? []), f[2]]);
  }
  return out;
}

/** Frame bytes of a capture (pcap or pcapng) through src/pcap. */
async function pcapFrames(file: string): Promise<Uint8Array[]> {
  const reader = await openCapture(file);
  const out: Uint8Array[] = [];
  for await (const r of reader.records()) out.push(r.data.slice());
  return out;
}

function corpus(rel: string): string {
  const path = join(corpora, rel);
  if (!existsSync(path)) throw new Error(`missing corpus file ${path}: the decap tests need ../shared/corpora next to the repository`);
  return path;
}

const nth = (p: PdmlPacket, name: string, k: number): number | undefined => p.protos.filter((x) => x.name === name)[k]?.pos;
const field = (p: PdmlPacket, name: string, k = 0): string | undefined => p.fields.get(name)?.[k];

/**
 * What tshark's decode of `p` implies for a GRE receiver that accepts the flag
 * bits `flags` (C 0x8000, K 0x2000, S 0x1000) and the protocol `proto`: the
 * drop reason, or 'none' when it decapsulates; with the frame's protocol list
 * and its outer IP protocol name.
 */
function greExpectation(p: PdmlPacket, flags: number, proto: number): { expected: string; protos: string[]; outerIp: string | undefined } {
  const protos = (field(p, 'frame.protocols') ?? '').split(':');
  const outerIp = protos.find((x) => x === 'ip' || x === 'ipv6');
  const greDirect = outerIp !== undefined && protos[protos.indexOf(outerIp) + 1] === 'gre';
  let expected = 'not_a_tunnel';
  if (greDirect) {
    const word = parseInt(field(p, 'gre.flags_and_version')!, 16);
    if ((word & 7) !== 0) expected = 'bad_gre_version';
    else if ((word & 0xfff8 & ~flags) !== 0) expected = 'gre_flags_not_accepted';
    else if (parseInt(field(p, 'gre.proto')!, 16) !== proto) expected = 'gre_unsupported_protocol';
    else expected = 'none';
  }
  return { expected, protos, outerIp };
}

function runDecap(frames: Uint8Array[], tables: DecapTables) {
  const batch = batchOf(frames);
  const res = decapBatch(batch, tables);
  return { res, out: framesOf(batch), drops: Array.from(batch.drop.subarray(0, batch.count), dropReasonName) };
}

describe('decap of real captures equals the inner frames tshark shows', () => {
  requireTshark();

  for (const rel of ['tcpdump/vxlan.pcap', 'pcapplusplus/Vxlan1.pcap', 'pcapplusplus/Vxlan2.pcap']) {
    it(`VXLAN: ${rel}`, async () => {
      const file = corpus(rel);
      const frames = await pcapFrames(file);
      const ts = pdml(file);
      const { res, out, drops } = runDecap(frames, { vxlan: { vnis: 'any' } });
      expect(frames.length).toBe(ts.length);
      ts.forEach((p, k) => {
        const status = field(p, 'udp.checksum.status');
        if (status === '0') {
          expect(drops[k], `frame ${k + 1}`).toBe('bad_outer_udp_checksum');
          return;
        }
        const innerPos = nth(p, 'eth', 1)!;
        const innerLen = Number(field(p, 'udp.length')) - 16;
        expect(drops[k], `frame ${k + 1}`).toBe('none');
        expect(hex(out[k]), `frame ${k + 1}`).toBe(hex(frames[k].subarray(innerPos, innerPos + innerLen)));
        expect(res.info[k]?.vni).toBe(Number(field(p, 'vxlan.vni')));
        expect(res.info[k]?.outerSrc).toBe(field(p, 'ip.src'));
      });
      // tcpdump's file is all VNI 100: a table without it drops every frame as invalid_vnid.
      if (rel === 'tcpdump/vxlan.pcap') {
        expect(runDecap(frames, { vxlan: { vnis: [101] } }).drops.every((d) => d === 'invalid_vnid')).toBe(true);
        expect(runDecap(frames, { vxlan: { vnis: [100] } }).res.count).toBe(frames.length);
      }
    });
  }

  it('MPLSoUDP: tcpdump/mpls-over-udp.pcap (labels 21 and 46 to inet nexthops)', async () => {
    const file = corpus('tcpdump/mpls-over-udp.pcap');
    const frames = await pcapFrames(file);
    const ts = pdml(file);
    const macs = { dstMac: '02:00:00:00:00:aa', srcMac: '02:00:00:00:00:bb' };
    const tables: DecapTables = { mplsoudp: {}, labels: [{ label: 21, payload: 'ip', ...macs }, { label: 46, payload: 'ip', ...macs }] };
    const { res, out, drops } = runDecap(frames, tables);
    ts.forEach((p, k) => {
      const innerIpPos = nth(p, 'ip', 1)!;
      const innerLen = Number(field(p, 'ip.len', 1));
      expect(drops[k]).toBe('none');
      // Ethernet header from the label entry (dst, src, type IPv4), then the inner IP packet.
      expect(hex(out[k])).toBe('0200000000aa0200000000bb0800' + hex(frames[k].subarray(innerIpPos, innerIpPos + innerLen)));
      expect(res.info[k]?.label).toBe(Number(field(p, 'mpls.label')));
      expect(res.info[k]?.labels?.[0].ttl).toBe(Number(field(p, 'mpls.ttl')));
    });
    // A label missing from the table: invalid_label.
    expect(runDecap(frames, { mplsoudp: {}, labels: [{ label: 22, payload: 'ip' }] }).drops).toEqual(['invalid_label', 'invalid_label']);
  });

  for (const rel of ['tcpdump/various_gre.pcap', 'pcapplusplus/GrePackets.pcap']) {
    it(`GRE (no MPLSoGRE inside): ${rel} is dropped with the reason tshark's decode implies`, async () => {
      const file = corpus(rel);
      const frames = await pcapFrames(file);
      const ts = pdml(file);
      const { res, drops } = runDecap(frames, { mplsogre: {}, labels: [{ label: 16, payload: 'ip' }] });
      expect(res.count).toBe(0);
      ts.forEach((p, k) => {
        // MPLSoGRE accepts C and K; no frame of these captures carries MPLS, so none decapsulates
        const { expected, protos } = greExpectation(p, 0xa000, 0x8847);
        expect(expected, `frame ${k + 1} ${protos.join(':')}: no MPLSoGRE expected in ${rel}`).not.toBe('none');
        expect(drops[k], `frame ${k + 1} ${protos.join(':')}`).toBe(expected);
      });
    });
  }

  // Ethernet over GRE (protocol 0x6558, OVS's gre port): PcapPlusPlus's GrePackets.pcap has one keyed frame;
  // tcpdump's various_gre.pcap has none, so for it every frame must drop with the reason tshark's decode implies
  for (const rel of ['tcpdump/various_gre.pcap', 'pcapplusplus/GrePackets.pcap']) {
    it(`Ethernet over GRE: ${rel} decaps the 0x6558 frames to the inner Ethernet tshark shows, the rest drop as tshark implies`, async () => {
      const file = corpus(rel);
      const frames = await pcapFrames(file);
      const ts = pdml(file);
      const { res, out, drops } = runDecap(frames, { gre: {} });
      let teb = 0;
      ts.forEach((p, k) => {
        // Ethernet over GRE accepts C, K and S
        const { expected, protos, outerIp } = greExpectation(p, 0xb000, 0x6558);
        expect(drops[k], `frame ${k + 1} ${protos.join(':')}`).toBe(expected);
        if (expected !== 'none') return;
        teb++;
        // the inner frame: tshark's second eth element, to the end of the outer IP packet
        const innerPos = nth(p, 'eth', 1)!;
        const ipPos = nth(p, outerIp!, 0)!;
        const ipEnd = ipPos + Number(field(p, 'ip.len'));
        expect(hex(out[k]), `frame ${k + 1}`).toBe(hex(frames[k].subarray(innerPos, ipEnd)));
        expect(res.info[k]?.type).toBe('gre');
        const key = field(p, 'gre.key');
        expect(res.info[k]?.greKey).toBe(key === undefined ? undefined : Number(key));
      });
      expect(res.count).toBe(teb);
      // tshark: GrePackets.pcap holds one Ethernet-over-GRE frame; various_gre.pcap none (there only the drops are checked)
      expect(teb, `${rel}: Ethernet-over-GRE frames`).toBe(rel.startsWith('pcapplusplus') ? 1 : 0);
    });
  }
});
