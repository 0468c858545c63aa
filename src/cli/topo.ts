/**
 * `vswitch-sim topo TOPO --format dot|svg [--out FILE]`: draws a topology
 * (src/topo): Graphviz DOT text, or SVG rendered by Graphviz compiled to
 * WebAssembly. Writes to stdout, or to FILE (temporary name, then rename).
 */
import { Command, Option } from 'commander';

import { writeFileAtomic } from '../report/write-file-atomic.js';
import { topologyDot } from '../topo/dot.js';
import { renderSvg } from '../topo/svg.js';
import { loadTopologyGraph } from '../topo/topology-graph.js';
import { writeLine } from './output.js';

export function registerTopo(program: Command): void {
  program
    .command('topo')
    .description('draw a topology: hosts, bridges, ports, VMs, patch pairs, tunnels, vRouter vifs and VRFs, the underlay (DOT or SVG)')
    .argument('<topology>', 'topology file (YAML)')
    .addOption(new Option('--format <format>', 'output format').choices(['dot', 'svg']).default('dot'))
    .option('--out <file>', 'write to FILE instead of stdout')
    .action(async (file: string, opts: { format: 'dot' | 'svg'; out?: string }) => {
      const dot = topologyDot(loadTopologyGraph(file));
      const text = opts.format === 'svg' ? await renderSvg(dot) : dot;
      if (opts.out !== undefined) await writeFileAtomic(opts.out, text);
      else await writeLine(text.trimEnd());
    });
}
