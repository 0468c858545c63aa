/**
 * Loads and validates a topology file (YAML or JSON). Every problem becomes a
 * TopologyError naming the path of the bad field, e.g.
 * `hosts[0].bridges[1].ports[2].tag: Too big: expected number to be <=4095`.
 */
import { parseVrouterHost } from '../vrouter/config.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';

import { TopologySchema, type Topology } from './topology-schema.js';
import { TopologyError } from './topology-error.js';

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

/** Validates an already parsed document. */
export function validateTopology(doc: unknown, file?: string): Topology {
  const r = TopologySchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TopologyError('ERR_TOPOLOGY_INVALID', pathText(issue.path), issue.message, file);
  }
  const topo = r.data;
  // cross references: unique names, patch peers exist
  topo.hosts.forEach((h, hi) => {
    if (h.kind === 'vrouter') {
      parseVrouterHost(h, `hosts[${hi}]`); // cross references: nexthops, VRFs, interfaces
      return;
    }
    const names = new Map<string, string>();
    h.bridges.forEach((b, bi) => {
      if (names.has(b.name)) throw new TopologyError('ERR_TOPOLOGY_REF', `hosts[${hi}].bridges[${bi}].name`, `duplicate name "${b.name}"`, file);
      names.set(b.name, `hosts[${hi}].bridges[${bi}]`);
      b.ports.forEach((p, pi) => {
        if (names.has(p.name)) throw new TopologyError('ERR_TOPOLOGY_REF', `hosts[${hi}].bridges[${bi}].ports[${pi}].name`, `duplicate name "${p.name}"`, file);
        names.set(p.name, `hosts[${hi}].bridges[${bi}].ports[${pi}]`);
      });
    });
    h.bridges.forEach((b, bi) =>
      b.ports.forEach((p, pi) => {
        if (p.peer !== undefined && !h.bridges.some((x) => x.ports.some((q) => q.name === p.peer && q.type === 'patch' && q.peer === p.name)))
          throw new TopologyError('ERR_TOPOLOGY_REF', `hosts[${hi}].bridges[${bi}].ports[${pi}].peer`, `no patch port "${p.peer}" peered back to "${p.name}"`, file);
      }),
    );
  });
  return topo;
}

/** Reads a topology file; `flows_file` entries are read relative to it into `flows`. */
export function loadTopology(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TopologyError('ERR_TOPOLOGY_READ', '', err instanceof Error ? err.message : String(err), file);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { logLevel: 'error' });
  } catch (err) {
    // The yaml library appends an excerpt of the file; the first line names the problem and its position.
    throw new TopologyError('ERR_TOPOLOGY_YAML', '', (err instanceof Error ? err.message : String(err)).split('\n')[0], file);
  }
  const topo = validateTopology(doc, file);
  topo.hosts.forEach((h, hi) => {
    if (h.kind !== 'ovs') return;
    h.bridges.forEach((b, bi) => {
      if (b.flows_file === undefined) return;
      try {
        b.flows = `${b.flows ?? ''}\n${readFileSync(resolve(dirname(file), b.flows_file), 'utf8')}`;
      } catch (err) {
        throw new TopologyError('ERR_TOPOLOGY_READ', `hosts[${hi}].bridges[${bi}].flows_file`, err instanceof Error ? err.message : String(err), file);
      }
    });
  });
  return topo;
}
