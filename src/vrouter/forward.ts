/**
 * The vRouter slow path of one compute node: one frame in on a vif, frames
 * out on vifs, a drop reason named like vRouter's drop statistics, and a
 * trace of every decision.
 *
 * From a VM (virtual vif): the vif's mode decides: L2 bridges in the MAC
 * table of the vif's VRF; L3 routes IP in the inet table (ARP answered by
 * proxy); L2+L3 routes IP sent to the vRouter MAC 00:00:5e:00:01:00 and
 * bridges everything else (ARP proxied for the gateway and for addresses
 * whose route has the proxy flag, flooded when the route says flood).
 * Routing decrements the TTL (drop ttl_exceeded at 1) and rewrites the L2
 * header. The nexthop does the rest: encap (local VM), tunnel (MPLSoUDP,
 * MPLSoGRE, VXLAN with the label or VNI of the route / bridge entry, through
 * the offload pipeline: overlay MTU, DF, ICMP from the VRF gateway, GSO),
 * composite (ECMP by flow hash, or L2 flood), receive, discard, resolve.
 *
 * From the fabric (physical vif): tunnels to the vhost address are
 * decapsulated by the tunnel core (unknown label -> invalid_label, unknown
 * VNI -> invalid_vnid, bad outer checksum, GRE flags other than C and K);
 * the label's nexthop (or the VNI's VRF-translate nexthop and a bridge
 * lookup) delivers the inner frame; anything else goes to vhost0.
 *
 * Tunnel packets leave with vRouter's outer IPv4 ID: the inner IPv4 ID for
 * MPLSoGRE over IPv4, else the node's counter (src/vrouter/outer-ip-id.ts).
 */
import { PacketBatch } from '../datapath/batch.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';
import { runOffloadPipeline } from '../offload/pipeline.js';
import { formatIp, parseIp, parseMac } from '../tunnel/addr.js';
import { CompiledReceiver, decapBatch } from '../tunnel/decap.js';
import { encapBatch } from '../tunnel/encap.js';
import type { LabelEntry } from '../tunnel/receiver.js';
import type { NexthopConfig, VifConfig, VrouterHostConfig } from './config.js';
import {
  arpReply,
  bytesEqual,
  decrementTtl,
  ETH_ARP,
  ETH_IPV4,
  ETH_IPV6,
  flowHash,
  isBroadcastOrMulticast,
  l2Hash,
  readArp,
  readEth,
  readIp,
  rewriteMacs,
  type EthInfo,
  type IpInfo,
} from './packet.js';
import { OuterIpIds } from './outer-ip-id.js';
import { VrouterStats } from './stats.js';
import { macKey, VROUTER_MAC, VROUTER_MAC_BYTES, VrouterTables } from './tables.js';
import { vrouterTunnelSpec } from './tunnel-spec.js';

export interface VrOutput {
  vif: number;
  frame: Uint8Array;
}

export interface VrResult {
  outputs: VrOutput[];
  /** Set when the input produced no output (or the reason one copy was dropped). */
  drops: string[];
  trace: string[];
}

/** How a frame reached a nexthop. */
interface Ctx {
  inVif: VifConfig;
  vrf: number;
  /** The frame as it leaves the lookup (after any TTL decrement). */
  frame: Uint8Array;
  eth: EthInfo;
  ip?: IpInfo;
  /** Routed (inet lookup) rather than bridged. */
  routed: boolean;
  label?: number;
  stitchedMac?: string;
  hash: number;
  /** Received from the fabric: deliver locally only (no re-flood to tunnels). */
  fromFabric: boolean;
  res: VrResult;
  depth: number;
}

const nhText = (nh: NexthopConfig): string => {
  switch (nh.type) {
    case 'tunnel':
      return `nh ${nh.id} tunnel ${nh.tunnel} ${nh.sip} -> ${nh.dip} via vif0/${nh.vif}`;
    case 'encap':
      return `nh ${nh.id} encap ${nh.family} -> vif0/${nh.vif}`;
    case 'composite':
      return `nh ${nh.id} composite ${nh.mode} [${nh.components.map((c) => `${c.nh}${c.label !== undefined ? `(${c.label})` : ''}`).join(' ')}]`;
    case 'receive':
      return `nh ${nh.id} receive -> vif0/${nh.vif}`;
    case 'vrf-translate':
      return `nh ${nh.id} vrf-translate -> vrf ${nh.targetVrf}`;
    default:
      return `nh ${nh.id} ${nh.type}`;
  }
};

