/**
 * `vswitch-sim inspect` end to end, through the built command (`npm test`
 * compiles dist/ first): output shape, exit codes, one-line errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../src/datapath/native.js';

const root = packageRoot();
const demo = join(root, 'pcaps', 'demo.pcap');

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'vswitch-sim.js'), ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vswitch-sim inspect', () => {
  it('prints one line per packet with the layer stack and checksum verdicts', () => {
    const r = cli('inspect', demo);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(25);
    expect(lines[9]).toMatch(/eth\/ip\/udp\/vxlan\/eth\/ip\/tcp .*vxlan vni 5001 \| 192\.0\.2\.10 > 192\.0\.2\.20/);
    expect(lines[9]).toMatch(/csum ip:good udp:absent ip@1:good tcp@1:good/);
    expect(lines[14]).toMatch(/tcp:partial/);
    expect(lines[19]).toMatch(/MALFORMED bad_ipv4_ihl/);
    expect(r.stderr).toMatch(/2 malformed packet\(s\)/);
  });

  it('--json prints one object per line with the documented fields', () => {
    const r = cli('inspect', '--json', demo);
    expect(r.status).toBe(0);
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records[11]).toMatchObject({
      index: 11,
      len: 110,
      caplen: 110,
      layers: ['eth', 'ip', 'udp', 'mpls', 'ip', 'icmp'],
      checksums: [
        { layer: 'ip', depth: 0, status: 'good' },
        { layer: 'udp', depth: 0, status: 'absent' },
        { layer: 'ip', depth: 1, status: 'good' },
        { layer: 'icmp', depth: 1, status: 'good' },
      ],
    });
    expect(records[18]).toMatchObject({ caplen: 96, len: 1514, truncated: true });
    expect(records[20]).toMatchObject({ error: 'bad_udp_length' });
  });

  it('a missing file: one line naming it, exit 1, no stack trace', () => {
    const r = cli('inspect', join(root, 'no-such-file.pcap'));
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/no-such-file\.pcap: no such file/);
  });

  it('a truncated file: the packets before the fault, then the error with offset and index', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vs-inspect-'));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, readFileSync(demo).subarray(0, 24 + 16 + 42 + 16 + 2));
    const r = cli('inspect', cut);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cut\.pcap: .*\(at byte offset 82, packet index 1\)/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('rejects a bad option value with a usage error', () => {
    const r = cli('inspect', '--vxlan-ports', 'x', demo);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/not a UDP port number/);
  });
});
