/**
 * A vRouter compute node as the datapath engine's slow path
 * (src/xlate/upcall.ts SlowPath): the forwarding decision of src/vrouter/
 * forward.ts for one upcall, written as a datapath action program plus the
 * megaflow mask of every flow-key field the decision read.
 *
 * Datapath ports are vif ids. The program per decision:
 *  - VM -> VM on this node: output (routed: set(eth(dst,src)), set(ip(ttl))).
 *  - VM -> tunnel: the same rewrites, then tnl_push of the nexthop's template
 *    (src/vrouter/tunnel-spec.ts, built once per flow) and output(physical).
 *  - fabric, tunnel to the vhost address: tnl_pop(receiver of the host's
 *    labels / VNIs) + recirc(1); the recirculated inner frame is translated
 *    on recirc_id=1 + tun_id (label or VNI) + tun_flags (tunnel type).
 *  - fabric, anything else: output(vhost0); vhost0 / agent: output(physical).
 *  - flood (composite l2): one clone() per member.
 *  - a decision that drops: drop(reason) with vRouter's reason name.
 * Matches are exact on each field read (destination IP exact rather than the
 * route's prefix, so a more specific route is never shadowed); the TTL is
 * matched exactly because set(ip(ttl)) writes an absolute value.
 *
 * What a datapath flow cannot express is answered by the per-packet model
 * (`Vrouter.input` of this slow path's own instance) and installs nothing:
 * its frames are "packet-outs" (`packetOuts`, keyed by the upcall's seq) and
 * the program is userspace(cookie) plus drop(reason) when nothing was sent:
 *  - proxy ARP replies (no ARP rewrite action exists; vRouter answers them
 *    in vr_arp itself),
 *  - ECMP over ICMP (the hash reads the ICMP id, which is not in the key),
 *  - IPv4 later fragments, malformed frames.
 * The overlay MTU is decided per packet by a check_mtu action before the
 * tunnel push (profile vrouter, ICMP from the VRF gateway), so a cached flow
 * treats every frame length as the per-packet model does.
 */
import type { Action } from '../datapath/actions.js';
import { FLOW_KEY_SIZE } from '../datapath/batch-layout.js';
import { KEY_FIELDS, keyNumber, type KeyField } from '../datapath/flow-key.js';
import { innerIpMtu } from '../offload/pipeline.js';
import { formatIp, parseMac } from '../tunnel/addr.js';
import { resolveTunnel } from '../tunnel/spec.js';
import { buildTemplate } from '../tunnel/template.js';
import type { SlowPath, Translation, Upcall } from '../xlate/upcall.js';
import type { NexthopConfig, VifConfig, VrouterHostConfig } from './config.js';
import { Vrouter, type VrOutput } from './forward.js';
import { bytesEqual, ETH_ARP, ETH_IPV4, ETH_IPV6, flowHash, l2Hash, readArp, readEth, readIp, type EthInfo, type IpInfo } from './packet.js';
import { macKey, VROUTER_MAC, VROUTER_MAC_BYTES, VrouterTables } from './tables.js';
import { vrouterTunnelSpec } from './tunnel-spec.js';

/** recirc_id of inner frames after tnl_pop on the physical vif. */
export const RECIRC_FABRIC = 1;
/** userspace() cookie of a packet answered by the per-packet model (see packetOuts). */
export const COOKIE_SLOW_PATH = 0x76720001;

/** tun_flags bits (native/tunnel_types.h kTunFlag*). */
const TUN_VXLAN = 1;
const TUN_TYPE_BITS = 0x7;

/** A frame the slow path sent itself (not by a datapath action). */
export interface PacketOut extends VrOutput {
  /** The upcall's seq (input position in the engine). */
  seq: number;
}

/** Thrown inside translation: this decision is handed to the per-packet model. */
class NotAFlow {
  constructor(readonly why: string) {}
}

