/**
 * Translation of one packet through an OVS host's bridges (the model of
 * ofproto-dpif-xlate): OpenFlow table lookups, actions, NORMAL, patch ports
 * (followed inside the same translation, as OVS does), learn(), and the
 * datapath actions they commit, with the wildcards every consulted field
 * un-masks (the megaflow) and an ofproto/trace-style event list.
 *
 * Native VXLAN and GRE tunnel output (tnl_push through the underlay bridge)
 * and receive (tnl_pop at the underlay bridge's LOCAL port) are translated.
 * Not modelled (noted in the trace, never thrown): controller, conntrack,
 * groups, meters.
 */
import { formatActions, type Action } from '../datapath/actions.js';
import { OFPP_LOCAL, type Bridge, type OvsPort } from './bridge.js';
import { formatIpv4, formatMac, fullMask, hex, type FieldName, type SubField } from './fields.js';
import { extractFlow, FRAG_LATER, isIp, type Flow } from './flow.js';
import { formatGreTnlPush, GRE_TUNNEL_PORT, isGreTemplate, tnlPushAction, tunnelPop } from './native-tunnel.js';
import type { LearnAction, OfAction, OfRule, ParsedAction } from './flow-parser.js';
import { formatMatch } from './match-format.js';

export type TraceEvent =
  | { kind: 'bridge'; depth: number; bridge: string }
  | { kind: 'rule'; depth: number; table: number; match?: string; priority?: number; cookie?: string }
  | { kind: 'action'; depth: number; text: string }
  | { kind: 'note'; depth: number; text: string }
  /** A device outside OVS the packet crosses (hybrid plumbing's Linux bridge), with the path through it. */
  | { kind: 'hop'; depth: number; device: string; text: string };

export interface XlateOptions {
  /** Apply learn() and NORMAL MAC learning (false for a side-effect-free trace, as ofproto/trace). */
  mayLearn: boolean;
  /** The frame, when known: needed to follow a tunnel pop into the inner packet. */
  packet?: Uint8Array;
}

/**
 * Datapath actions of the model: the engine's actions plus tnl_pop (OVS
 * pops and recirculates; the actions after it apply to the inner frame).
 */
export type OvsOdpAction =
  | Action
  /** OVS's tunnel vport pops (vxlan_sys_<udp port> or gre_sys); the tunnel port the inner packet enters is chosen after it. */
  | { type: 'tnl_pop'; tunnelPort: number; kind: 'vxlan' | 'gre' };

/** dpctl text of model datapath actions (GRE tnl_push as OVS prints it). */
export function formatOdpActions(actions: readonly OvsOdpAction[]): string {
  if (!actions.length) return 'drop';
  return actions.map((a) => {
    if (a.type === 'tnl_pop') return `tnl_pop(${a.tunnelPort})`;
    if (a.type === 'clone') return `clone(${formatOdpActions(a.actions)})`;
    if (a.type === 'tnl_push' && isGreTemplate(a.template)) return formatGreTnlPush(a.template);
    return formatActions([a]);
  }).join(',');
}

/** The host around a translation: patch peers and the native-tunnel underlay. */
export interface XlateEnv {
  peerOf(peerName: string): OvsPort | undefined;
  underlay?: { bridge: string; ip: string; mac: string; neighbours: Record<string, string> };
  /** tnl/egress_port_range (outer UDP source ports of native tunnels). */
  egressPortRange?: [number, number];
  /** All ports of the host (tunnel ports are looked up on decap). */
  ports(): OvsPort[];
  bridge(name: string): Bridge | undefined;
}

export interface XlateResult {
  flow: Flow;
  finalFlow: Flow;
  actions: OvsOdpAction[];
  /** Bits of each field the translation consulted (the megaflow mask). */
  wildcards: Map<FieldName, bigint>;
  events: TraceEvent[];
  /** Text of rules installed by learn(). */
  learned: string[];
  /** The last reason a path of the translation ended in a drop (drop-reasons.ts name). */
  dropReason?: string;
  /** True when MAC learning or learn() changed the host's state (cached datapath flows may be stale). */
  changedState: boolean;
}

const MAX_DEPTH = 64;

/** Resolves a port's peer (patch) across the host's bridges. */

class Ctx {
  flow: Flow;
  base: Flow;
  readonly wc = new Map<FieldName, bigint>();
  odp: OvsOdpAction[] = [];
  readonly events: TraceEvent[] = [];
  readonly learned: string[] = [];
  bridge: Bridge;
  table = 0;
  depth = 0;
  exit = false;
  dropReason?: string;
  changedState = false;
  /** Mirrors already applied to this packet (each copies it once), per bridge. */
  readonly mirrored = new Set<string>();
  /** vlan_tci of the packet as it entered the current bridge (mirrors copy its VLAN). */
  entryTci = 0n;

