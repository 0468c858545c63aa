/**
 * Counters of a vRouter whose packets the datapath engine forwarded (a
 * replay): what `Vrouter.input` counts for the same packet, from its
 * outcome instead of a second forwarding decision. Per packet: RX on the vif
 * it entered (frame length), TX on every vif it left by (each output's
 * length), a drop by reason on the entry vif (when the engine named one, or
 * when nothing left: discard), and the flow
 * entry of its 5-tuple in the VRF it was forwarded in (flow -l): the VM's
 * VRF and the route's / bridge entry's nexthop for a frame from a VM, the
 * label's / VNI's VRF and nexthop for a tunnel packet from the fabric (the
 * outer header is removed here with the vRouter's receive tables to read
 * the inner 5-tuple). Tunnel outputs set the flow's tunnel source port.
 * Does not forward or change any frame.
 */
import { PacketBatch } from '../datapath/batch.js';
import { formatIp } from '../tunnel/addr.js';
import { decapBatch } from '../tunnel/decap.js';
import type { Vrouter, VrOutput } from './forward.js';
import { bytesEqual, ETH_IPV4, ETH_IPV6, readEth, readIp, type IpInfo } from './packet.js';
import { VROUTER_MAC_BYTES } from './tables.js';

/** Accounts one packet the engine processed on `vr` (its stats, tables and receiver). */
export function accountDatapathPacket(vr: Vrouter, inVif: number, frame: Uint8Array, outputs: readonly VrOutput[], drop?: string): void {
  const vif = vr.tables.vifs.get(inVif);
  if (!vif) {
    vr.stats.drop(drop ?? 'invalid_if');
    return;
  }
  vr.stats.rx(vif.id, frame.length);
  for (const o of outputs) vr.stats.tx(o.vif, o.frame.length);
  // As Vrouter.input: a named drop counts even when something was sent (an ICMP error back to the VM).
  if (drop !== undefined || outputs.length === 0) vr.stats.drop(drop ?? 'discard', vif.id);
  if (!vr.config.flows) return;
  const flow = flowOf(vr, vif.type, vif.vrf, vif.mode, frame);
  if (!flow) return;
  const e = vr.stats.flow(
    { vrf: flow.vrf, proto: flow.ip.proto, src: formatIp(flow.ip.src), dst: formatIp(flow.ip.dst), sport: flow.ip.sport, dport: flow.ip.dport, nh: flow.nh, action: flow.reason ? 'D' : 'F', ...(flow.reason ? { dropReason: flow.reason } : {}), tunnelSport: 0 },
    flow.bytes,
  );
  // As Vrouter.input: a routed flow whose nexthop sent nothing turns D (a flow dropped at lookup was created D with its reason).
  if (outputs.length === 0 && flow.routed && !flow.reason) e.action = 'D';
  for (const o of outputs) {
    if (vr.tables.vifs.get(o.vif)?.type !== 'physical' || vif.type !== 'virtual') continue;
    const sport = udpSourcePort(o.frame);
    if (sport) e.tunnelSport = sport;
  }
}

interface FlowOf {
  vrf: number;
  ip: IpInfo;
  nh: number;
  bytes: number;
  /** Drop reason the model gives the flow when it drops it at lookup. */
  reason?: string;
  /** Routed from a VM (the only flows the model turns D when nothing is sent). */
  routed?: boolean;
}

function flowOf(vr: Vrouter, type: string, vrf: number, mode: string, frame: Uint8Array): FlowOf | undefined {
  const eth = readEth(frame);
  if (!eth || eth.vlan !== undefined) return undefined;
  if (type === 'virtual') {
    if (eth.type !== ETH_IPV4 && eth.type !== ETH_IPV6) return undefined;
    const ip = readIp(frame, eth.l3, eth.type);
    if (!ip) return undefined;
    const routed = mode === 'l3' || (mode === 'l2l3' && bytesEqual(eth.dst, VROUTER_MAC_BYTES));
    if (!routed) {
      if (mode === 'l3') return undefined;
      const entry = vr.tables.lookupBridge(vrf, eth.dst);
      return entry ? { vrf, ip, nh: entry.nh, bytes: frame.length } : undefined;
    }
    const rt = vr.tables.lookupInet(vrf, ip.dst);
    if (!rt) return { vrf, ip, nh: 0, bytes: frame.length, reason: 'discard' };
    const nh = vr.tables.nexthops.get(rt.nh);
    if (nh?.type === 'receive') return { vrf, ip, nh: rt.nh, bytes: frame.length };
    if (ip.ttl <= 1) return { vrf, ip, nh: rt.nh, bytes: frame.length, reason: 'ttl_exceeded' };
    return { vrf, ip, nh: rt.nh, bytes: frame.length, routed: true };
  }
  if (type !== 'physical') return undefined;
  // A tunnel to this vRouter: decapsulate a copy to read the label / VNI and the inner 5-tuple.
  const outer = eth.type === ETH_IPV4 || eth.type === ETH_IPV6 ? readIp(frame, eth.l3, eth.type) : undefined;
  if (!outer || !bytesEqual(outer.dst, vr.tables.vhostIp) || outer.laterFragment) return undefined;
  if (!(outer.proto === 47 || (outer.proto === 17 && (outer.dport === vr.config.mplsoudpPort || outer.dport === vr.config.vxlanPort)))) return undefined;
  const b = scratchBatch(frame.length);
  b.append(frame);
  const d = decapBatch(b, vr.receiver);
  const info = d.info[0];
  if (b.drop[0] !== 0 || !info) return undefined;
  const inner = b.packet(0).slice();
  const nhId = info.type === 'vxlan' ? vr.tables.vxlan.get(info.vni ?? -1) : vr.tables.mpls.get(info.label ?? -1);
  const nh = nhId === undefined ? undefined : vr.tables.nexthops.get(nhId);
  if (!nh) return undefined;
  const ieth = readEth(inner);
  if (!ieth || (ieth.type !== ETH_IPV4 && ieth.type !== ETH_IPV6)) return undefined;
  const ip = readIp(inner, ieth.l3, ieth.type);
  if (!ip) return undefined;
  return { vrf: nh.type === 'vrf-translate' ? nh.targetVrf : nh.vrf, ip, nh: nh.id, bytes: inner.length };
}

/** One reusable single-packet batch for the decapsulation above (grown for a bigger frame). */
let scratch: PacketBatch | undefined;
let scratchSize = 0;
function scratchBatch(frameLength: number): PacketBatch {
  if (!scratch || frameLength + 512 > scratchSize) {
    scratchSize = Math.max(frameLength + 512, 4096);
    scratch = PacketBatch.create({ capacity: 1, dataSize: scratchSize, headroom: 64 });
  }
  scratch.clear();
  return scratch;
}

function udpSourcePort(f: Uint8Array): number {
  const eth = readEth(f);
  const ip = eth ? readIp(f, eth.l3, eth.type) : undefined;
  return ip && ip.proto === 17 ? ip.sport : 0;
}

