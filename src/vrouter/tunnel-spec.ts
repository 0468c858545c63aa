/**
 * The tunnel a vRouter tunnel nexthop writes (shared by the per-packet model
 * and the datapath translation): outer TTL from the host config, DF clear,
 * UDP checksum 0 and the `vrouter` source-port range for MPLSoUDP / VXLAN,
 * the inner IPv4 ID copied for MPLSoGRE (every other outer ID is the
 * vRouter's counter, stamped after encapsulation: outer-ip-id.ts), the MPLS TTL inherited from the
 * inner IP TTL, and an IP payload (L3 label) when routed, Ethernet otherwise.
 * Does not check that the nexthop's vif exists (callers do).
 */
import type { TunnelSpec } from '../tunnel/spec.js';
import type { NexthopConfig, VifConfig, VrouterHostConfig } from './config.js';

export function vrouterTunnelSpec(
  config: VrouterHostConfig,
  nh: Extract<NexthopConfig, { type: 'tunnel' }>,
  phys: VifConfig,
  label: number,
  routed: boolean,
): TunnelSpec {
  const common = { local: nh.sip, remote: nh.dip, srcMac: nh.smac ?? phys.mac, dstMac: nh.dmac, ttl: config.outerTtl, df: 'clear' as const };
  if (nh.tunnel === 'vxlan') return { type: 'vxlan', ...common, vni: label, udpDstPort: config.vxlanPort, srcPort: 'vrouter', udpChecksum: 'zero' };
  return {
    type: nh.tunnel,
    ...common,
    labels: [label],
    payload: routed ? 'ip' : 'ethernet',
    mplsTtl: 'inherit',
    ...(nh.tunnel === 'mplsoudp' ? { udpDstPort: config.mplsoudpPort, srcPort: 'vrouter' as const, udpChecksum: 'zero' as const } : { ipId: 'copy-inner' as const }),
  };
}