  constructor(bridge: Bridge, flow: Flow, readonly opts: XlateOptions, readonly env: XlateEnv) {
    this.bridge = bridge;
    this.flow = { ...flow };
    this.base = { ...flow };
  }

  see(field: FieldName, mask: bigint = fullMask(64 * 2)): void {
    this.wc.set(field, (this.wc.get(field) ?? 0n) | mask);
  }
  note(text: string, dropReason?: string): void {
    this.events.push({ kind: 'note', depth: this.depth, text });
    if (dropReason) this.dropReason = dropReason;
  }
}

function ruleMatches(rule: OfRule, flow: Flow): boolean {
  for (const [f, m] of rule.match) if ((flow[f] & m.mask) !== m.value) return false;
  return true;
}

function readSub(flow: Flow, sf: SubField): bigint {
  return (flow[sf.field] >> BigInt(sf.ofs)) & fullMask(sf.nbits);
}

function writeSub(flow: Flow, sf: SubField, value: bigint, mask = fullMask(sf.nbits)): void {
  const m = mask << BigInt(sf.ofs);
  flow[sf.field] = (flow[sf.field] & ~m) | ((value << BigInt(sf.ofs)) & m);
}

const L3_FIELDS = new Set<FieldName>(['nw_src', 'nw_dst', 'nw_tos', 'nw_ttl', 'ipv6_src', 'ipv6_dst', 'nw_proto']);
const L4_FIELDS = new Set<FieldName>(['tp_src', 'tp_dst']);

/** OVS mf_are_prereqs_ok for the fields an action writes. */
function prereqsOk(flow: Flow, field: FieldName): boolean {
  if (L3_FIELDS.has(field)) return isIp(flow) || (flow.dl_type === 0x806n && (field === 'nw_src' || field === 'nw_dst' || field === 'nw_proto'));
  if (field === 'arp_sha' || field === 'arp_tha') return flow.dl_type === 0x806n;
  if (L4_FIELDS.has(field)) return isIp(flow) && [1n, 6n, 17n, 58n, 132n].includes(flow.nw_proto) && !(flow.nw_frag & FRAG_LATER);
  return true;
}

/** Pushes an outer tag (VID 0, PCP 0); the old outer tag becomes the inner one. */
function pushVlan(flow: Flow): void {
  flow.vlan_tci2 = flow.vlan_tci;
  flow.vlan_tci = 0x1000n;
}

/** Emits pops and pushes so the packet's tags become the flow's (OVS commit_vlan_action: common inner tags stay). */
function commitVlans(ctx: Ctx): void {
  const stack = (f: Flow): bigint[] => [f.vlan_tci, f.vlan_tci2].filter((t) => t & 0x1000n);
  const b = stack(ctx.base);
  const f = stack(ctx.flow);
  let bn = b.length;
  let fn = f.length;
  while (bn > 0 && fn > 0 && b[bn - 1] === f[fn - 1]) { bn--; fn--; }
  for (; bn > 0; bn--) ctx.odp.push({ type: 'pop_vlan' });
  for (; fn > 0; fn--) ctx.odp.push({ type: 'push_vlan', vid: Number(f[fn - 1] & 0xfffn), pcp: Number(f[fn - 1] >> 13n) });
}

function macText(v: bigint): string {
  return formatMac(v);
}

/** Emits datapath actions for every difference between the committed packet and the flow. */
function commit(ctx: Ctx): void {
  const f = ctx.flow;
  const b = ctx.base;
  if (f.dl_src !== b.dl_src) ctx.odp.push({ type: 'set', field: 'eth_src', value: macText(f.dl_src) });
  if (f.dl_dst !== b.dl_dst) ctx.odp.push({ type: 'set', field: 'eth_dst', value: macText(f.dl_dst) });
  if (f.vlan_tci !== b.vlan_tci || f.vlan_tci2 !== b.vlan_tci2) {
    ctx.see('vlan_tci', 0xffffn);
    commitVlans(ctx);
  }
  if (f.dl_type === 0x800n) {
    if (f.nw_src !== b.nw_src) ctx.odp.push({ type: 'set', field: 'ipv4_src', value: formatIpv4(f.nw_src) });
    if (f.nw_dst !== b.nw_dst) ctx.odp.push({ type: 'set', field: 'ipv4_dst', value: formatIpv4(f.nw_dst) });
    if (f.nw_tos >> 2n !== b.nw_tos >> 2n) ctx.odp.push({ type: 'set', field: 'dscp', value: Number(f.nw_tos >> 2n) });
    if (f.nw_ttl !== b.nw_ttl) ctx.odp.push({ type: 'set', field: 'ttl', value: Number(f.nw_ttl) });
    if (f.nw_proto === 6n || f.nw_proto === 17n) {
      const p = f.nw_proto === 6n ? 'tcp' : 'udp';
      if (f.tp_src !== b.tp_src) ctx.odp.push({ type: 'set', field: `${p}_src`, value: Number(f.tp_src) });
      if (f.tp_dst !== b.tp_dst) ctx.odp.push({ type: 'set', field: `${p}_dst`, value: Number(f.tp_dst) });
    }
  }
  for (const k of ['dl_src', 'dl_dst', 'vlan_tci', 'vlan_tci2', 'nw_src', 'nw_dst', 'nw_tos', 'nw_ttl', 'tp_src', 'tp_dst'] as const) b[k] = f[k];
}