interface Ctx {
  inVif: VifConfig;
  vrf: number;
  eth: EthInfo;
  ip?: IpInfo;
  frameLength: number;
  routed: boolean;
  label?: number;
  stitchedMac?: string;
  fromFabric: boolean;
  depth: number;
}

/** One translation: the mask being widened, the trace, the drops of branches. */
class Xlate {
  readonly mask = new Uint8Array(FLOW_KEY_SIZE);
  readonly trace: string[] = [];
  readonly drops: string[] = [];
  outputs = 0;

  read(...fields: KeyField[]): void {
    for (const f of fields) {
      const [off, size] = KEY_FIELDS[f];
      this.mask.fill(0xff, off, off + size);
    }
  }

  drop(reason: string, why: string): Action[] {
    this.trace.push(`drop ${reason}: ${why}`);
    this.drops.push(reason);
    return [];
  }
}

const vifText = (t: VrouterTables, id: number): string => {
  const v = t.vifs.get(id);
  return `vif0/${id}${v ? ` (${v.name})` : ''}`;
};

export class VrouterSlowPath implements SlowPath {
  readonly version = 1;
  readonly tables: VrouterTables;
  /** The per-packet model answering what a flow cannot express. */
  readonly model: Vrouter;
  /** Frames the slow path sent itself, in upcall order (the caller drains it). */
  readonly packetOuts: PacketOut[] = [];
  /** Translations handed to the model, counted by why they are not flows. */
  readonly notFlows = new Map<string, number>();
  private readonly receiver: Uint8Array;
  private readonly templates = new Map<string, Uint8Array>();

  constructor(readonly config: VrouterHostConfig) {
    // Packet-outs carry no outer IPv4 ID: the caller stamps them in output order (src/vrouter/outer-ip-id.ts).
    this.model = new Vrouter(config, { outerIpIds: false });
    this.tables = this.model.tables;
    this.receiver = this.model.receiver.bytes;
  }

  translate(upcall: Upcall): Translation {
    const x = new Xlate();
    let actions: Action[];
    try {
      actions = this.decide(upcall, x);
    } catch (err) {
      if (!(err instanceof NotAFlow)) throw err;
      return this.toModel(upcall, err.why);
    }
    if (x.outputs === 0 && !actions.some((a) => a.type === 'recirc')) {
      actions = [{ type: 'drop', reason: x.drops[0] ?? 'discard' }];
    }
    return { actions, mask: x.mask, trace: x.trace };
  }

  private toModel(upcall: Upcall, why: string): Translation {
    const r = this.model.input(upcall.inPort, upcall.packet);
    for (const o of r.outputs) this.packetOuts.push({ seq: upcall.seq, vif: o.vif, frame: o.frame.slice() });
    this.notFlows.set(why, (this.notFlows.get(why) ?? 0) + 1);
    const actions: Action[] = [{ type: 'userspace', cookie: COOKIE_SLOW_PATH }];
    if (r.outputs.length === 0) actions.push({ type: 'drop', reason: r.drops[0] ?? 'discard' });
    return { actions, trace: [`not a datapath flow (${why}): answered by the vRouter slow path`, ...r.trace] };
  }

  private decide(u: Upcall, x: Xlate): Action[] {
    x.read('in_port', 'recirc_id');
    const recirc = keyNumber(u.key, 'recirc_id');
    const vif = this.tables.vifs.get(u.inPort);
    if (!vif) return x.drop('invalid_if', `vif0/${u.inPort} unknown`);
    if (recirc === RECIRC_FABRIC) return this.afterPop(u, vif, x);
    if (recirc !== 0) return x.drop('invalid_if', `unexpected recirc_id ${recirc}`);
    x.trace.push(`vif0/${vif.id} (${vif.name}) rx, type ${vif.type}, mode ${vif.mode}, vrf ${vif.vrf}`);
    const eth = readEth(u.packet);
    if (!eth) throw new NotAFlow('frame shorter than an Ethernet header');
    if (vif.type === 'physical') return this.fromFabric(u, vif, eth, x);
    if (vif.type === 'virtual') return this.fromVm(u, vif, eth, x);
    const phys = this.tables.physical();
    if (!phys) return x.drop('invalid_if', 'no physical interface');
    return this.out(x, phys.id, 'host traffic to the fabric');
  }