export class Vrouter {
  readonly tables: VrouterTables;
  readonly stats = new VrouterStats();
  /** The decap tables of this host (labels, VNIs, UDP ports, GRE flags). */
  readonly receiver: CompiledReceiver;
  /** The outer IPv4 ID counter of this vRouter (src/vrouter/outer-ip-id.ts); undefined: the caller stamps IDs. */
  readonly ipIds: OuterIpIds | undefined;

  /**
   * `outerIpIds`: the vRouter's outer IPv4 ID counter to share (default a new
   * one), or false to leave the IDs to the caller (the datapath slow path's
   * model, whose packet-outs the replay stamps in output order).
   */
  constructor(
    readonly config: VrouterHostConfig,
    opts: { outerIpIds?: OuterIpIds | false } = {},
  ) {
    this.tables = new VrouterTables(config);
    this.ipIds = opts.outerIpIds === false ? undefined : (opts.outerIpIds ?? new OuterIpIds([config.mplsoudpPort, config.vxlanPort]));
    const labels: LabelEntry[] = [];
    for (const [label, nhId] of this.tables.mpls) {
      const nh = this.tables.nexthops.get(nhId);
      labels.push({ label, payload: nh && nh.family !== 'bridge' ? 'ip' : 'ethernet', srcMac: VROUTER_MAC });
    }
    this.receiver = new CompiledReceiver({
      vxlan: { port: config.vxlanPort, vnis: [...this.tables.vxlan.keys()] },
      mplsoudp: { port: config.mplsoudpPort },
      mplsogre: { acceptFlags: ['C', 'K'] },
      labels,
    });
  }

  get name(): string {
    return this.config.name;
  }

  /** Forwards one frame received on vif `vifId`. */
  input(vifId: number, frame: Uint8Array): VrResult {
    const res: VrResult = { outputs: [], drops: [], trace: [] };
    const vif = this.tables.vifs.get(vifId);
    if (!vif) {
      this.drop(res, 'invalid_if', `vif0/${vifId} unknown`);
      return res;
    }
    this.stats.rx(vif.id, frame.length);
    res.trace.push(`vif0/${vif.id} (${vif.name}) rx ${frame.length} bytes, type ${vif.type}, mode ${vif.mode}, vrf ${vif.vrf}`);
    const eth = readEth(frame);
    if (!eth) {
      this.drop(res, 'truncated_ethernet', 'frame shorter than an Ethernet header', vif.id);
      return res;
    }
    if (vif.type === 'physical') this.fromFabric(vif, frame, eth, res);
    else if (vif.type === 'virtual') this.fromVm(vif, frame, eth, res);
    else this.toFabric(vif, frame, res);
    this.ipIds?.stamp(this.tables, vif.id, frame, res.outputs);
    return res;
  }

  // ---- VM side -------------------------------------------------------------

  private fromVm(vif: VifConfig, frame: Uint8Array, eth: EthInfo, res: VrResult): void {
    if (eth.vlan !== undefined) {
      this.drop(res, 'interface_drop', `802.1Q tag ${eth.vlan} on a VM interface without sub-interfaces`, vif.id);
      return;
    }
    const isIp = eth.type === ETH_IPV4 || eth.type === ETH_IPV6;
    if (eth.type === ETH_ARP && vif.mode !== 'l2') {
      this.arpFromVm(vif, frame, eth, res);
      return;
    }
    if (isIp && (vif.mode === 'l3' || (vif.mode === 'l2l3' && bytesEqual(eth.dst, VROUTER_MAC_BYTES)))) {
      res.trace.push(vif.mode === 'l3' ? 'L3 mode: IP is routed' : `L2+L3 mode: destination MAC ${VROUTER_MAC} is the vRouter's, IP is routed`);
      this.route(vif, frame, eth, res);
      return;
    }
    if (vif.mode === 'l3') {
      this.drop(res, 'interface_drop', `L3 mode: ethertype 0x${eth.type.toString(16).padStart(4, '0')} is not routed and the interface does not bridge`, vif.id);
      return;
    }
    res.trace.push(vif.mode === 'l2' ? 'L2 mode: bridged' : `L2+L3 mode: destination MAC ${macKey(eth.dst)} is not the vRouter's: bridged`);
    this.bridge(vif, frame, eth, res);
  }