/** Entering a bridge: ingress mirrors (the packet as received), then table 0. */
function startBridge(ctx: Ctx): void {
  const savedEntry = ctx.entryTci;
  ctx.entryTci = ctx.flow.vlan_tci;
  if (ctx.bridge.mirrors.length) {
    const inPort = ctx.bridge.portByOfport(Number(ctx.flow.in_port));
    if (inPort) mirrorPacket(ctx, (m) => m.selectAll || m.selectSrc.includes(inPort.name));
  }
  lookup(ctx, 0);
  ctx.entryTci = savedEntry;
}

function lookup(ctx: Ctx, tableId: number): void {
  if (ctx.depth >= MAX_DEPTH) {
    ctx.note(`resubmit depth ${MAX_DEPTH} exceeded, dropping`, 'ovs_resubmit_too_deep');
    ctx.exit = true;
    return;
  }
  const prevTable = ctx.table;
  ctx.table = tableId;
  const rules = ctx.bridge.table(tableId);
  let hit: OfRule | undefined;
  for (const r of rules) {
    // un-wildcard what the classifier had to look at to decide
    for (const [f, m] of r.match) ctx.see(f, m.mask);
    if (ruleMatches(r, ctx.flow)) {
      hit = r;
      break;
    }
  }
  if (!hit) {
    ctx.events.push({ kind: 'rule', depth: ctx.depth, table: tableId });
    ctx.note('No match.', 'ovs_table_miss');
    ctx.events.push({ kind: 'action', depth: ctx.depth, text: 'drop' });
    ctx.table = prevTable;
    return;
  }
  ctx.events.push({
    kind: 'rule', depth: ctx.depth, table: tableId, match: hit.matchText, priority: hit.priority,
    ...(hit.cookie ? { cookie: hex(hit.cookie) } : {}),
  });
  if (hit.actions.length === 0) ctx.events.push({ kind: 'action', depth: ctx.depth, text: 'drop' });
  doActions(ctx, hit.actions);
  ctx.table = prevTable;
}

function doActions(ctx: Ctx, actions: readonly ParsedAction[]): void {
  for (const pa of actions) {
    if (ctx.exit) return;
    ctx.events.push({ kind: 'action', depth: ctx.depth, text: pa.text });
    doAction(ctx, pa.action);
  }
}