  // ---- VM side -------------------------------------------------------------

  private fromVm(u: Upcall, vif: VifConfig, eth: EthInfo, x: Xlate): Action[] {
    x.read('vlan_tci', 'dl_type');
    if (eth.vlan !== undefined) return x.drop('interface_drop', `802.1Q tag ${eth.vlan} on a VM interface without sub-interfaces`);
    const isIp = eth.type === ETH_IPV4 || eth.type === ETH_IPV6;
    if (eth.type === ETH_ARP && vif.mode !== 'l2') return this.arpFromVm(u, vif, eth, x);
    if (vif.mode === 'l2l3') x.read('dl_dst');
    if (isIp && (vif.mode === 'l3' || (vif.mode === 'l2l3' && bytesEqual(eth.dst, VROUTER_MAC_BYTES)))) {
      x.trace.push(vif.mode === 'l3' ? 'L3 mode: IP is routed' : `L2+L3 mode: destination MAC ${VROUTER_MAC} is the vRouter's, IP is routed`);
      return this.route(u, vif, eth, x);
    }
    if (vif.mode === 'l3') return x.drop('interface_drop', `L3 mode: ethertype 0x${eth.type.toString(16).padStart(4, '0')} is not routed`);
    x.trace.push(vif.mode === 'l2' ? 'L2 mode: bridged' : `L2+L3 mode: destination MAC ${macKey(eth.dst)} is not the vRouter's: bridged`);
    return this.bridge(u, vif, eth, x);
  }

  private arpFromVm(u: Upcall, vif: VifConfig, eth: EthInfo, x: Xlate): Action[] {
    const arp = readArp(u.packet, eth.l3);
    if (!arp) throw new NotAFlow('ARP cut short or not Ethernet/IPv4');
    x.read('nw_proto');
    if (arp.op !== 1) {
      if (vif.mode !== 'l2l3') return x.drop('invalid_arp', 'ARP reply on an L3 interface');
      x.trace.push('ARP reply: bridged');
      return this.bridge(u, vif, eth, x);
    }
    x.read('nw_dst');
    const tpa = formatIp(arp.tpa);
    const rt = this.tables.lookupInet(vif.vrf, arp.tpa);
    x.trace.push(`ARP who-has ${tpa}: rt ${rt ? rt.prefix : 'none'} in vrf ${vif.vrf}`);
    if (vif.gateway === tpa || (rt && (rt.proxyArp || vif.mode === 'l3'))) throw new NotAFlow('proxy ARP reply');
    if (vif.mode === 'l2l3' && (!rt || rt.floodArp)) {
      x.trace.push('ARP flooded in the bridge table');
      return this.bridge(u, vif, eth, x);
    }
    return x.drop('invalid_arp', `no proxy for ${tpa}`);
  }

  private route(u: Upcall, vif: VifConfig, eth: EthInfo, x: Xlate): Action[] {
    const ip = readIp(u.packet, eth.l3, eth.type);
    if (!ip) throw new NotAFlow('IP header cut short');
    x.read('nw_dst', 'nw_frag');
    if (ip.laterFragment) throw new NotAFlow('IPv4 later fragment');
    const rt = this.tables.lookupInet(vif.vrf, ip.dst);
    const dst = formatIp(ip.dst);
    if (!rt) return x.drop('discard', `no route for ${dst} in vrf ${vif.vrf} (default discard)`);
    x.trace.push(`rt vrf ${vif.vrf} ${dst} -> ${rt.prefix} nh ${rt.nh}${rt.label !== undefined ? ` label ${rt.label}` : ''}`);
    const nh = this.tables.nexthops.get(rt.nh);
    const ctx: Ctx = { inVif: vif, vrf: vif.vrf, eth, ip, frameLength: u.packet.length, routed: true, label: rt.label, stitchedMac: rt.mac, fromFabric: false, depth: 0 };
    if (nh?.type === 'receive') return this.emit(u, nh, ctx, x);
    x.read('nw_ttl');
    if (ip.ttl <= 1) return x.drop('ttl_exceeded', `TTL ${ip.ttl}`);
    x.trace.push(`${ip.version === 4 ? 'TTL' : 'hop limit'} ${ip.ttl} -> ${ip.ttl - 1}`);
    if (!nh) return x.drop('invalid_nh', `nexthop ${rt.nh} missing`);
    const ttl: Action = { type: 'set', field: 'ttl', value: ip.ttl - 1 };
    return [ttl, ...this.emit(u, nh, { ...ctx, ip: { ...ip, ttl: ip.ttl - 1 } }, x)];
  }