  private arpFromVm(vif: VifConfig, frame: Uint8Array, eth: EthInfo, res: VrResult): void {
    const arp = readArp(frame, eth.l3);
    if (!arp) {
      this.drop(res, 'truncated_arp', 'ARP cut short or not Ethernet/IPv4', vif.id);
      return;
    }
    if (arp.op !== 1) {
      if (vif.mode === 'l2l3') {
        res.trace.push('ARP reply: bridged');
        this.bridge(vif, frame, eth, res);
      } else this.drop(res, 'invalid_arp', 'ARP reply on an L3 interface', vif.id);
      return;
    }
    const tpa = formatIp(arp.tpa);
    const rt = this.tables.lookupInet(vif.vrf, arp.tpa);
    const isGateway = vif.gateway === tpa;
    res.trace.push(`ARP who-has ${tpa} tell ${formatIp(arp.spa)}: rt ${rt ? `${rt.prefix} flags ${rtFlags(rt)}` : 'none'} in vrf ${vif.vrf}`);
    if (isGateway || (rt && (rt.proxyArp || vif.mode === 'l3'))) {
      // L3 mode and the gateway: the vRouter MAC; L2+L3: the stitched MAC when the route has one.
      const answer = !isGateway && vif.mode === 'l2l3' && rt?.mac ? parseMac(rt.mac, 'mac') : VROUTER_MAC_BYTES;
      res.trace.push(`proxy ARP: ${tpa} is-at ${macKey(answer)}`);
      this.out(res, vif.id, arpReply(arp, answer));
      return;
    }
    if (vif.mode === 'l2l3' && (!rt || rt.floodArp)) {
      res.trace.push('ARP flooded in the bridge table');
      this.bridge(vif, frame, eth, res);
      return;
    }
    this.drop(res, 'invalid_arp', `no proxy for ${tpa}`, vif.id);
  }

  private route(vif: VifConfig, frame: Uint8Array, eth: EthInfo, res: VrResult): void {
    const ip = readIp(frame, eth.l3, eth.type);
    if (!ip) {
      this.drop(res, eth.type === ETH_IPV4 ? 'truncated_ipv4' : 'truncated_ipv6', 'IP header cut short', vif.id);
      return;
    }
    const rt = this.tables.lookupInet(vif.vrf, ip.dst);
    const dst = formatIp(ip.dst);
    const hash = flowHash(vif.vrf, ip, this.config.hashSeed);
    if (!rt) {
      this.flowAccount(vif.vrf, ip, frame.length, 0, 'discard');
      this.drop(res, 'discard', `no route for ${dst} in vrf ${vif.vrf} (default discard)`, vif.id);
      return;
    }
    res.trace.push(`rt vrf ${vif.vrf} ${dst} -> ${rt.prefix} nh ${rt.nh}${rt.label !== undefined ? ` label ${rt.label}` : ''}`);
    const nh = this.tables.nexthops.get(rt.nh);
    if (nh?.type === 'receive') {
      this.flowAccount(vif.vrf, ip, frame.length, nh.id);
      this.emit(nh, { inVif: vif, vrf: vif.vrf, frame, eth, ip, routed: true, hash, fromFabric: false, res, depth: 0 });
      return;
    }
    if (ip.ttl <= 1) {
      this.flowAccount(vif.vrf, ip, frame.length, rt.nh, 'ttl_exceeded');
      this.drop(res, 'ttl_exceeded', `TTL ${ip.ttl}`, vif.id);
      return;
    }
    const routed = decrementTtl(frame, ip);
    res.trace.push(`${ip.version === 4 ? 'TTL' : 'hop limit'} ${ip.ttl} -> ${ip.ttl - 1}`);
    const flow = this.flowAccount(vif.vrf, ip, frame.length, rt.nh);
    const ctx: Ctx = { inVif: vif, vrf: vif.vrf, frame: routed, eth, ip: { ...ip, ttl: ip.ttl - 1 }, routed: true, label: rt.label, stitchedMac: rt.mac, hash, fromFabric: false, res, depth: 0 };
    if (!nh) {
      this.drop(res, 'invalid_nh', `nexthop ${rt.nh} missing`, vif.id);
      return;
    }
    this.emit(nh, ctx);
    if (res.outputs.length === 0 && flow) flow.action = 'D';
  }