function doAction(ctx: Ctx, a: OfAction): void {
  const flow = ctx.flow;
  switch (a.type) {
    case 'output': {
      const p = ctx.bridge.portByRef(a.port);
      if (!p) { ctx.note(`output to unknown port ${a.port}`); return; }
      ctx.see('in_port', fullMask(32));
      if (BigInt(p.ofport) === flow.in_port) { ctx.note('skipping output to input port'); return; }
      outputPort(ctx, p);
      return;
    }
    case 'output_reg': {
      ctx.see(a.src.field, fullMask(a.src.nbits) << BigInt(a.src.ofs));
      doAction(ctx, { type: 'output', port: Number(readSub(flow, a.src)) });
      return;
    }
    case 'in_port': {
      const p = ctx.bridge.portByOfport(Number(flow.in_port));
      if (p) outputPort(ctx, p);
      return;
    }
    case 'local': {
      const p = ctx.bridge.portByOfport(OFPP_LOCAL);
      if (p && flow.in_port !== BigInt(OFPP_LOCAL)) outputPort(ctx, p);
      return;
    }
    case 'flood':
    case 'all':
      ctx.see('in_port', fullMask(32));
      for (const p of ctx.bridge.floodPorts) if (BigInt(p.ofport) !== flow.in_port) outputPort(ctx, p);
      return;
    case 'normal':
      xlateNormal(ctx);
      return;
    case 'controller':
      ctx.note('controller action not modelled (no controller)');
      return;
    case 'drop':
      ctx.exit = true;
      return;
    case 'mod_vlan_vid':
    case 'mod_vlan_pcp':
      ctx.see('vlan_tci', 0x1fffn);
      if (ctx.bridge.openflow !== '1.0' && !a.flowHasVlan) pushVlan(flow); // encoded as push_vlan + set_field
      else if (!(flow.vlan_tci & 0x1000n)) flow.vlan_tci = 0x1000n;
      if (a.type === 'mod_vlan_vid') flow.vlan_tci = (flow.vlan_tci & ~0xfffn) | BigInt(a.vid);
      else flow.vlan_tci = (flow.vlan_tci & 0x1fffn) | (BigInt(a.pcp) << 13n);
      return;
    case 'strip_vlan':
      ctx.see('vlan_tci', 0x1000n);
      flow.vlan_tci = flow.vlan_tci2;
      flow.vlan_tci2 = 0n;
      return;
    case 'push_vlan':
      pushVlan(flow);
      return;
    case 'set_field': {
      const d = a.dst;
      if (!prereqsOk(flow, d.field)) { ctx.note(`set_field ${d.text}: prerequisites not met, skipped`); return; }
      if (d.field === 'vlan_tci' && (d.ofs === 0 || d.ofs === 13) && d.nbits !== 16) {
        ctx.see('vlan_tci', 0x1000n);
        if (!(flow.vlan_tci & 0x1000n)) return; // OF1.2+: no tag, nothing to set
        writeSub(flow, d, d.ofs === 0 ? a.value | 0x1000n : a.value, d.ofs === 0 ? a.mask | 0x1000n : a.mask);
      } else writeSub(flow, d, a.value, a.mask);
      ctx.see(d.field, a.mask << BigInt(d.ofs));
      return;
    }
    case 'load':
      if (!prereqsOk(flow, a.dst.field)) { ctx.note(`load ${a.dst.text}: prerequisites not met, skipped`); return; }
      writeSub(flow, a.dst, a.value);
      ctx.see(a.dst.field, fullMask(a.dst.nbits) << BigInt(a.dst.ofs));
      return;
    case 'move': {
      ctx.see(a.src.field, fullMask(a.src.nbits) << BigInt(a.src.ofs));
      ctx.see(a.dst.field, fullMask(a.dst.nbits) << BigInt(a.dst.ofs));
      writeSub(flow, a.dst, readSub(flow, a.src));
      return;
    }
    case 'dec_ttl':
      ctx.see('dl_type', 0xffffn);
      if (!isIp(flow)) return;
      ctx.see('nw_ttl', 0xffn);
      if (flow.nw_ttl <= 1n) {
        ctx.note('dec_ttl: TTL would reach zero, dropping (no controller)', 'ovs_ttl_expired');
        ctx.exit = true;
        return;
      }
      flow.nw_ttl -= 1n;
      return;
    case 'resubmit': {
      const oldIn = flow.in_port;
      if (a.port !== undefined) {
        const p = ctx.bridge.portByRef(a.port);
        if (!p) { ctx.note(`resubmit to unknown port ${a.port}`); return; }
        flow.in_port = BigInt(p.ofport);
      }
      ctx.depth++;
      lookup(ctx, a.table ?? ctx.table);
      ctx.depth--;
      if (a.port !== undefined) flow.in_port = oldIn;
      return;
    }
    case 'goto_table':
      lookup(ctx, a.table);
      return;
    case 'write_metadata':
      flow.metadata = (flow.metadata & ~a.mask) | (a.value & a.mask);
      return;
    case 'learn':
      doLearn(ctx, a);
      return;
    case 'note':
      return;
  }
}

function doLearn(ctx: Ctx, a: LearnAction): void {
  const flow = ctx.flow;
  const rule: OfRule = {
    table: a.table, priority: a.priority, cookie: a.cookie, idleTimeout: a.idleTimeout, hardTimeout: a.hardTimeout,
    match: new Map(), actions: [], matchText: '', actionsText: '',
  };
  const actText: string[] = [];
  for (const s of a.specs) {
    if (s.kind === 'match_field' || s.kind === 'match_value') {
      const v = s.kind === 'match_field' ? readSub(flow, s.src) : s.value;
      if (s.kind === 'match_field') ctx.see(s.src.field, fullMask(s.src.nbits) << BigInt(s.src.ofs));
      const m = fullMask(s.dst.nbits) << BigInt(s.dst.ofs);
      const prev = rule.match.get(s.dst.field) ?? { value: 0n, mask: 0n };
      rule.match.set(s.dst.field, { value: (prev.value & ~m) | ((v << BigInt(s.dst.ofs)) & m), mask: prev.mask | m });
    } else if (s.kind === 'load_field' || s.kind === 'load_value') {
      const v = s.kind === 'load_field' ? readSub(flow, s.src) : s.value;
      if (s.kind === 'load_field') ctx.see(s.src.field, fullMask(s.src.nbits) << BigInt(s.src.ofs));
      rule.actions.push({ action: { type: 'load', dst: s.dst, value: v }, text: `load:${hex(v)}->${s.dst.text}` });
      actText.push(`load:${v === 0n ? '0' : hex(v)}->${s.dst.text}`);
    } else {
      const port = Number(readSub(flow, s.src));
      ctx.see(s.src.field, fullMask(s.src.nbits) << BigInt(s.src.ofs));
      rule.actions.push({ action: { type: 'output', port }, text: `output:${port}` });
      actText.push(`output:${port}`);
    }
  }
  rule.matchText = formatMatch(rule.match);
  rule.actionsText = actText.join(',');
  const text = `table=${rule.table} priority=${rule.priority},${rule.matchText}${rule.hardTimeout ? ` hard_timeout=${rule.hardTimeout}` : ''}${rule.idleTimeout ? ` idle_timeout=${rule.idleTimeout}` : ''} actions=${rule.actionsText}`;
  ctx.learned.push(text);
  if (ctx.opts.mayLearn && ctx.bridge.hasSameRule(rule)) ctx.note(`learned (already installed): ${text}`);
  else if (ctx.opts.mayLearn) {
    ctx.bridge.addRule(rule, true);
    ctx.changedState = true;
    ctx.note(`learned: ${text}`);
  } else ctx.note(`learn (side effects suppressed): ${text}`);
}