  private bridge(u: Upcall, vif: VifConfig, eth: EthInfo, x: Xlate): Action[] {
    x.read('dl_dst');
    const entry = this.tables.lookupBridge(vif.vrf, eth.dst);
    if (!entry) return x.drop('l2_no_route', `no bridge entry for ${macKey(eth.dst)} in vrf ${vif.vrf}`);
    x.trace.push(`bridge vrf ${vif.vrf} ${macKey(eth.dst)} -> nh ${entry.nh}${entry.label !== undefined ? ` label ${entry.label}` : ''}`);
    const nh = this.tables.nexthops.get(entry.nh);
    if (!nh) return x.drop('invalid_nh', `nexthop ${entry.nh} missing`);
    const ip = eth.type === ETH_IPV4 || eth.type === ETH_IPV6 ? readIp(u.packet, eth.l3, eth.type) : undefined;
    return this.emit(u, nh, { inVif: vif, vrf: vif.vrf, eth, ip, frameLength: u.packet.length, routed: false, label: entry.label, fromFabric: false, depth: 0 }, x);
  }

  // ---- nexthops ------------------------------------------------------------

  private emit(u: Upcall, nh: NexthopConfig, c: Ctx, x: Xlate): Action[] {
    x.trace.push(`nh ${nh.id} ${nh.type}`);
    if (c.depth > 4) return x.drop('invalid_nh', 'nexthop chain deeper than 4');
    switch (nh.type) {
      case 'discard':
        return x.drop('discard', 'discard nexthop');
      case 'resolve': {
        const agent = [...this.tables.vifs.values()].find((v) => v.type === 'agent');
        if (!agent) return x.drop('trap_no_if', 'resolve nexthop: no agent interface');
        return this.out(x, agent.id, 'trapped to the agent (resolve)');
      }
      case 'receive':
        return this.out(x, nh.vif, 'to the host stack');
      case 'encap': {
        if (nh.vif === c.inVif.id && !c.routed) return x.drop('duplicated', `would go back out vif0/${nh.vif}`);
        const target = this.tables.vifs.get(nh.vif);
        if (!target) return x.drop('invalid_if', `vif0/${nh.vif} unknown`);
        if (c.routed && nh.family !== 'bridge') {
          const dmac = macKey(parseMac(nh.dmac ?? target.mac, 'dmac'));
          return [...setMacs(dmac), ...this.out(x, nh.vif, `L2 rewrite ${dmac} <- ${VROUTER_MAC}`)];
        }
        return this.out(x, nh.vif);
      }
      case 'tunnel':
        if (c.fromFabric) return x.drop('invalid_nh', 'tunnel nexthop for a packet received from the fabric');
        return this.tunnel(nh, c, x);
      case 'composite': {
        if (nh.mode === 'ecmp') {
          if (!c.ip) x.read('dl_dst', 'dl_src', 'dl_type');
          else {
            if (c.ip.proto === 1 || c.ip.proto === 58) throw new NotAFlow('ECMP hash over the ICMP id');
            x.read('nw_src', 'nw_dst', 'nw_proto', 'tp_src', 'tp_dst', 'nw_frag');
          }
          const hash = c.ip ? flowHash(c.vrf, c.ip, this.config.hashSeed) : l2Hash(c.eth);
          const k = hash % nh.components.length;
          const comp = nh.components[k];
          x.trace.push(`ECMP: hash 0x${hash.toString(16).padStart(8, '0')} % ${nh.components.length} = ${k} -> nh ${comp.nh}`);
          const sub = this.tables.nexthops.get(comp.nh);
          if (!sub) return x.drop('invalid_nh', `component nexthop ${comp.nh} missing`);
          return this.emit(u, sub, { ...c, label: comp.label ?? c.label, depth: c.depth + 1 }, x);
        }
        const before = x.outputs;
        const all: Action[] = [];
        for (const comp of nh.components) {
          const sub = this.tables.nexthops.get(comp.nh);
          if (!sub) continue;
          if (sub.type === 'encap' && sub.vif === c.inVif.id) continue;
          if (c.fromFabric && sub.type === 'tunnel') continue;
          const acts = this.emit(u, sub, { ...c, label: comp.label, depth: c.depth + 1 }, x);
          if (acts.length === 1 && acts[0].type === 'output') all.push(acts[0]);
          else if (acts.length > 0) all.push({ type: 'clone', actions: acts });
        }
        if (x.outputs === before && x.drops.length === 0) return x.drop('discard', 'flood list has no other member');
        return all;
      }
      case 'vrf-translate': {
        x.read('dl_dst');
        const entry = this.tables.lookupBridge(nh.targetVrf, c.eth.dst);
        if (!entry) return x.drop('l2_no_route', `no bridge entry for ${macKey(c.eth.dst)} in vrf ${nh.targetVrf}`);
        x.trace.push(`bridge vrf ${nh.targetVrf} ${macKey(c.eth.dst)} -> nh ${entry.nh}`);
        const sub = this.tables.nexthops.get(entry.nh);
        if (!sub) return x.drop('invalid_nh', `nexthop ${entry.nh} missing`);
        return this.emit(u, sub, { ...c, vrf: nh.targetVrf, routed: false, depth: c.depth + 1 }, x);
      }
    }
  }

