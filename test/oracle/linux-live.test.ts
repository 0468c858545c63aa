/**
 * The real Linux kernel, live: runs the namespace scripts of
 * ../shared/oracles/linux with sizes, MSS and flags beyond the shipped
 * examples (into a temporary OUT folder) and compares our `linux` profile
 * with what the kernel emitted. Needs root, iproute2, ethtool and tcpdump (CI
 * runs as root); fails with a clear message otherwise. Masked: the outer IPv4
 * ID and IP checksum (random per run in the kernel), the ICMP error's IP ID.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

import { createParser } from '../../src/packet/parse.js';
import { encapBatch } from '../../src/tunnel/index.js';
import { fragmentIpv4, gsoBatch, icmpFragNeeded } from '../../src/offload/index.js';
import { batchOf, emptyBatch, framesOf, hex, mac, mask, oracleDir, readFrames, readInput, route } from './linux-oracle.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'vs-linux-oracle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function script(name: string, env: Record<string, string>, args: string[] = []): Promise<string> {
  if (process.getuid?.() !== 0)
    throw new Error(`the Linux oracle needs root (network namespaces): run the tests as root, as CI does`);
  const out = join(work, `${name}-${Object.values(env).join('-')}-${args.join('_')}`.replace(/[^\w.-]/g, '_'));
  try {
    await run('bash', [join(oracleDir(), name), ...args], { env: { ...process.env, ...env, OUT: out }, timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${name} failed (needs iproute2, ethtool, tcpdump): ${e.stderr ?? e.message}`);
  }
  return out;
}

async function gsoLive(name: string, env: Record<string, string>, args: string[], prep?: (f: Uint8Array) => Uint8Array) {
  const dir = await script(name, env, args);
  const input = await readInput(dir);
  const inb = batchOf([prep ? prep(input.frame) : input.frame], [input.vnetHdr]);
  const out = emptyBatch(256);
  expect(gsoBatch(inb, out, { profile: 'linux' }).outputFull).toBe(false);
  const want = await readFrames(join(dir, 'out.pcap'));
  expect(want.length).toBeGreaterThan(0);
  return { got: framesOf(out), want };
}

describe.concurrent('Linux kernel, live namespaces: GSO beyond the shipped examples', () => {
  const cases: [string, Record<string, string>, string[]][] = [
    ['v4 7000 B, MSS 1000', { IPV: '4', PAYLOAD: '7000', GSO_SIZE: '1000' }, []],
    ['v4 CWR|FIN|PSH|ACK: CWR first, FIN/PSH last', { IPV: '4', PAYLOAD: '4000', GSO_SIZE: '1448' }, ['--tcp-flags', '0x99']],
    ['v4 payload = 3 x MSS', { IPV: '4', PAYLOAD: String(3 * 1448), GSO_SIZE: '1448' }, []],
    ['v4 payload = MSS + 1', { IPV: '4', PAYLOAD: '1449', GSO_SIZE: '1448' }, []],
    ['v6 5000 B, MSS 1200', { IPV: '6', PAYLOAD: '5000', GSO_SIZE: '1200' }, []],
    ['USO v4 3001 B, gso 700', { IPV: '4' }, ['--proto', 'udp', '--payload', '3001', '--gso-size', '700']],
    ['USO v6 2000 B, gso 1000', { IPV: '6' }, ['--proto', 'udp', '--payload', '2000', '--gso-size', '1000']],
  ];
  for (const [what, env, args] of cases) {
    it(`bridge ${what}`, async () => {
      const { got, want } = await gsoLive('02-gso-bridge.sh', env, args);
      expect(hex(got)).toEqual(hex(want));
    }, 90_000);
  }
  it('route v4 9000 B, MSS 1300 (TTL-1, new MACs)', async () => {
    const { got, want } = await gsoLive('02-gso-route.sh', { IPV: '4', PAYLOAD: '9000', GSO_SIZE: '1300' }, [], (f) =>
      route(f, 14, mac('02:00:00:00:00:02'), mac('02:00:00:00:01:02')),
    );
    expect(hex(got)).toEqual(hex(want));
  }, 90_000);
  for (const [csum, ipv] of [['0', '4'], ['1', '6']] as const) {
    it(`VXLAN udpcsum=${csum} inner v${ipv}, 9000 B, MSS 1000`, async () => {
      const dir = await script('03-vxlan-gso.sh', { UDPCSUM: csum, IPV: ipv, PAYLOAD: '9000', GSO_SIZE: '1000' });
      const input = await readInput(dir);
      const inb = batchOf([input.frame], [input.vnetHdr]);
      encapBatch(inb, {
        type: 'vxlan', local: '198.18.0.1', remote: '198.18.0.2', srcMac: '02:00:00:00:0b:01', dstMac: '02:00:00:00:0b:02',
        vni: 100, srcPort: 49152, udpChecksum: csum === '1' ? 'compute' : 'zero',
      });
      createParser().parse(inb, 1);
      const out = emptyBatch(256);
      gsoBatch(inb, out, { profile: 'linux' });
      const want = await readFrames(join(dir, 'out.pcap'));
      expect(want.length).toBe(9);
      expect(hex(mask(framesOf(out), [[18, 2], [24, 2]]))).toEqual(hex(mask(want, [[18, 2], [24, 2]])));
    }, 90_000);
  }
  it('fragment v4: MTU 600, 1500-byte TCP packet, DF clear', async () => {
    const dir = await script('04-fragment-v4.sh', { MTU: '600', SIZE: '1500', PROTO: 'tcp' });
    const [frame] = await readFrames(join(dir, 'in.pcap'));
    const inb = batchOf([route(frame, 14, mac('02:00:00:00:00:02'), mac('02:00:00:00:01:02'))]);
    const out = emptyBatch(8);
    expect(fragmentIpv4(inb, 0, 600, out).fragments).toBe(3);
    expect(hex(framesOf(out))).toEqual(hex(await readFrames(join(dir, 'out.pcap'))));
  }, 90_000);
  it('frag-needed v4: MTU 1280, 1400-byte DF packet', async () => {
    const dir = await script('04-frag-needed-v4.sh', { MTU: '1280', SIZE: '1400' });
    const [frame] = await readFrames(join(dir, 'in.pcap'));
    const inb = batchOf([frame]);
    const out = emptyBatch(4);
    icmpFragNeeded(inb, 0, 1280, { srcMac: mac('02:00:00:00:01:01'), srcIp: Uint8Array.of(192, 0, 2, 254) }, out);
    const want = await readFrames(join(dir, 'icmp-back.pcap'));
    expect(hex(mask(framesOf(out), [[18, 2], [24, 2]]))).toEqual(hex(mask(want, [[18, 2], [24, 2]])));
  }, 90_000);
});