/**
 * The Linux bridge of hybrid plumbing (qbr, STP off, group_fwd_mask 0, as
 * Neutron creates it) does not forward link-local 01:80:c2:00:00:01-0f
 * (br_handle_frame); 01:80:c2:00:00:00 passes with STP off. Un-wildcards
 * the dl_dst bits the decision reads.
 */
function linuxBridgeBlocks(ctx: Ctx): boolean {
  const dst = ctx.flow.dl_dst;
  const group = dst >> 4n === 0x0180c200000n;
  ctx.see('dl_dst', group ? fullMask(48) : 0xfffffffffff0n);
  return group && (dst & 0xfn) !== 0n;
}

/** Sends the packet out of `port`: patch ports continue in the peer bridge. */
function outputPort(ctx: Ctx, port: OvsPort): void {
  const cfg = port.cfg;
  if (cfg.hybrid && linuxBridgeBlocks(ctx)) {
    ctx.note(`output to ${cfg.hybrid.qvo}: the Linux bridge ${cfg.hybrid.qbr} does not forward ${formatMac(ctx.flow.dl_dst)} to tap ${port.name}`, 'linux_bridge_link_local');
    return;
  }
  if (cfg.type === 'patch') {
    const peer = cfg.peer !== undefined ? ctx.env.peerOf(cfg.peer) : undefined;
    if (!peer) { ctx.note(`patch port ${cfg.name} has no peer`); return; }
    const saved = { ...ctx.flow };
    const savedBridge = ctx.bridge;
    const savedTable = ctx.table;
    const f = ctx.flow;
    f.in_port = BigInt(peer.ofport);
    f.metadata = 0n;
    f.tun_id = 0n; f.tun_src = 0n; f.tun_dst = 0n;
    for (let r = 0; r < 8; r++) f[`reg${r}` as FieldName] = 0n;
    ctx.bridge = peer.bridge;
    ctx.events.push({ kind: 'bridge', depth: ctx.depth, bridge: peer.bridge.name });
    const savedExit = ctx.exit;
    startBridge(ctx);
    ctx.exit = savedExit;
    ctx.bridge = savedBridge;
    ctx.table = savedTable;
    // the datapath packet keeps what was committed; the OpenFlow flow goes back
    ctx.flow = saved;
    return;
  }
  if (cfg.type === 'tunnel') {
    tunnelOutput(ctx, port);
    return;
  }
  if (cfg.ofport === OFPP_LOCAL && tunnelInput(ctx, port)) return;
  commit(ctx);
  ctx.odp.push({ type: 'output', port: port.dpPort });
  if (cfg.hybrid) ctx.note(`${cfg.hybrid.qvo} -> veth ${cfg.hybrid.qvb} -> Linux bridge ${cfg.hybrid.qbr} -> tap ${port.name}`);
  if (ctx.bridge.mirrors.length) mirrorPacket(ctx, (m) => m.selectAll || m.selectDst.includes(port.name));
}

/** The packet's VLAN inside the bridge (for mirror selection and output). */
function bridgeVlan(ctx: Ctx): number {
  const inPort = ctx.bridge.portByOfport(Number(ctx.flow.in_port));
  const vid = ctx.entryTci & 0x1000n ? Number(ctx.entryTci & 0xfffn) : 0;
  return inPort ? inPort.inputVlan(vid) : vid;
}