  private bridge(vif: VifConfig, frame: Uint8Array, eth: EthInfo, res: VrResult): void {
    const entry = this.tables.lookupBridge(vif.vrf, eth.dst);
    if (!entry) {
      this.drop(res, 'l2_no_route', `no bridge entry for ${macKey(eth.dst)} in vrf ${vif.vrf}`, vif.id);
      return;
    }
    res.trace.push(`bridge vrf ${vif.vrf} ${macKey(eth.dst)} -> nh ${entry.nh}${entry.label !== undefined ? ` label ${entry.label}` : ''}`);
    const nh = this.tables.nexthops.get(entry.nh);
    if (!nh) {
      this.drop(res, 'invalid_nh', `nexthop ${entry.nh} missing`, vif.id);
      return;
    }
    const ip = eth.type === ETH_IPV4 || eth.type === ETH_IPV6 ? readIp(frame, eth.l3, eth.type) : undefined;
    if (ip) this.flowAccount(vif.vrf, ip, frame.length, entry.nh);
    const hash = ip ? flowHash(vif.vrf, ip, this.config.hashSeed) : l2Hash(eth);
    this.emit(nh, { inVif: vif, vrf: vif.vrf, frame, eth, ip, routed: false, label: entry.label, hash, fromFabric: false, res, depth: 0 });
  }

  // ---- nexthops ------------------------------------------------------------

  private emit(nh: NexthopConfig, c: Ctx): void {
    const res = c.res;
    res.trace.push(nhText(nh));
    if (c.depth > 4) {
      this.drop(res, 'invalid_nh', 'nexthop chain deeper than 4', c.inVif.id);
      return;
    }
    switch (nh.type) {
      case 'discard':
        this.drop(res, 'discard', 'discard nexthop', c.inVif.id);
        return;
      case 'resolve': {
        const agent = [...this.tables.vifs.values()].find((v) => v.type === 'agent');
        if (!agent) this.drop(res, 'trap_no_if', 'resolve nexthop: no agent interface', c.inVif.id);
        else this.out(res, agent.id, c.frame, 'trapped to the agent (resolve)');
        return;
      }
      case 'receive':
        this.out(res, nh.vif, c.frame, 'to the host stack');
        return;
      case 'encap': {
        if (nh.vif === c.inVif.id && !c.routed) {
          this.drop(res, 'duplicated', `would go back out vif0/${nh.vif}`, c.inVif.id);
          return;
        }
        const target = this.tables.vifs.get(nh.vif);
        if (!target) {
          this.drop(res, 'invalid_if', `vif0/${nh.vif} unknown`, c.inVif.id);
          return;
        }
        if (c.routed && nh.family !== 'bridge') {
          const dmac = parseMac(nh.dmac ?? target.mac, 'dmac');
          this.out(res, nh.vif, rewriteMacs(c.frame, dmac, VROUTER_MAC_BYTES), `L2 rewrite ${macKey(dmac)} <- ${VROUTER_MAC}`);
        } else this.out(res, nh.vif, c.frame);
        return;
      }
      case 'tunnel':
        if (c.fromFabric) {
          this.drop(res, 'invalid_nh', 'tunnel nexthop for a packet received from the fabric', c.inVif.id);
          return;
        }
        this.tunnel(nh, c);
        return;
      case 'composite': {
        if (nh.mode === 'ecmp') {
          const k = c.hash % nh.components.length;
          const comp = nh.components[k];
          res.trace.push(`ECMP: hash 0x${c.hash.toString(16).padStart(8, '0')} % ${nh.components.length} = ${k} -> nh ${comp.nh}`);
          const sub = this.tables.nexthops.get(comp.nh);
          if (!sub) {
            this.drop(res, 'invalid_nh', `component nexthop ${comp.nh} missing`, c.inVif.id);
            return;
          }
          this.emit(sub, { ...c, label: comp.label ?? c.label, depth: c.depth + 1 });
          return;
        }
        const before = res.outputs.length;
        for (const comp of nh.components) {
          const sub = this.tables.nexthops.get(comp.nh);
          if (!sub) continue;
          if (sub.type === 'encap' && sub.vif === c.inVif.id) continue; // never back to the source
          if (c.fromFabric && sub.type === 'tunnel') continue; // ingress replication: the sender reached every node
          this.emit(sub, { ...c, label: comp.label, depth: c.depth + 1 });
        }
        if (res.outputs.length === before && res.drops.length === 0) this.drop(res, 'discard', 'flood list has no other member', c.inVif.id);
        return;
      }
      case 'vrf-translate': {
        const entry = this.tables.lookupBridge(nh.targetVrf, c.eth.dst);
        if (!entry) {
          this.drop(res, 'l2_no_route', `no bridge entry for ${macKey(c.eth.dst)} in vrf ${nh.targetVrf}`, c.inVif.id);
          return;
        }
        res.trace.push(`bridge vrf ${nh.targetVrf} ${macKey(c.eth.dst)} -> nh ${entry.nh}`);
        const sub = this.tables.nexthops.get(entry.nh);
        if (!sub) {
          this.drop(res, 'invalid_nh', `nexthop ${entry.nh} missing`, c.inVif.id);
          return;
        }
        this.emit(sub, { ...c, vrf: nh.targetVrf, routed: false, depth: c.depth + 1 });
        return;
      }
    }
  }

