/**
 * `vswitch-sim topo` as a user meets it: the SVG of the shipped scenarios is
 * rendered by Graphviz (WebAssembly), is well-formed XML (python's parser)
 * and shows every host; DOT goes to stdout or a file; a bad topology gives
 * the same one-line error the other commands give.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';

import { registerTopo } from '../../src/cli/topo.js';
import { packageRoot } from '../../src/datapath/native.js';
import { isUserFacingError } from '../../src/errors.js';
import { readSvgWithPython } from './svg-oracle.js';

const root = packageRoot();
const tmp = (): string => mkdtempSync(join(tmpdir(), 'vs-topo-cli-'));

async function cli(...args: string[]): Promise<{ err: unknown; stdout: string }> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerTopo(program);
  const writes: string[] = [];
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (writes.push(s), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['topo', ...args], { from: 'user' });
    return { err: undefined, stdout: writes.join('') };
  } catch (err) {
    return { err, stdout: writes.join('') };
  } finally {
    process.stdout.write = orig;
  }
}

describe('vswitch-sim topo --format svg', () => {
  // [file, hosts, has an underlay]
  const cases: [string, string[], boolean][] = [
    ['examples/neutron-vxlan/topology.yaml', ['compute1', 'compute2'], true],
    ['examples/vrouter/two-computes.yaml', ['compute1', 'compute2'], true],
    ['examples/ovs/taas-mirror.yaml', ['compute1'], false],
  ];
  for (const [file, hosts, underlay] of cases)
    it(`${file}: a well-formed SVG naming every host`, async () => {
      const out = join(tmp(), 'topo.svg');
      const { err } = await cli(join(root, file), '--format', 'svg', '--out', out);
      expect(err).toBeUndefined();
      const svg = readSvgWithPython(out);
      expect(svg.root).toBe('{http://www.w3.org/2000/svg}svg');
      for (const h of hosts) expect(svg.texts).toContain(h);
      expect(svg.texts.includes('underlay')).toBe(underlay);
    });

  it('the shipped docs picture is what the command draws today (regenerate: see docs/topo.md)', async () => {
    const out = join(tmp(), 'neutron-vxlan.svg');
    await cli(join(root, 'examples/neutron-vxlan/topology.yaml'), '--format', 'svg', '--out', out);
    const same = readFileSync(out, 'utf8') === readFileSync(join(root, 'docs/img/neutron-vxlan.svg'), 'utf8');
    expect(same, 'docs/img/neutron-vxlan.svg differs from what `vswitch-sim topo examples/neutron-vxlan/topology.yaml --format svg` draws: look at the new picture, then regenerate it (docs/topo.md)').toBe(true);
  });
});

describe('vswitch-sim topo: DOT, files and errors', () => {
  it('prints DOT on stdout by default', async () => {
    const { err, stdout } = await cli(join(root, 'examples/neutron-vxlan/topology.yaml'));
    expect(err).toBeUndefined();
    expect(stdout.startsWith('digraph "topology" {\n')).toBe(true);
    expect(stdout.trimEnd().endsWith('}')).toBe(true);
  });

  it('writes --out atomically (no temporary file left)', async () => {
    const dir = tmp();
    const { err } = await cli(join(root, 'examples/vrouter/two-computes.yaml'), '--format', 'dot', '--out', join(dir, 't.dot'));
    expect(err).toBeUndefined();
    expect(readdirSync(dir)).toEqual(['t.dot']);
  });

  it('a bad topology, format or output file is one line naming it', async () => {
    for (const [args, mention] of [
      [['no-such-topology.yaml'], 'no-such-topology.yaml'],
      // missing directories are made; a regular file on the way is not a directory
      [[join(root, 'examples/neutron-vxlan/topology.yaml'), '--out', join(root, 'examples/neutron-vxlan/topology.yaml', 'x.dot')], 'topology.yaml/x.dot'],
    ] as const) {
      const { err } = await cli(...args);
      expect(isUserFacingError(err), String(err)).toBe(true);
      expect((err as Error).message).not.toContain('\n');
      expect((err as Error).message).toContain(mention);
    }
    const { err } = await cli(join(root, 'examples/neutron-vxlan/topology.yaml'), '--format', 'png');
    expect((err as { code?: string }).code).toBe('commander.invalidArgument');
    expect(existsSync('png')).toBe(false);
  });
});
