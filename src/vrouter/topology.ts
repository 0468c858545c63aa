/**
 * Loads the vRouter part of a topology: `hosts[]` entries of kind `vrouter`
 * (agent view, validated by parseVrouterHost) and an optional
 * `vrouterController` section (controller-like builder) whose derived
 * compute nodes are added to them. Other host kinds are left to their own
 * models. Errors name the offending path (`hosts[2].routes[0].nh: ...`).
 */
import { TopologyError } from '../model/topology-error.js';
import { loadTopology } from '../model/load-topology.js';

import { parseVrouterHost, type VrouterHostConfig } from './config.js';
import { buildFromController } from './controller.js';

/** The host kind this model adds to the topology's `hosts[]`. */
export const VROUTER_HOST_KIND = 'vrouter';

export function vrouterHostsOf(doc: unknown): VrouterHostConfig[] {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new TopologyError('ERR_TOPOLOGY_INVALID', '', 'expected a topology mapping with hosts or vrouterController');
  const d = doc as Record<string, unknown>;
  const out: VrouterHostConfig[] = [];
  if (d.hosts !== undefined) {
    if (!Array.isArray(d.hosts)) throw new TopologyError('ERR_TOPOLOGY_INVALID', 'hosts', 'expected a list of hosts');
    d.hosts.forEach((h: unknown, k) => {
      if (h !== null && typeof h === 'object' && (h as { kind?: unknown }).kind === VROUTER_HOST_KIND) out.push(parseVrouterHost(h, `hosts[${k}]`));
    });
  }
  if (d.vrouterController !== undefined) out.push(...buildFromController(d.vrouterController, 'vrouterController'));
  const names = new Set<string>();
  for (const h of out) {
    if (names.has(h.name)) throw new TopologyError('ERR_TOPOLOGY_INVALID', 'hosts', `duplicate host name "${h.name}"`);
    names.add(h.name);
  }
  if (out.length === 0) throw new TopologyError('ERR_TOPOLOGY_INVALID', 'hosts', 'no host of kind vrouter and no vrouterController section');
  return out;
}

/**
 * The vRouter hosts of a topology file, read and validated by the common
 * loader (src/model: errors name the file and the field), with the
 * controller section's compute nodes derived.
 */
export function loadVrouterHosts(file: string): VrouterHostConfig[] {
  return vrouterHostsOf(loadTopology(file));
}