/** Emits one copy per selected mirror not yet applied (OVS mirror_packet). */
function mirrorPacket(ctx: Ctx, selected: (m: Bridge['mirrors'][number]) => boolean): void {
  const vlan = bridgeVlan(ctx);
  for (const m of ctx.bridge.mirrors) {
    const key = `${ctx.bridge.name}/${m.name}`;
    if (ctx.mirrored.has(key) || !selected(m)) continue;
    if (m.selectVlan.length && !m.selectVlan.includes(vlan)) continue;
    ctx.mirrored.add(key);
    ctx.see('vlan_tci', 0x1fffn);
    ctx.note(`mirror ${m.name}`);
    if (m.outputPort !== undefined) {
      const out = ctx.bridge.portByRef(m.outputPort);
      if (out && BigInt(out.ofport) !== ctx.flow.in_port) outputNormal(ctx, out, vlan);
    } else if (m.outputVlan !== undefined) {
      const old = ctx.flow.vlan_tci;
      for (const p of ctx.bridge.floodPorts) {
        if (BigInt(p.ofport) === ctx.flow.in_port || !p.includesVlan(m.outputVlan)) continue;
        const vid = p.outputVid(m.outputVlan);
        ctx.flow.vlan_tci = vid ? 0x1000n | BigInt(vid) : 0n;
        commit(ctx);
        if (p.cfg.type !== 'patch') ctx.odp.push({ type: 'output', port: p.dpPort });
      }
      ctx.flow.vlan_tci = old;
    }
  }
}

/** Runs `fn` as a separate translation of another packet (its own flow and committed state). */
function withPacket(ctx: Ctx, flow: Flow, bridge: Bridge, fn: () => void): void {
  const saved = { flow: ctx.flow, base: ctx.base, bridge: ctx.bridge, table: ctx.table, exit: ctx.exit };
  ctx.flow = { ...flow };
  ctx.base = { ...flow };
  ctx.bridge = bridge;
  ctx.exit = false;
  fn();
  Object.assign(ctx, saved);
}

/** Output to a VXLAN or GRE port: tnl_push, then the outer packet leaves through the underlay bridge (OVS native tunnelling). */
function tunnelOutput(ctx: Ctx, port: OvsPort): void {
  const t = port.cfg.tunnel;
  const u = ctx.env.underlay;
  const ub = u ? ctx.env.bridge(u.bridge) : undefined;
  if (!t || !u || !ub) { ctx.note(`tunnel port ${port.name}: no underlay bridge to route through, dropping`); return; }
  const dstMac = u.neighbours[t.remoteIp];
  if (!dstMac) { ctx.note(`tunnel port ${port.name}: no neighbour entry for ${t.remoteIp}, dropping`); return; }
  const vni = t.key === 'flow' ? Number(ctx.flow.tun_id & 0xffffffn) : t.key;
  if (t.key === 'flow') ctx.see('tun_id', fullMask(64));
  // tnl_port_send: the outer header takes the inner ECN bits
  if (isIp(ctx.flow)) ctx.see('nw_tos', 3n);
  commit(ctx);
  const local = t.localIp ?? u.ip;
  ctx.note('output to native tunnel');
  ctx.note(`tunneling to ${t.remoteIp} via ${ub.name}`);
  ctx.note(`tunneling from ${u.mac} ${local} to ${dstMac} ${t.remoteIp}`);
  const gre = t.type === 'gre';
  // GRE carries the low 32 bits of tun_id as its key
  const greKey = t.key === 'flow' ? Number(ctx.flow.tun_id & 0xffffffffn) : t.key;
  const push = tnlPushAction({
    type: gre ? 'gre' : 'vxlan', tunnelPort: gre ? GRE_TUNNEL_PORT : t.dstPort, localIp: local, remoteIp: t.remoteIp, srcMac: u.mac, dstMac,
    dstPort: t.dstPort, vni: gre ? greKey : vni, csum: t.csum, df: true,
    ...(ctx.env.egressPortRange ? { srcPortRange: ctx.env.egressPortRange } : {}),
  });
  const outer = { ...ctx.flow };
  for (const k of Object.keys(outer) as FieldName[]) outer[k] = 0n;
  const localPort = ub.portByOfport(OFPP_LOCAL);
  outer.in_port = BigInt(OFPP_LOCAL);
  outer.dl_src = BigInt(`0x${u.mac.replace(/:/g, '')}`);
  outer.dl_dst = BigInt(`0x${dstMac.replace(/:/g, '')}`);
  outer.dl_type = 0x800n;
  outer.nw_src = local.split('.').reduce((a, x) => (a << 8n) | BigInt(Number(x)), 0n);
  outer.nw_dst = t.remoteIp.split('.').reduce((a, x) => (a << 8n) | BigInt(Number(x)), 0n);
  outer.nw_proto = gre ? 47n : 17n;
  outer.nw_ttl = 64n;
  outer.tp_dst = gre ? 0n : BigInt(t.dstPort);
  const savedOdp = ctx.odp;
  const wcBefore = new Map(ctx.wc);
  ctx.odp = [push];
  ctx.events.push({ kind: 'bridge', depth: ctx.depth, bridge: ub.name });
  if (localPort) withPacket(ctx, outer, ub, () => lookup(ctx, 0));
  const inner = ctx.odp.filter((a): a is Action => a.type !== 'tnl_pop');
  ctx.odp = savedOdp;
  // the underlay lookup reads the outer packet, not the flow being translated
  ctx.wc.clear();
  for (const [k, v] of wcBefore) ctx.wc.set(k, v);
  ctx.odp.push({ type: 'clone', actions: inner });
}

