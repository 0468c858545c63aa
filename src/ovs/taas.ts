/**
 * Tap-as-a-service helper: the br-int flows OpenStack TaaS's OVS driver
 * installs for a tap flow (copy a port's traffic, re-tagged with the tap
 * service's VLAN `taasId`, to the port leading to the monitor).
 *
 * - OUT (what the VM sends): `in_port=<port>`: works.
 * - IN (what the VM receives): TaaS matches `dl_vlan=<local vlan>,dl_dst=<mac>`,
 *   which never matches traffic between two access ports of the same host
 *   (NORMAL handles the VLAN internally; the OpenFlow pipeline sees it
 *   untagged). `ingressMatch: 'dl_dst'` is the fix: match the MAC only.
 */
export interface TaasTapFlow {
  /** OpenFlow port (number or name) of the tapped VM port. */
  sourcePort: number | string;
  sourceMac: string;
  /** The network's local VLAN on br-int. */
  localVlan: number;
  /** The tap service's VLAN id on the mirror path. */
  taasId: number;
  /** Where mirrored copies go (patch to br-tap, or a local monitor port). */
  mirrorPort: number | string;
  direction: 'IN' | 'OUT' | 'BOTH';
  /** 'dl_vlan' reproduces TaaS (and its failure); 'dl_dst' is the fix. Default 'dl_vlan'. */
  ingressMatch?: 'dl_vlan' | 'dl_dst';
  priority?: number;
}

/** Flow lines (ovs-ofctl syntax) for br-int. */
export function taasFlows(t: TaasTapFlow): string[] {
  const prio = t.priority ?? 20;
  const actions = `actions=NORMAL,mod_vlan_vid:${t.taasId},output:${t.mirrorPort}`;
  const out: string[] = [];
  if (t.direction !== 'IN') out.push(`table=0,priority=${prio},in_port=${t.sourcePort},${actions}`);
  if (t.direction !== 'OUT') {
    const vlan = (t.ingressMatch ?? 'dl_vlan') === 'dl_vlan' ? `dl_vlan=${t.localVlan},` : '';
    out.push(`table=0,priority=${prio},${vlan}dl_dst=${t.sourceMac},${actions}`);
  }
  return out;
}
