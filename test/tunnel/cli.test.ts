/**
 * The encap / decap commands end to end: encapsulate a real capture
 * (tcpdump's vxlan.pcap inner traffic is not needed: any Ethernet capture
 * will do), check with tshark, decapsulate back and compare with the input.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';

import { registerDecap } from '../../src/cli/decap.js';
import { registerEncap } from '../../src/cli/encap.js';
import { openCapture } from '../../src/pcap/open-capture.js';
import { requireTshark } from '../oracle/tshark.js';
import { corpora, hex } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vs-tunnel-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerEncap(program);
  registerDecap(program);
  await program.parseAsync(args, { from: 'user' });
}

async function frames(path: string): Promise<string[]> {
  const out: string[] = [];
  for await (const r of (await openCapture(path)).records()) out.push(hex(r.data));
  return out;
}

describe('vswitch-sim encap / decap', () => {
  it('encapsulates a capture in VXLAN that tshark decodes, and decap restores it', async () => {
    requireTshark();
    const input = join(corpora, 'tcpreplay', 'test.pcap');
    const enc = join(tmp, 'enc.pcap');
    const dec = join(tmp, 'dec.pcap');
    await cli(['encap', '--tunnel', 'vxlan', '--vni', '5001', '--local', '10.0.0.1', '--remote', '10.0.0.2', '--src-port', '49999', input, enc]);
    const fields = execFileSync('tshark', ['-r', enc, '-T', 'fields', '-e', 'vxlan.vni', '-e', 'udp.srcport', '-e', 'ip.src'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .trim()
      .split('\n');
    const original = await frames(input);
    expect(fields.length).toBe(original.length);
    for (const line of fields) {
      const [vni, sport, src] = line.split('\t');
      expect(vni).toBe('5001');
      expect(sport.split(',')[0]).toBe('49999');
      expect(src.split(',')[0]).toBe('10.0.0.1');
    }
    await cli(['decap', '--vni', '5001', '--keep-inner-vlan', enc, dec]);
    expect(await frames(dec)).toEqual(original);
  });

  it('encapsulates in Ethernet-over-GRE with a key and one global outer IPv4 ID counter, as tshark reads it', async () => {
    requireTshark();
    const input = join(corpora, 'tcpreplay', 'test.pcap');
    const enc = join(tmp, 'gre.pcap');
    await cli(['encap', '--tunnel', 'gre', '--gre-key', '7', '--ip-id', 'global', '--local', '192.0.2.1', '--remote', '192.0.2.2', input, enc]);
    const rows = execFileSync('tshark', ['-r', enc, '-T', 'fields', '-e', 'gre.proto', '-e', 'gre.key', '-e', 'ip.id', '-e', 'ip.checksum.status', '-o', 'ip.check_checksum:TRUE'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.length).toBe((await frames(input)).length);
    // one counter from 1, pre-incremented (vRouter's vr_generate_unique_ip_id), whatever the inner packet
    rows.forEach(([proto, key, ids, csum], i) => {
      expect(proto).toBe('0x6558');
      expect(Number(key)).toBe(7);
      expect(Number(ids.split(',')[0])).toBe(i + 1);
      expect(csum.split(',')[0]).toBe('1'); // tshark: 0 bad, 1 good, 2 unverified
    });
  });

  it('reports bad arguments as usage errors naming the field', async () => {
    await expect(cli(['encap', '--tunnel', 'vxlan', '--local', '10.0.0.1', '--remote', '10.0.0.2', 'a.pcap', join(tmp, 'x.pcap')])).rejects.toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringMatching(/vni is required/),
    });
  });
});