/**
 * Output to the underlay bridge's LOCAL port of a packet for one of the
 * host's tunnel vports (OVS tnl-ports: local IP, IP protocol and, for VXLAN,
 * UDP destination port; the outer source is not looked at): tnl_pop; the
 * tunnel port the inner packet enters is found after the pop by remote IP
 * and key (tnl_port_receive), and without one the inner packet is dropped.
 */
function tunnelInput(ctx: Ctx, local: OvsPort): boolean {
  const u = ctx.env.underlay;
  const f = ctx.flow;
  if (!u || local.bridge.name !== u.bridge || f.dl_type !== 0x800n || (f.nw_proto !== 17n && f.nw_proto !== 47n)) return false;
  const gre = f.nw_proto === 47n;
  const ipv = u.ip.split('.').reduce((a, x) => (a << 8n) | BigInt(Number(x)), 0n);
  ctx.see('nw_dst', fullMask(32));
  ctx.see('nw_proto', 0xffn);
  if (!gre) ctx.see('tp_dst', 0xffffn);
  if (f.nw_dst !== ipv || f.nw_frag !== 0n) return false;
  const ofKind = (p: OvsPort): boolean => p.cfg.type === 'tunnel' && p.cfg.tunnel !== undefined &&
    (gre ? p.cfg.tunnel.type === 'gre' : p.cfg.tunnel.type !== 'gre' && p.cfg.tunnel.dstPort === Number(f.tp_dst));
  const vport = ctx.env.ports().find(ofKind);
  if (!vport?.cfg.tunnel) return false;
  commit(ctx);
  // GRE: the tunnel vport is named by IP protocol 47 (gre_sys) instead of a UDP port
  const tunnelPort = gre ? GRE_TUNNEL_PORT : vport.cfg.tunnel.dstPort;
  ctx.odp.push({ type: 'tnl_pop', tunnelPort, kind: gre ? 'gre' : 'vxlan' });
  const popped = ctx.opts.packet ? tunnelPop(ctx.opts.packet) : undefined;
  if (!popped) { ctx.note('tnl_pop: the inner packet is translated after recirculation (no packet given)'); return true; }
  const src = formatIpv4(f.nw_src);
  const tport = ctx.env.ports().find((p) => ofKind(p) && p.cfg.tunnel?.remoteIp === src &&
    (p.cfg.tunnel.localIp === undefined || p.cfg.tunnel.localIp === u.ip) && (p.cfg.tunnel.key === 'flow' || p.cfg.tunnel.key === popped.vni));
  if (!tport) {
    ctx.note(`tnl_pop(${tunnelPort}): no tunnel port for remote ${src} and key ${popped.vni}, dropping`, 'ovs_table_miss');
    return true;
  }
  const inner = extractFlow(popped.inner, tport.ofport);
  inner.tun_id = BigInt(popped.vni);
  inner.tun_src = f.nw_src;
  inner.tun_dst = f.nw_dst;
  ctx.note(`tnl_pop(${tunnelPort}): resuming with the inner packet on ${tport.name} (recirculation)`);
  ctx.events.push({ kind: 'bridge', depth: ctx.depth, bridge: tport.bridge.name });
  withPacket(ctx, inner, tport.bridge, () => startBridge(ctx));
  return true;
}

const isMulticast = (mac: bigint): boolean => ((mac >> 40n) & 1n) === 1n;
const isReserved = (mac: bigint): boolean => mac >> 4n === 0x0180c200000n;