  private tunnel(nh: Extract<NexthopConfig, { type: 'tunnel' }>, c: Ctx): void {
    const res = c.res;
    const phys = this.tables.vifs.get(nh.vif);
    if (!phys) {
      this.drop(res, 'invalid_if', `vif0/${nh.vif} unknown`, c.inVif.id);
      return;
    }
    if (c.label === undefined) {
      this.drop(res, 'invalid_label', `route or bridge entry has no ${nh.tunnel === 'vxlan' ? 'VNI' : 'label'} for tunnel nexthop ${nh.id}`, c.inVif.id);
      return;
    }
    let frame = c.frame;
    if (nh.tunnel === 'vxlan' && c.routed) {
      if (!c.stitchedMac) {
        this.drop(res, 'invalid_nh', 'routed to a VXLAN tunnel without a stitched MAC on the route', c.inVif.id);
        return;
      }
      frame = rewriteMacs(frame, parseMac(c.stitchedMac, 'mac'), VROUTER_MAC_BYTES);
      res.trace.push(`L3 VXLAN: inner L2 rewrite ${macKey(c.stitchedMac)} <- ${VROUTER_MAC}`);
    }
    const spec = vrouterTunnelSpec(this.config, nh, phys, c.label, c.routed);
    res.trace.push(`encap ${nh.tunnel} ${nh.tunnel === 'vxlan' ? 'vni' : 'label'} ${c.label} ${nh.sip} -> ${nh.dip}, outer TTL ${this.config.outerTtl}, DF clear`);
    if (!c.ip) {
      // Non-IP (ARP, other ethertypes): no MTU or GSO decision to make.
      const b = PacketBatch.create({ capacity: 1, dataSize: frame.length + 512, headroom: 192 });
      b.append(frame);
      encapBatch(b, spec);
      if (b.drop[0] !== 0) {
        this.drop(res, dropNameOf(b.drop[0]), 'encap refused', c.inVif.id);
        return;
      }
      this.out(res, phys.id, b.packet(0).slice());
      return;
    }
    const gw4 = c.inVif.gateway ?? '0.0.0.0';
    const gw6 = c.inVif.gateway6 ?? '::';
    const r = runOffloadPipeline([{ frame }], {
      profile: 'vrouter',
      nic: { ipMtu: phys.mtu, hwCsum: phys.hwCsum },
      tunnel: spec,
      gateway: { mac: VROUTER_MAC_BYTES, ip4: parseIp(gw4, 'gateway'), ip6: parseIp(gw6, 'gateway6') },
    });
    for (const d of r.drops) this.drop(res, d.reason, 'offload pipeline (overlay MTU)', c.inVif.id);
    for (const icmp of r.toGuest) this.out(res, c.inVif.id, icmp, `ICMP error from gateway ${c.ip.version === 4 ? gw4 : gw6}`);
    for (const w of r.wire) {
      const sport = nh.tunnel !== 'mplsogre' ? udpSport(w) : 0;
      if (sport) {
        const f = [...this.stats.flows.values()].find((e) => e.vrf === c.vrf && e.src === formatIp(c.ip!.src) && e.dst === formatIp(c.ip!.dst) && e.sport === c.ip!.sport && e.dport === c.ip!.dport && e.proto === c.ip!.proto);
        if (f) f.tunnelSport = sport;
      }
      this.out(res, phys.id, w);
    }
  }

  // ---- fabric side ---------------------------------------------------------

