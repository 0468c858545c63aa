/**
 * Per-host settings of the replay fabric and edge ports, read from a
 * topology: the underlay link (IP MTU, VLAN, whose IP stack sends and
 * receives on it) and the NIC model. OVS hosts from their `underlay`
 * section, vRouter hosts from their physical vif; hosts a controller section
 * derives get the defaults (MTU 1500).
 */
import type { NicFault } from '../offload/pipeline.js';
import type { Topology } from '../model/topology-schema.js';

/**
 * Whose stack handles a host's underlay frames:
 * - `ovs-userspace`: OVS native tunnelling (netdev-dpdk / netdev-linux). A
 *   frame larger than the NIC MTU is dropped at output (OVS counts
 *   `ovs_tx_mtu_exceeded_drops`), never fragmented; outer fragments are not
 *   reassembled before tnl_pop (lib/tnl-ports.c matches non-fragments only),
 *   so they reach the bridge as they are.
 * - `linux`: Linux kernel tunnel devices. A VXLAN packet whose inner DF IPv4
 *   or IPv6 packet is too big gets the vxlan driver's bridged PMTU answer
 *   (src/replay/fabric-pmtud.ts); otherwise an IPv4 packet without DF larger
 *   than the link MTU is fragmented (ip_fragment, RFC 791); with DF it is
 *   dropped. Outer fragments are reassembled (ip_defrag) before decap.
 * - `vrouter`: a vRouter's physical vif (its MTU from the interface): oversize
 *   frames are dropped, outer fragments are handed to the vRouter as they are.
 */
export type FabricStack = 'ovs-userspace' | 'linux' | 'vrouter';

export interface FabricLinkSettings {
  /** IP MTU of the host's underlay NIC. */
  mtu: number;
  /** 802.1Q VLAN of the host's underlay (its frames carry the tag on the wire). */
  vlan?: number;
  stack: FabricStack;
}

export interface NicSettings {
  /** NETIF_F_HW_CSUM: the NIC completes partial checksums (port offload tx_checksum; a BCM5719 advertises it). */
  hwCsum: boolean;
  /** The NIC segments super-packets (port offload tso). */
  tso: boolean;
  faults: NicFault[];
}

export const DEFAULT_LINK: FabricLinkSettings = { mtu: 1500, stack: 'ovs-userspace' };

/** The fabric link of every host of the topology. */
export function fabricLinks(topo: Topology): Map<string, FabricLinkSettings> {
  const out = new Map<string, FabricLinkSettings>();
  for (const h of topo.hosts) {
    if (h.kind === 'vrouter') {
      const phys = h.interfaces.find((i) => i.type === 'physical');
      if (phys) out.set(h.name, { mtu: phys.mtu, stack: 'vrouter' });
      continue;
    }
    const u = h.underlay;
    out.set(h.name, { mtu: u.mtu, stack: u.stack ?? 'ovs-userspace', ...(u.vlan !== undefined ? { vlan: u.vlan } : {}) });
  }
  return out;
}

/** The NIC model of a host's underlay port (`system` port of the underlay bridge) with its offload settings. */
export function nicSettings(topo: Topology, host: string, port: string): NicSettings | undefined {
  const h = topo.hosts.find((x) => x.name === host);
  if (!h || h.kind !== 'ovs') return undefined;
  const u = h.underlay;
  for (const b of h.bridges) {
    const p = b.ports.find((x) => x.name === port);
    if (!p || p.type !== 'system') continue;
    if (u.bridge !== undefined && b.name !== u.bridge) return undefined;
    const bcm = u.nic_model === 'bcm5719';
    const faults: NicFault[] = [...(bcm ? (['bad-hw-csum'] as NicFault[]) : []), ...(u.nic_faults ?? [])];
    return { hwCsum: p.offload?.tx_checksum ?? bcm, tso: p.offload?.tso ?? false, faults: [...new Set(faults)] };
  }
  return undefined;
}