/** The NORMAL action: MAC learning per VLAN, VLAN rules, flooding (ofproto-dpif-xlate xlate_normal). */
function xlateNormal(ctx: Ctx): void {
  const flow = ctx.flow;
  const br = ctx.bridge;
  ctx.see('in_port', fullMask(32));
  ctx.see('dl_src', fullMask(48));
  ctx.see('dl_dst', fullMask(48));
  ctx.see('vlan_tci', 0x1fffn);
  const inPort = br.portByOfport(Number(flow.in_port));
  if (!inPort) { ctx.note('no input bundle, dropping'); return; }
  // is_gratuitous_arp (run for MAC learning): a broadcast ARP's opcode, and a request's addresses, are read
  if (flow.dl_type === 0x806n && flow.dl_dst === 0xffffffffffffn) {
    ctx.see('nw_proto', 0xffn);
    if (flow.nw_proto === 1n) { ctx.see('nw_src', fullMask(32)); ctx.see('nw_dst', fullMask(32)); }
  }
  if (br.mirrors.length && br.isMirrorOutput(inPort)) { ctx.note('dropping packets received on mirror output port'); return; }
  if (isReserved(flow.dl_dst)) { ctx.note('dropping packet with reserved destination MAC (STP/LACP range)', 'ovs_reserved_mac'); return; }
  const vid = flow.vlan_tci & 0x1000n ? Number(flow.vlan_tci & 0xfffn) : 0;
  if (!inPort.inputVidValid(vid)) {
    ctx.note(inPort.vlanMode === 'access'
      ? `dropping VLAN ${vid} tagged packet received on port ${inPort.name} configured as VLAN ${inPort.tag} access port`
      : `dropping VLAN ${vid} packet received on port ${inPort.name} not configured for trunking VLAN ${vid}`, 'ovs_vlan_not_allowed');
    return;
  }
  const vlan = inPort.inputVlan(vid);
  if (ctx.opts.mayLearn && !isMulticast(flow.dl_src)) {
    const key = `${vlan}/${flow.dl_src}`;
    const prev = br.macTable.get(key);
    if (!prev || prev.port !== inPort) {
      br.macTable.set(key, { port: inPort, vlan, mac: flow.dl_src });
      ctx.changedState = true;
      ctx.note(`learned that ${formatMac(flow.dl_src)} is on port ${inPort.name} in VLAN ${vlan}`);
    }
  }
  if (!isMulticast(flow.dl_dst)) {
    const e = br.macTable.get(`${vlan}/${flow.dl_dst}`);
    if (e) {
      if (e.port === inPort) { ctx.note('learned port is input port, dropping', 'ovs_learned_input_port'); return; }
      ctx.note('forwarding to learned port');
      outputNormal(ctx, e.port, vlan);
      return;
    }
    ctx.note('no learned MAC for destination, flooding');
  } else ctx.note('multicast/broadcast destination, flooding');
  for (const p of br.floodPorts) {
    if (p === inPort || !p.includesVlan(vlan)) continue;
    outputNormal(ctx, p, vlan);
  }
}

function outputNormal(ctx: Ctx, port: OvsPort, vlan: number): void {
  const old = ctx.flow.vlan_tci;
  const vid = port.outputVid(vlan);
  ctx.flow.vlan_tci = vid ? 0x1000n | BigInt(vid) | (old & 0xe000n) : 0n;
  outputPort(ctx, port);
  ctx.flow.vlan_tci = old;
}

/** Translates `flow` entering `bridge`. */
export function xlate(bridge: Bridge, flow: Flow, opts: XlateOptions, env: XlateEnv): XlateResult {
  const ctx = new Ctx(bridge, flow, opts, env);
  // xlate_wc_init: always examined
  ctx.see('in_port', fullMask(32));
  ctx.see('dl_type', 0xffffn);
  if (isIp(flow)) ctx.see('nw_frag', 3n);
  // tnl_wc_init: a packet that came from a tunnel matches its tunnel metadata
  if (flow.tun_src || flow.tun_dst) {
    ctx.see('tun_id', fullMask(64));
    ctx.see('tun_src', fullMask(32));
    ctx.see('tun_dst', fullMask(32));
  }
  const inPort = bridge.portByOfport(Number(flow.in_port));
  const hybrid = inPort?.cfg.hybrid;
  // hybrid plumbing: the frame crosses the tap's Linux bridge and veth pair before OVS sees it on qvo
  if (inPort && hybrid) ctx.events.push({ kind: 'hop', depth: 0, device: `linux_bridge("${hybrid.qbr}")`, text: `tap ${inPort.name} -> ${hybrid.qbr} -> veth ${hybrid.qvb} -> ${hybrid.qvo} (${bridge.name} port ${inPort.ofport})` });
  if (hybrid && linuxBridgeBlocks(ctx)) ctx.note(`the Linux bridge ${hybrid.qbr} does not forward link-local ${formatMac(flow.dl_dst)}, dropping`, 'linux_bridge_link_local');
  else {
    ctx.events.push({ kind: 'bridge', depth: 0, bridge: bridge.name });
    startBridge(ctx);
  }
  // a tnl_pop hands the packet on (the inner packet is translated after recirculation)
  // xlate_wc_finish: a later fragment has no ports to match
  if (flow.nw_frag & FRAG_LATER) { ctx.wc.delete('tp_src'); ctx.wc.delete('tp_dst'); }
  const outputs = (list: readonly OvsOdpAction[]): boolean =>
    list.some((a) => a.type === 'output' || (a.type === 'clone' && outputs(a.actions)) || (a.type === 'tnl_pop' && !opts.packet));
  const hasOutput = outputs(ctx.odp);
  return {
    flow: { ...flow }, finalFlow: ctx.flow, actions: ctx.odp, wildcards: ctx.wc, events: ctx.events, learned: ctx.learned,
    changedState: ctx.changedState,
    ...(hasOutput ? {} : { dropReason: ctx.dropReason ?? 'ovs_rule_no_output' }),
  };
}
