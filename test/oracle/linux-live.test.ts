/**
 * The real Linux kernel, live: runs the namespace scripts of
 * ../shared/oracles/linux with sizes, MSS and flags beyond the shipped
 * examples (into a temporary OUT folder) and compares our `linux` profile
 * with what the kernel emitted. Needs root, iproute2, ethtool and tcpdump (CI
 * runs as root); fails with a clear message otherwise. Each script runs in
 * its own process group with a time limit; its tcpdumps and namespaces are
 * removed whatever happens (tested below by killing a run midway). Masked: the outer IPv4
 * ID and IP checksum (random per run in the kernel), the ICMP error's IP ID.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { createParser } from '../../src/packet/parse.js';
import { encapBatch } from '../../src/tunnel/index.js';
import { fragmentIpv4, gsoBatch, icmpFragNeeded } from '../../src/offload/index.js';
import { batchOf, emptyBatch, framesOf, hex, mac, mask, oracleDir, readFrames, readInput, route } from './linux-oracle.js';

const work = mkdtempSync(join(tmpdir(), 'vs-linux-oracle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Namespaces of one script run: lib.sh names them lo-<tag>-<role><bash pid>. */
function namespacesOf(pid: number): string[] {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const re = new RegExp(`^lo-[a-z]+-[a-z]${pid}$`);
  return list.split('\n').map((l) => l.split(' ')[0]).filter((n) => re.test(n));
}

/**
 * Runs one oracle script in its own process group with a time limit. Whatever
 * happens (failure, timeout, a test assertion later), its tcpdumps are stopped
 * (the group is signalled) and its namespaces deleted: the script's EXIT trap
 * does it, and this function checks and finishes the job.
 */
function runScript(path: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, started?: (pid: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path, ...args], { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const pid = child.pid ?? 0;
    started?.(pid);
    const signal = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-pid, sig);
      } catch {
        // group already gone
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), 3000).unref();
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      signal('SIGKILL');
      for (const ns of namespacesOf(pid)) {
        try {
          execFileSync('ip', ['netns', 'del', ns]);
        } catch {
          // deleted meanwhile
        }
      }
      if (code === 0 && !timedOut) resolve();
      else reject(new Error(timedOut ? `timed out after ${timeoutMs} ms\n${stderr}` : `exit ${String(code)}\n${stderr}`));
    });
  });
}

async function script(name: string, env: Record<string, string>, args: string[] = []): Promise<string> {
  if (process.getuid?.() !== 0)
    throw new Error(`the Linux oracle needs root (network namespaces): run the tests as root, as CI does`);
  const out = join(work, `${name}-${Object.values(env).join('-')}-${args.join('_')}`.replace(/[^\w.-]/g, '_'));
  try {
    await runScript(join(oracleDir(), name), args, { ...process.env, ...env, OUT: out }, 60_000);
  } catch (err) {
    throw new Error(`${name} failed (needs iproute2, ethtool, tcpdump): ${(err as Error).message}`);
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
  it('a script killed midway leaves no namespace behind', async () => {
    if (process.getuid?.() !== 0) throw new Error('the Linux oracle needs root (network namespaces)');
    let pid = 0;
    const out = join(work, 'killed');
    const run = runScript(join(oracleDir(), '02-gso-bridge.sh'), [], { ...process.env, IPV: '4', OUT: out }, 1500, (p) => (pid = p));
    await expect(run).rejects.toThrow(/timed out/);
    expect(pid).toBeGreaterThan(0);
    expect(namespacesOf(pid)).toEqual([]);
  }, 30_000);
});