  private fromFabric(vif: VifConfig, frame: Uint8Array, eth: EthInfo, res: VrResult): void {
    const ip = eth.type === ETH_IPV4 || eth.type === ETH_IPV6 ? readIp(frame, eth.l3, eth.type) : undefined;
    const vhost = [...this.tables.vifs.values()].find((v) => v.type === 'vhost');
    const isTunnel =
      ip !== undefined &&
      bytesEqual(ip.dst, this.tables.vhostIp) &&
      (ip.proto === 47 || (ip.proto === 17 && (ip.dport === this.config.mplsoudpPort || ip.dport === this.config.vxlanPort)) || ip.laterFragment);
    if (!isTunnel) {
      if (!vhost) this.drop(res, 'invalid_if', 'not a tunnel to this vRouter and no vhost interface', vif.id);
      else this.out(res, vhost.id, frame, 'not a tunnel: to vhost0');
      return;
    }
    const b = PacketBatch.create({ capacity: 1, dataSize: frame.length + 512, headroom: 64 });
    b.append(frame);
    const d = decapBatch(b, this.receiver);
    const info = d.info[0];
    if (b.drop[0] !== 0 || !info) {
      this.drop(res, dropNameOf(b.drop[0]), `decap from ${formatIp(ip.src)}`, vif.id);
      return;
    }
    const inner = b.packet(0).slice();
    const ieth = readEth(inner);
    if (!ieth) {
      this.drop(res, 'truncated_ethernet', 'inner frame cut short', vif.id);
      return;
    }
    let nhId: number | undefined;
    if (info.type === 'vxlan') {
      nhId = this.tables.vxlan.get(info.vni ?? -1);
      res.trace.push(`decap vxlan from ${info.outerSrc} vni ${info.vni} -> nh ${nhId}`);
    } else {
      nhId = this.tables.mpls.get(info.label ?? -1);
      res.trace.push(`decap ${info.type} from ${info.outerSrc} label ${info.label} -> nh ${nhId}`);
    }
    const nh = nhId === undefined ? undefined : this.tables.nexthops.get(nhId);
    if (!nh) {
      this.drop(res, info.type === 'vxlan' ? 'invalid_vnid' : 'invalid_label', 'no nexthop', vif.id);
      return;
    }
    const iip = ieth.type === ETH_IPV4 || ieth.type === ETH_IPV6 ? readIp(inner, ieth.l3, ieth.type) : undefined;
    const vrf = nh.type === 'vrf-translate' ? nh.targetVrf : nh.vrf;
    if (iip) this.flowAccount(vrf, iip, inner.length, nh.id);
    const hash = iip ? flowHash(vrf, iip, this.config.hashSeed) : l2Hash(ieth);
    const routed = nh.family !== 'bridge';
    this.emit(nh, { inVif: vif, vrf, frame: inner, eth: ieth, ip: iip, routed, hash, fromFabric: true, res, depth: 0 });
  }

  /** vhost0 / agent traffic: sent out of the physical interface unchanged. */
  private toFabric(vif: VifConfig, frame: Uint8Array, res: VrResult): void {
    const phys = this.tables.physical();
    if (!phys) this.drop(res, 'invalid_if', 'no physical interface', vif.id);
    else this.out(res, phys.id, frame, 'host traffic to the fabric');
  }

  // ---- helpers -------------------------------------------------------------

  private flowAccount(vrf: number, ip: IpInfo, bytes: number, nh: number, dropReason?: string): ReturnType<VrouterStats['flow']> | undefined {
    if (!this.config.flows) return undefined;
    return this.stats.flow(
      { vrf, proto: ip.proto, src: formatIp(ip.src), dst: formatIp(ip.dst), sport: ip.sport, dport: ip.dport, nh, action: dropReason ? 'D' : 'F', dropReason, tunnelSport: 0 },
      bytes,
    );
  }

  private out(res: VrResult, vif: number, frame: Uint8Array, note?: string): void {
    const v = this.tables.vifs.get(vif);
    res.trace.push(`-> vif0/${vif}${v ? ` (${v.name})` : ''} ${frame.length} bytes${note ? `: ${note}` : ''}`);
    this.stats.tx(vif, frame.length);
    res.outputs.push({ vif, frame });
  }

  private drop(res: VrResult, reason: string, why: string, vif?: number): void {
    res.trace.push(`drop ${reason}: ${why}`);
    res.drops.push(reason);
    this.stats.drop(reason, vif);
  }
}

function udpSport(f: Uint8Array): number {
  const eth = readEth(f);
  if (!eth) return 0;
  const ip = readIp(f, eth.l3, eth.type);
  return ip && ip.proto === 17 ? ip.sport : 0;
}

function rtFlags(rt: { proxyArp: boolean; floodArp: boolean; label?: number }): string {
  return `${rt.label !== undefined ? 'L' : ''}${rt.proxyArp ? 'P' : ''}${rt.floodArp ? 'F' : ''}` || '-';
}

function dropNameOf(code: number): string {
  return DROP_REASONS[code]?.[0] ?? `drop_${code}`;
}
