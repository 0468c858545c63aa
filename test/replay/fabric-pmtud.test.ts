/**
 * Bridged VXLAN path-MTU discovery as Linux does it (src/replay/fabric-pmtud.ts),
 * against the Linux oracle: ../shared/oracles/linux/examples/vxlan-gso-pmtu
 * holds the TSO super-packet a guest wrote into a tap bridged to a vxlan
 * device of MTU 1450 (in.pcap), and the ICMP the kernel sent back into the
 * tap (tap-back.pcap). Our answer to the same frame must be that frame, byte
 * for byte. The other cases follow the kernel's rules (ip_tunnel_core.c),
 * and tshark checks the IPv6 answer's checksum.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';
import { buildFrame } from '../../src/packet/frame-builder.js';
import { openCapture } from '../../src/pcap/index.js';
import { PcapWriter } from '../../src/pcap/pcap-writer.js';
import { pmtudAnswer, vxlanFrame, vxlanFromRemote } from '../../src/replay/fabric-pmtud.js';
import { requireTshark } from '../oracle/tshark.js';

const oracle = join(packageRoot(), '..', 'shared', 'oracles', 'linux', 'examples', 'vxlan-gso-pmtu');

async function onlyFrame(file: string): Promise<Uint8Array> {
  if (!existsSync(file)) throw new Error(`the Linux oracle capture is missing: ${file}`);
  const frames: Uint8Array[] = [];
  for await (const r of (await openCapture(file)).records()) frames.push(r.data.slice());
  expect(frames).toHaveLength(1);
  return frames[0];
}

const eth = { eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } };
const udp4 = (df: boolean, size: number, src = '192.0.2.1', dst = '192.0.2.2'): Uint8Array =>
  buildFrame([eth, { ipv4: { src, dst, proto: 17, id: 7, df, ttl: 61 } }, { udp: { sport: 1, dport: 2 } }], new Array(size).fill(0xab));

describe('bridged VXLAN PMTU discovery (Linux skb_tunnel_check_pmtu)', () => {
  it('answers the oracle\'s oversize guest frame with exactly the ICMP Linux sent back into the tap', async () => {
    const sent = await onlyFrame(join(oracle, 'in.pcap'));
    const back = await onlyFrame(join(oracle, 'tap-back.pcap'));
    const ours = pmtudAnswer(sent, 1500 - 50);
    expect(ours && Buffer.from(ours).toString('hex')).toBe(Buffer.from(back).toString('hex'));
  });

  it('answers only what the kernel answers', () => {
    expect(pmtudAnswer(udp4(true, 1450 - 28), 1450)).toBeUndefined(); // fits exactly
    expect(pmtudAnswer(udp4(false, 1472), 1450)).toBeUndefined(); // no DF: fragmented further on instead
    expect(pmtudAnswer(udp4(true, 1472), 500)).toBeUndefined(); // below 576
    expect(pmtudAnswer(udp4(true, 1472, '127.0.0.1'), 1450)).toBeUndefined(); // loopback source
    expect(pmtudAnswer(udp4(true, 1472, '192.0.2.1', '239.1.1.1'), 1450)).toBeUndefined(); // multicast destination
    const icmpErr = buildFrame([eth, { ipv4: { src: '192.0.2.1', dst: '192.0.2.2', proto: 1, df: true } }, { icmp: { type: 3, code: 1, rest: 0 } }], new Array(1472).fill(0));
    expect(pmtudAnswer(icmpErr, 1450)).toBeUndefined();
    const a = pmtudAnswer(udp4(true, 1472), 1450) as Uint8Array;
    expect(a.length).toBe(14 + 576); // quotes the original up to 576 bytes in all
    expect([a[14 + 20], a[14 + 21], (a[14 + 26] << 8) | a[14 + 27]]).toEqual([3, 4, 1450]);
    expect(a[14 + 8]).toBe(61); // the original's TTL
  });

  it('answers IPv6 with a Packet Too Big that tshark validates, and wraps answers in VXLAN from the remote VTEP', async () => {
    requireTshark();
    const six = buildFrame(
      [{ eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' } }, { ipv6: { src: '2001:db8::1', dst: '2001:db8::2', next: 17, hlim: 63 } }, { udp: { sport: 1, dport: 2 } }],
      new Array(1500).fill(1),
    );
    const ptb = pmtudAnswer(six, 1450) as Uint8Array;
    expect(ptb.length).toBe(14 + 1280);
    const outer = buildFrame([{ eth: { src: '02:00:c6:12:00:01', dst: '02:00:c6:12:00:02' } }, { ipv4: { src: '198.18.0.1', dst: '198.18.0.2', proto: 17, df: true } }, { udp: { sport: 50000, dport: 4789 } }, { vxlan: { vni: 100 } }], six);
    const v = vxlanFrame(outer);
    expect(v?.vni).toBe(100);
    const wrapped = vxlanFromRemote(v!, ptb);
    const dir = mkdtempSync(join(tmpdir(), 'vs-pmtud-'));
    const w = await PcapWriter.create(join(dir, 'x.pcap'));
    await w.write(wrapped, 0, 0);
    await w.close();
    const out = execFileSync('tshark', ['-r', join(dir, 'x.pcap'), '-o', 'ip.check_checksum:TRUE', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'vxlan.vni', '-e', 'icmpv6.type', '-e', 'icmpv6.mtu', '-e', 'icmpv6.checksum.status', '-e', 'ipv6.src', '-e', 'ipv6.hlim'], { encoding: 'utf8' }).trim();
    expect(out.split('\t')).toEqual(['198.18.0.2', '198.18.0.1', '100', '2', '1450', '1', '2001:db8::2,2001:db8::1', '63,63']);
  });
});