  private tunnel(nh: Extract<NexthopConfig, { type: 'tunnel' }>, c: Ctx, x: Xlate): Action[] {
    const phys = this.tables.vifs.get(nh.vif);
    if (!phys) return x.drop('invalid_if', `vif0/${nh.vif} unknown`);
    if (c.label === undefined) return x.drop('invalid_label', `no ${nh.tunnel === 'vxlan' ? 'VNI' : 'label'} for tunnel nexthop ${nh.id}`);
    const pre: Action[] = [];
    if (nh.tunnel === 'vxlan' && c.routed) {
      if (!c.stitchedMac) return x.drop('invalid_nh', 'routed to a VXLAN tunnel without a stitched MAC on the route');
      const dmac = macKey(parseMac(c.stitchedMac, 'mac'));
      pre.push(...setMacs(dmac));
      x.trace.push(`L3 VXLAN: inner L2 rewrite ${dmac} <- ${VROUTER_MAC}`);
    }
    const spec = vrouterTunnelSpec(this.config, nh, phys, c.label, c.routed);
    const resolved = resolveTunnel(spec);
    // The overlay MTU decision is taken per packet (a megaflow has no length):
    // too big with DF drops with an ICMP error from the VRF gateway, without DF
    // the inner packet is fragmented, as the offload pipeline's vrouter profile.
    const mtuCheck: Action[] = [];
    if (c.ip) {
      const mtu = innerIpMtu({ ipMtu: phys.mtu, hwCsum: false }, spec);
      mtuCheck.push({ type: 'check_mtu', mtu, profile: 'vrouter', srcMac: VROUTER_MAC, srcIp4: c.inVif.gateway ?? '0.0.0.0', srcIp6: c.inVif.gateway6 ?? '::' });
      x.trace.push(`overlay MTU ${mtu} (vif0/${phys.id} MTU ${phys.mtu} minus the ${nh.tunnel} overhead)`);
    }
    const key = JSON.stringify(spec);
    let template = this.templates.get(key);
    if (!template) this.templates.set(key, (template = buildTemplate(resolved)));
    x.trace.push(`encap ${nh.tunnel} ${nh.tunnel === 'vxlan' ? 'vni' : 'label'} ${c.label} ${nh.sip} -> ${nh.dip}, outer TTL ${this.config.outerTtl}, DF clear`);
    return [...pre, ...mtuCheck, { type: 'tnl_push', tunnelPort: phys.id, template }, ...this.out(x, phys.id)];
  }

  // ---- fabric side ---------------------------------------------------------

  private fromFabric(u: Upcall, vif: VifConfig, eth: EthInfo, x: Xlate): Action[] {
    x.read('dl_type');
    const ip = eth.type === ETH_IPV4 || eth.type === ETH_IPV6 ? readIp(u.packet, eth.l3, eth.type) : undefined;
    if (ip) x.read('nw_dst', 'nw_proto', 'nw_frag');
    if (ip?.proto === 17) x.read('tp_dst');
    const toUs = ip !== undefined && bytesEqual(ip.dst, this.tables.vhostIp);
    if (toUs && ip.laterFragment) throw new NotAFlow('IPv4 later fragment of a tunnel packet');
    const isTunnel = toUs && (ip.proto === 47 || (ip.proto === 17 && (ip.dport === this.config.mplsoudpPort || ip.dport === this.config.vxlanPort)));
    if (!isTunnel) {
      const vhost = [...this.tables.vifs.values()].find((v) => v.type === 'vhost');
      if (!vhost) return x.drop('invalid_if', 'not a tunnel to this vRouter and no vhost interface');
      return this.out(x, vhost.id, 'not a tunnel: to vhost0');
    }
    x.trace.push(`tunnel to ${formatIp(ip.dst)}: tnl_pop, recirc(${RECIRC_FABRIC})`);
    return [
      { type: 'tnl_pop', tunnelPort: vif.id, receiver: this.receiver },
      { type: 'recirc', id: RECIRC_FABRIC },
    ];
  }

  private afterPop(u: Upcall, vif: VifConfig, x: Xlate): Action[] {
    x.read('tun_id');
    const [flagsOff] = KEY_FIELDS.tun_flags;
    x.mask[flagsOff] |= TUN_TYPE_BITS;
    const vxlan = (u.key[flagsOff] & TUN_VXLAN) !== 0;
    const id = keyNumber(u.key, 'tun_id');
    const nhId = vxlan ? this.tables.vxlan.get(id) : this.tables.mpls.get(id);
    x.trace.push(`recirc_id ${RECIRC_FABRIC}: decapsulated ${vxlan ? `vni ${id}` : `label ${id}`} -> nh ${nhId}`);
    const nh = nhId === undefined ? undefined : this.tables.nexthops.get(nhId);
    if (!nh) return x.drop(vxlan ? 'invalid_vnid' : 'invalid_label', 'no nexthop');
    const eth = readEth(u.packet);
    if (!eth) throw new NotAFlow('inner frame cut short');
    x.read('dl_type');
    const ip = eth.type === ETH_IPV4 || eth.type === ETH_IPV6 ? readIp(u.packet, eth.l3, eth.type) : undefined;
    const vrf = nh.type === 'vrf-translate' ? nh.targetVrf : nh.vrf;
    return this.emit(u, nh, { inVif: vif, vrf, eth, ip, frameLength: u.packet.length, routed: nh.family !== 'bridge', fromFabric: true, depth: 0 }, x);
  }

  private out(x: Xlate, vif: number, note?: string): Action[] {
    x.trace.push(`-> ${vifText(this.tables, vif)}${note ? `: ${note}` : ''}`);
    x.outputs++;
    return [{ type: 'output', port: vif }];
  }
}

function setMacs(dmac: string): Action[] {
  return [
    { type: 'set', field: 'eth_dst', value: dmac },
    { type: 'set', field: 'eth_src', value: VROUTER_MAC },
  ];
}
