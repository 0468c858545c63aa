/**
 * Datapath action programs (native/action.h holds the encoding): the
 * TypeScript action list, its compiler to the versioned binary program the
 * native executor runs, the decoder, and the dpctl/dump-flows text form
 * ("push_vlan(vid=10,pcp=0),set(ipv4(dst=10.0.0.9)),clone(3),2") both ways.
 *
 * Text forms: a bare number is output(port); push_vlan(vid=N[,pcp=N][,tpid=0x88a8]);
 * pop_vlan; set(eth(src=MAC,dst=MAC)); set(ipv4(src=IP,dst=IP)); set(ipv6(src=IP,dst=IP));
 * set(tcp(src=N,dst=N)); set(udp(src=N,dst=N)); set(ip(ttl=N)); set(ip(dscp=N));
 * clone(actions); drop or drop(reason_name); userspace(cookie=N);
 * tnl_push(tnl_port(N),header(...)) (printed only: templates come from tunnel specs);
 * tnl_pop(N) (a tunnel port; parsed from a name or port number through the
 * receivers map, as the receiver tables come from tunnel specs); recirc(0x1);
 * check_mtu(mtu=N,profile=linux|ovs|vrouter[,frame_limit=N][,src_mac=MAC][,src_ip4=IP][,src_ip6=IP])
 * (the src_* fields are where ICMP errors come from); gso(linux|ovs);
 * csum_complete(correct|bad-hw-csum|nested-mplsogre-csum|vxlan-vlan-gso).
 */
import { DROP_REASONS } from './drop-reasons.js';
import { formatIp, parseIp, parseMac } from '../tunnel/addr.js';
import { splitTopLevel } from '../split-top-level.js';

export const ACTION_VERSION = 1;
export const MAX_CLONE_DEPTH = 4;
export const TUNNEL_TEMPLATE_SIZE = 128;

/** Opcodes (native/action.h VS_ACTION_OPS). */
export const ActionOp = {
  OUTPUT: 1,
  PUSH_VLAN: 2,
  POP_VLAN: 3,
  SET_ETH_SRC: 4,
  SET_ETH_DST: 5,
  SET_IPV4_SRC: 6,
  SET_IPV4_DST: 7,
  SET_IPV6_SRC: 8,
  SET_IPV6_DST: 9,
  SET_TP_SRC: 10,
  SET_TP_DST: 11,
  SET_TTL: 12,
  SET_DSCP: 13,
  CLONE: 14,
  DROP: 15,
  USERSPACE: 16,
  TNL_PUSH: 17,
  TNL_POP: 18,
  RECIRC: 19,
  CHECK_MTU: 20,
  GSO: 21,
  CSUM_COMPLETE: 22,
} as const;

/** CHECK_MTU / GSO actions along one path of a program (native kMaxSegmentDepth). */
export const MAX_SEGMENT_DEPTH = 2;

/** Profiles of check_mtu (native MtuProfile): what a too-big packet gets. */
export const MTU_PROFILES = ['linux', 'ovs', 'vrouter'] as const;
export type MtuProfileName = (typeof MTU_PROFILES)[number];
/** Profiles of gso (native GsoProfile): CWR on the first segment only (linux) or on all (ovs). */
export const GSO_PROFILES = ['linux', 'ovs'] as const;
export type GsoActionProfile = (typeof GSO_PROFILES)[number];
/** Checksum engines of csum_complete (native CsumEngine): correct, or a modelled NIC fault. */
export const CSUM_ENGINES = ['correct', 'bad-hw-csum', 'nested-mplsogre-csum', 'vxlan-vlan-gso'] as const;
export type CsumEngineAction = (typeof CSUM_ENGINES)[number];

/** Recirculations per input packet (native kMaxRecircDepth, as OVS MAX_RECIRC_DEPTH). */
export const MAX_RECIRC_DEPTH = 6;

export type SetField =
  | { field: 'eth_src' | 'eth_dst'; value: string }
  | { field: 'ipv4_src' | 'ipv4_dst' | 'ipv6_src' | 'ipv6_dst'; value: string }
  | { field: 'tcp_src' | 'tcp_dst' | 'udp_src' | 'udp_dst'; value: number }
  | { field: 'ttl' | 'dscp'; value: number };

export type Action =
  | { type: 'output'; port: number }
  | { type: 'push_vlan'; vid: number; pcp?: number; tpid?: number }
  | { type: 'pop_vlan' }
  | ({ type: 'set' } & SetField)
  | { type: 'clone'; actions: Action[] }
  | { type: 'drop'; reason?: string }
  | { type: 'userspace'; cookie: number }
  | { type: 'tnl_push'; tunnelPort: number; template: Uint8Array }
  /** Decapsulate with a serialized receiver (src/tunnel/receiver.ts buildReceiver). */
  | { type: 'tnl_pop'; tunnelPort: number; receiver: Uint8Array }
  /** Re-parse and look the packet up again with key.recirc_id = id. */
  | { type: 'recirc'; id: number }
  /**
   * MTU check (native/action_offload.h): fits -> goes on; too big -> vrouter
   * shrinks gso_size, IPv4 without DF is fragmented (linux / vrouter), else
   * dropped (mtu_exceeded_*) with ICMP frag-needed / Packet Too Big from
   * srcMac / srcIp4 / srcIp6 to the in-port (linux / vrouter).
   */
  | { type: 'check_mtu'; mtu: number; profile: MtuProfileName; frameLimit?: number; srcMac?: string; srcIp4?: string; srcIp6?: string }
  /** Software GSO: the rest of the program runs on every segment. */
  | { type: 'gso'; profile: GsoActionProfile }
  /** Completes a partial L4 checksum (a fault engine marks FLAG_FAULT). */
  | { type: 'csum_complete'; engine: CsumEngineAction };

/** A tunnel port and its receiver tables, for tnl_pop(name). */
export interface PopTunnel {
  tunnelPort: number;
  receiver: Uint8Array;
}

const DROP_INDEX: ReadonlyMap<string, number> = new Map<string, number>(DROP_REASONS.map(([name], i) => [name, i]));

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`expected an integer in [0, 2^32) for ${what}, received ${v}`);
  return v;
}
function inRange(v: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`expected an integer in [0, ${max}] for ${what}, received ${v}`);
  return v;
}

class Writer {
  bytes: number[] = [];
  op(code: number, arg: ArrayLike<number>): void {
    if (arg.length > 0xffff) throw new RangeError(`action argument of ${arg.length} bytes exceeds 65535`);
    this.bytes.push(code, 0, arg.length & 0xff, arg.length >> 8);
    for (let k = 0; k < arg.length; k++) this.bytes.push(arg[k]);
  }
}
const le16 = (v: number): number[] => [v & 0xff, v >> 8];
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];

/** `segs`: check_mtu / gso actions before this list on its path (at most MAX_SEGMENT_DEPTH in all). */
function compileInto(actions: readonly Action[], depth: number, segs: number): Uint8Array {
  if (actions.length > 0xffff) throw new RangeError('too many actions');
  const w = new Writer();
  for (const a of actions) {
    switch (a.type) {
      case 'output':
        w.op(ActionOp.OUTPUT, le32(u32(a.port, 'output port')));
        break;
      case 'push_vlan': {
        const tci = (inRange(a.pcp ?? 0, 7, 'push_vlan pcp') << 13) | inRange(a.vid, 4095, 'push_vlan vid');
        w.op(ActionOp.PUSH_VLAN, [...le16(inRange(a.tpid ?? 0x8100, 0xffff, 'push_vlan tpid')), ...le16(tci)]);
        break;
      }
      case 'pop_vlan':
        w.op(ActionOp.POP_VLAN, []);
        break;
      case 'set':
        compileSet(w, a);
        break;
      case 'clone':
        if (depth >= MAX_CLONE_DEPTH) throw new RangeError(`clone() nested deeper than ${MAX_CLONE_DEPTH}`);
        w.op(ActionOp.CLONE, compileInto(a.actions, depth + 1, segs));
        break;
      case 'drop': {
        const reason = DROP_INDEX.get(a.reason ?? 'rule_drop');
        if (reason === undefined || reason === 0) throw new RangeError(`unknown drop reason "${a.reason}"`);
        w.op(ActionOp.DROP, le16(reason));
        break;
      }
      case 'userspace':
        w.op(ActionOp.USERSPACE, le32(u32(a.cookie, 'userspace cookie')));
        break;
      case 'tnl_push':
        if (a.template.length !== TUNNEL_TEMPLATE_SIZE)
          throw new RangeError(`expected a ${TUNNEL_TEMPLATE_SIZE}-byte tunnel template for tnl_push, received ${a.template.length} bytes`);
        w.op(ActionOp.TNL_PUSH, [...le32(u32(a.tunnelPort, 'tnl_push tunnel port')), ...a.template]);
        break;
      case 'tnl_pop':
        if (a.receiver.length < 32 || a.receiver.length + 4 > 0xffff)
          throw new RangeError(`expected a serialized tunnel receiver (32 to 65531 bytes) for tnl_pop, received ${a.receiver.length} bytes`);
        w.op(ActionOp.TNL_POP, [...le32(u32(a.tunnelPort, 'tnl_pop tunnel port')), ...a.receiver]);
        break;
      case 'recirc':
        w.op(ActionOp.RECIRC, le32(u32(a.id, 'recirc id')));
        break;
      case 'check_mtu':
        if (++segs > MAX_SEGMENT_DEPTH) throw new RangeError(`more than ${MAX_SEGMENT_DEPTH} check_mtu / gso actions on one path`);
        w.op(ActionOp.CHECK_MTU, checkMtuArg(a));
        break;
      case 'gso':
        if (++segs > MAX_SEGMENT_DEPTH) throw new RangeError(`more than ${MAX_SEGMENT_DEPTH} check_mtu / gso actions on one path`);
        w.op(ActionOp.GSO, [nameIndex(GSO_PROFILES, a.profile, 'gso profile'), 0]);
        break;
      case 'csum_complete':
        w.op(ActionOp.CSUM_COMPLETE, [nameIndex(CSUM_ENGINES, a.engine, 'csum_complete engine'), 0]);
        break;
      default: {
        const never: never = a;
        throw new TypeError(`unknown action ${JSON.stringify(never)}`);
      }
    }
  }
  return Uint8Array.from([ACTION_VERSION, 0, actions.length & 0xff, actions.length >> 8, ...w.bytes]);
}

function nameIndex(names: readonly string[], v: string, what: string): number {
  const k = names.indexOf(v);
  if (k < 0) throw new RangeError(`expected one of ${names.join(', ')} for ${what}, received "${String(v)}"`);
  return k;
}

function checkMtuArg(a: Extract<Action, { type: 'check_mtu' }>): number[] {
  if (!Number.isInteger(a.mtu) || a.mtu < 68 || a.mtu > 65535) throw new RangeError(`expected an integer in [68, 65535] for check_mtu mtu, received ${a.mtu}`);
  const frame = a.frameLimit ?? 0;
  if (!Number.isInteger(frame) || (frame !== 0 && (frame < 60 || frame > 65599)))
    throw new RangeError(`expected 0 or an integer in [60, 65599] for check_mtu frame_limit, received ${frame}`);
  const mac = a.srcMac !== undefined ? parseMac(a.srcMac, 'check_mtu src_mac') : new Uint8Array(6);
  const ip4 = a.srcIp4 !== undefined ? parseIp(a.srcIp4, 'check_mtu src_ip4') : new Uint8Array(4);
  const ip6 = a.srcIp6 !== undefined ? parseIp(a.srcIp6, 'check_mtu src_ip6') : new Uint8Array(16);
  if (ip4.length !== 4) throw new RangeError(`expected an IPv4 address for check_mtu src_ip4, received "${a.srcIp4}"`);
  if (ip6.length !== 16) throw new RangeError(`expected an IPv6 address for check_mtu src_ip6, received "${a.srcIp6}"`);
  return [...le32(a.mtu), ...le32(frame), nameIndex(MTU_PROFILES, a.profile, 'check_mtu profile'), 0, ...mac, ...ip4, ...ip6];
}

function compileSet(w: Writer, a: { type: 'set' } & SetField): void {
  switch (a.field) {
    case 'eth_src':
      w.op(ActionOp.SET_ETH_SRC, parseMac(a.value, 'set eth_src'));
      break;
    case 'eth_dst':
      w.op(ActionOp.SET_ETH_DST, parseMac(a.value, 'set eth_dst'));
      break;
    case 'ipv4_src':
    case 'ipv4_dst': {
      const ip = parseIp(a.value, `set ${a.field}`);
      if (ip.length !== 4) throw new RangeError(`expected an IPv4 address for set ${a.field}, received "${a.value}"`);
      w.op(a.field === 'ipv4_src' ? ActionOp.SET_IPV4_SRC : ActionOp.SET_IPV4_DST, ip);
      break;
    }
    case 'ipv6_src':
    case 'ipv6_dst': {
      const ip = parseIp(a.value, `set ${a.field}`);
      if (ip.length !== 16) throw new RangeError(`expected an IPv6 address for set ${a.field}, received "${a.value}"`);
      w.op(a.field === 'ipv6_src' ? ActionOp.SET_IPV6_SRC : ActionOp.SET_IPV6_DST, ip);
      break;
    }
    case 'tcp_src':
    case 'tcp_dst':
    case 'udp_src':
    case 'udp_dst': {
      const proto = a.field.startsWith('tcp') ? 6 : 17;
      const port = inRange(a.value, 0xffff, `set ${a.field}`);
      w.op(a.field.endsWith('src') ? ActionOp.SET_TP_SRC : ActionOp.SET_TP_DST, [proto, 0, ...le16(port)]);
      break;
    }
    case 'ttl':
      w.op(ActionOp.SET_TTL, [inRange(a.value, 255, 'set ttl')]);
      break;
    case 'dscp':
      w.op(ActionOp.SET_DSCP, [inRange(a.value, 63, 'set dscp')]);
      break;
  }
}

/** Compiles an action list into a program for the native executor. */
export function compileActions(actions: readonly Action[]): Uint8Array {
  return compileInto(actions, 0, 0);
}

function hexMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Decodes a program (RangeError on malformed input; the native validator is the authority). */
export function decodeActions(program: Uint8Array): Action[] {
  const dv = new DataView(program.buffer, program.byteOffset, program.byteLength);
  if (program.length < 4 || program[0] !== ACTION_VERSION) throw new RangeError('not an action program of this version');
  const count = dv.getUint16(2, true);
  const out: Action[] = [];
  let off = 4;
  for (let n = 0; n < count; n++) {
    if (off + 4 > program.length) throw new RangeError('action program cut short');
    const op = program[off];
    const len = dv.getUint16(off + 2, true);
    const a = off + 4;
    if (a + len > program.length) throw new RangeError('action argument cut short');
    const arg = program.subarray(a, a + len);
    off = a + len;
    const at16 = (k: number): number => dv.getUint16(a + k, true);
    const at32 = (k: number): number => dv.getUint32(a + k, true);
    switch (op) {
      case ActionOp.OUTPUT: out.push({ type: 'output', port: at32(0) }); break;
      case ActionOp.PUSH_VLAN: {
        const tpid = at16(0);
        const tci = at16(2);
        out.push({ type: 'push_vlan', vid: tci & 0xfff, pcp: tci >> 13, ...(tpid !== 0x8100 ? { tpid } : {}) });
        break;
      }
      case ActionOp.POP_VLAN: out.push({ type: 'pop_vlan' }); break;
      case ActionOp.SET_ETH_SRC: out.push({ type: 'set', field: 'eth_src', value: hexMac(arg) }); break;
      case ActionOp.SET_ETH_DST: out.push({ type: 'set', field: 'eth_dst', value: hexMac(arg) }); break;
      case ActionOp.SET_IPV4_SRC: out.push({ type: 'set', field: 'ipv4_src', value: formatIp(arg) }); break;
      case ActionOp.SET_IPV4_DST: out.push({ type: 'set', field: 'ipv4_dst', value: formatIp(arg) }); break;
      case ActionOp.SET_IPV6_SRC: out.push({ type: 'set', field: 'ipv6_src', value: formatIp(arg) }); break;
      case ActionOp.SET_IPV6_DST: out.push({ type: 'set', field: 'ipv6_dst', value: formatIp(arg) }); break;
      case ActionOp.SET_TP_SRC:
      case ActionOp.SET_TP_DST: {
        const proto = arg[0] === 6 ? 'tcp' : 'udp';
        const field = `${proto}_${op === ActionOp.SET_TP_SRC ? 'src' : 'dst'}` as 'tcp_src';
        out.push({ type: 'set', field, value: at16(2) });
        break;
      }
      case ActionOp.SET_TTL: out.push({ type: 'set', field: 'ttl', value: arg[0] }); break;
      case ActionOp.SET_DSCP: out.push({ type: 'set', field: 'dscp', value: arg[0] }); break;
      case ActionOp.CLONE: out.push({ type: 'clone', actions: decodeActions(arg) }); break;
      case ActionOp.DROP: out.push({ type: 'drop', reason: DROP_REASONS[at16(0)]?.[0] ?? String(at16(0)) }); break;
      case ActionOp.USERSPACE: out.push({ type: 'userspace', cookie: at32(0) }); break;
      case ActionOp.TNL_PUSH: out.push({ type: 'tnl_push', tunnelPort: at32(0), template: arg.slice(4) }); break;
      case ActionOp.TNL_POP: out.push({ type: 'tnl_pop', tunnelPort: at32(0), receiver: arg.slice(4) }); break;
      case ActionOp.RECIRC: out.push({ type: 'recirc', id: at32(0) }); break;
      case ActionOp.CHECK_MTU: {
        if (len !== 36) throw new RangeError('check_mtu argument is not 36 bytes');
        const zero = (b: Uint8Array): boolean => b.every((x) => x === 0);
        const mac = arg.subarray(10, 16);
        const ip4 = arg.subarray(16, 20);
        const ip6 = arg.subarray(20, 36);
        out.push({
          type: 'check_mtu',
          mtu: at32(0),
          profile: MTU_PROFILES[arg[8]] ?? 'linux',
          ...(at32(4) !== 0 ? { frameLimit: at32(4) } : {}),
          ...(!zero(mac) ? { srcMac: hexMac(mac) } : {}),
          ...(!zero(ip4) ? { srcIp4: formatIp(ip4) } : {}),
          ...(!zero(ip6) ? { srcIp6: formatIp(ip6) } : {}),
        });
        break;
      }
      case ActionOp.GSO: out.push({ type: 'gso', profile: GSO_PROFILES[arg[0]] ?? 'linux' }); break;
      case ActionOp.CSUM_COMPLETE: out.push({ type: 'csum_complete', engine: CSUM_ENGINES[arg[0]] ?? 'correct' }); break;
      default: throw new RangeError(`unknown action opcode ${op}`);
    }
  }
  if (off !== program.length) throw new RangeError('trailing bytes after the last action');
  return out;
}

const TUNNEL_NAMES = ['none', 'vxlan', 'mplsoudp', 'mplsogre'];

/** tnl_push(...) text from a template: the outer header as dpctl shows it. */
function formatTnlPush(a: { tunnelPort: number; template: Uint8Array }): string {
  const t = a.template;
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const hdrLen = dv.getUint16(12, true);
  const l3 = dv.getUint16(14, true);
  const l4 = dv.getUint16(16, true);
  const tnl = dv.getUint16(18, true);
  const h = t.subarray(32, 32 + hdrLen);
  const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const parts = [`size=${hdrLen}`, `type=${TUNNEL_NAMES[t[4]] ?? t[4]}`];
  parts.push(`eth(dst=${hexMac(h.subarray(0, 6))},src=${hexMac(h.subarray(6, 12))},dl_type=0x${hv.getUint16(l3 - 2).toString(16).padStart(4, '0')})`);
  const v6 = (t[5] & 1) !== 0;
  if (v6) parts.push(`ipv6(src=${formatIp(h.subarray(l3 + 8, l3 + 24))},dst=${formatIp(h.subarray(l3 + 24, l3 + 40))},proto=${h[l3 + 6]},hlimit=${h[l3 + 7]})`);
  else parts.push(`ipv4(src=${formatIp(h.subarray(l3 + 12, l3 + 16))},dst=${formatIp(h.subarray(l3 + 16, l3 + 20))},proto=${h[l3 + 9]},tos=${h[l3 + 1]},ttl=${h[l3 + 8]},frag=0x${hv.getUint16(l3 + 6).toString(16)})`);
  const proto = v6 ? h[l3 + 6] : h[l3 + 9];
  if (proto === 17) parts.push(`udp(src=0,dst=${hv.getUint16(l4 + 2)},csum=0x0)`);
  if (proto === 47) parts.push(`gre((flags=0x${hv.getUint16(l4).toString(16)},proto=0x${hv.getUint16(l4 + 2).toString(16)}))`);
  if (t[4] === 1) parts.push(`vxlan(flags=0x${hv.getUint32(tnl).toString(16)},vni=0x${(hv.getUint32(tnl + 4) >>> 8).toString(16)})`);
  const mplsOff = dv.getUint16(20, true);
  if (t[4] !== 1 && mplsOff !== 0xffff) {
    const labels: string[] = [];
    for (let k = 0; k < t[10]; k++) {
      const lse = hv.getUint32(mplsOff + 4 * k);
      labels.push(`label=${lse >>> 12},tc=${(lse >> 9) & 7},ttl=${lse & 0xff},bos=${(lse >> 8) & 1}`);
    }
    parts.push(`mpls(${labels.join(';')})`);
  }
  return `tnl_push(tnl_port(${a.tunnelPort}),header(${parts.join(',')}))`;
}

/** dpctl text of one action. */
function formatAction(a: Action): string {
  switch (a.type) {
    case 'output': return String(a.port);
    case 'push_vlan':
      return `push_vlan(${a.tpid !== undefined && a.tpid !== 0x8100 ? `tpid=0x${a.tpid.toString(16)},` : ''}vid=${a.vid},pcp=${a.pcp ?? 0})`;
    case 'pop_vlan': return 'pop_vlan';
    case 'set':
      switch (a.field) {
        case 'eth_src': return `set(eth(src=${a.value}))`;
        case 'eth_dst': return `set(eth(dst=${a.value}))`;
        case 'ipv4_src': return `set(ipv4(src=${a.value}))`;
        case 'ipv4_dst': return `set(ipv4(dst=${a.value}))`;
        case 'ipv6_src': return `set(ipv6(src=${a.value}))`;
        case 'ipv6_dst': return `set(ipv6(dst=${a.value}))`;
        case 'tcp_src': return `set(tcp(src=${a.value}))`;
        case 'tcp_dst': return `set(tcp(dst=${a.value}))`;
        case 'udp_src': return `set(udp(src=${a.value}))`;
        case 'udp_dst': return `set(udp(dst=${a.value}))`;
        case 'ttl': return `set(ip(ttl=${a.value}))`;
        case 'dscp': return `set(ip(dscp=${a.value}))`;
      }
      break;
    case 'clone': return `clone(${formatActions(a.actions)})`;
    case 'drop': return a.reason && a.reason !== 'rule_drop' ? `drop(${a.reason})` : 'drop';
    case 'userspace': return `userspace(cookie=${a.cookie})`;
    case 'tnl_push': return formatTnlPush(a);
    case 'tnl_pop': return `tnl_pop(${a.tunnelPort})`;
    case 'recirc': return `recirc(0x${a.id.toString(16)})`;
    case 'check_mtu': {
      const parts = [`mtu=${a.mtu}`, `profile=${a.profile}`];
      if (a.frameLimit) parts.push(`frame_limit=${a.frameLimit}`);
      if (a.srcMac !== undefined) parts.push(`src_mac=${a.srcMac}`);
      if (a.srcIp4 !== undefined) parts.push(`src_ip4=${a.srcIp4}`);
      if (a.srcIp6 !== undefined) parts.push(`src_ip6=${a.srcIp6}`);
      return `check_mtu(${parts.join(',')})`;
    }
    case 'gso': return `gso(${a.profile})`;
    case 'csum_complete': return `csum_complete(${a.engine})`;
  }
  throw new TypeError('unknown action');
}

/** dpctl/dump-flows text of an action list ("drop" when empty, as OVS prints). */
export function formatActions(actions: readonly Action[] | Uint8Array): string {
  const list = actions instanceof Uint8Array ? decodeActions(actions) : actions;
  return list.length ? list.map(formatAction).join(',') : 'drop';
}

/** Splits "a(b,c),d" at top-level commas, trimmed; throws RangeError when the parentheses do not balance. */
function splitTop(text: string): string[] {
  let depth = 0;
  for (let k = 0; k < text.length; k++) {
    if (text[k] === '(') depth++;
    else if (text[k] === ')' && --depth < 0) throw new RangeError(`unbalanced ")" in actions "${text}"`);
  }
  if (depth !== 0) throw new RangeError(`unbalanced "(" in actions "${text}"`);
  // empty text (or blanks) is no piece; an empty piece beside others stays
  return splitTopLevel(text)
    .map((s) => s.trim())
    .filter((s, i, all) => s !== '' || all.length > 1);
}

function call(item: string): [string, string] | undefined {
  const m = /^([a-z_0-9]+)\((.*)\)$/s.exec(item);
  return m ? [m[1], m[2]] : undefined;
}

function kv(text: string, what: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const p of splitTop(text)) {
    const eq = p.indexOf('=');
    if (eq < 0) throw new RangeError(`expected key=value in ${what}, received "${p}"`);
    map.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  return map;
}

function int(text: string | undefined, what: string): number {
  if (text === undefined) throw new RangeError(`missing ${what}`);
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v)) throw new RangeError(`expected an integer for ${what}, received "${text}"`);
  return v;
}

/**
 * Parses the dpctl text form (see the file comment). `tunnels` resolves
 * tnl_push(name) to a tunnel port and template.
 */
export function parseActions(
  text: string,
  tunnels?: ReadonlyMap<string, { tunnelPort: number; template: Uint8Array }>,
  receivers?: ReadonlyMap<string, PopTunnel>,
): Action[] {
  const t = text.trim();
  if (t === '' || t === 'drop') return t === 'drop' ? [{ type: 'drop' }] : [];
  const out: Action[] = [];
  for (const item of splitTop(t)) {
    if (/^\d+$/.test(item)) {
      out.push({ type: 'output', port: u32(Number(item), 'output port') });
      continue;
    }
    if (item === 'pop_vlan') { out.push({ type: 'pop_vlan' }); continue; }
    if (item === 'drop') { out.push({ type: 'drop' }); continue; }
    const c = call(item);
    if (!c) throw new RangeError(`unknown action "${item}"`);
    const [name, body] = c;
    switch (name) {
      case 'output': out.push({ type: 'output', port: u32(int(body, 'output port'), 'output port') }); break;
      case 'push_vlan': {
        const m = kv(body, 'push_vlan');
        out.push({ type: 'push_vlan', vid: int(m.get('vid'), 'push_vlan vid'), pcp: m.has('pcp') ? int(m.get('pcp'), 'pcp') : 0, ...(m.has('tpid') ? { tpid: int(m.get('tpid'), 'tpid') } : {}) });
        break;
      }
      case 'set': {
        const inner = call(body);
        if (!inner) throw new RangeError(`expected set(header(field=value)), received "${item}"`);
        const [hdr, fields] = inner;
        for (const [k, v] of kv(fields, `set(${hdr})`)) {
          if (hdr === 'eth' && (k === 'src' || k === 'dst')) out.push({ type: 'set', field: `eth_${k}`, value: v });
          else if ((hdr === 'ipv4' || hdr === 'ipv6') && (k === 'src' || k === 'dst')) out.push({ type: 'set', field: `${hdr}_${k}`, value: v });
          else if ((hdr === 'tcp' || hdr === 'udp') && (k === 'src' || k === 'dst')) out.push({ type: 'set', field: `${hdr}_${k}`, value: int(v, `set ${hdr} ${k}`) });
          else if ((k === 'ttl' || k === 'hlimit') && (hdr === 'ip' || hdr === 'ipv4' || hdr === 'ipv6')) out.push({ type: 'set', field: 'ttl', value: int(v, 'set ttl') });
          else if (k === 'dscp' && (hdr === 'ip' || hdr === 'ipv4' || hdr === 'ipv6')) out.push({ type: 'set', field: 'dscp', value: int(v, 'set dscp') });
          else throw new RangeError(`unsupported set field ${hdr}(${k})`);
        }
        break;
      }
      case 'clone': out.push({ type: 'clone', actions: parseActions(body, tunnels, receivers) }); break;
      case 'drop': out.push({ type: 'drop', reason: body.trim() }); break;
      case 'userspace': out.push({ type: 'userspace', cookie: int(kv(body, 'userspace').get('cookie'), 'userspace cookie') }); break;
      case 'tnl_push': {
        const tun = tunnels?.get(body.trim());
        if (!tun) throw new RangeError(`tnl_push(${body}): unknown tunnel "${body.trim()}"`);
        out.push({ type: 'tnl_push', tunnelPort: tun.tunnelPort, template: tun.template });
        break;
      }
      case 'tnl_pop': {
        const name = body.trim();
        const rx = receivers?.get(name) ?? [...(receivers?.values() ?? [])].find((r) => String(r.tunnelPort) === name);
        if (!rx) throw new RangeError(`tnl_pop(${body}): unknown tunnel port "${name}"`);
        out.push({ type: 'tnl_pop', tunnelPort: rx.tunnelPort, receiver: rx.receiver });
        break;
      }
      case 'recirc': out.push({ type: 'recirc', id: u32(int(body.trim(), 'recirc id'), 'recirc id') }); break;
      case 'check_mtu': {
        const m = kv(body, 'check_mtu');
        for (const k of m.keys())
          if (!['mtu', 'profile', 'frame_limit', 'src_mac', 'src_ip4', 'src_ip6'].includes(k)) throw new RangeError(`unknown check_mtu field "${k}"`);
        const profile = m.get('profile') ?? 'linux';
        nameIndex(MTU_PROFILES, profile, 'check_mtu profile');
        const frameLimit = m.has('frame_limit') ? int(m.get('frame_limit'), 'check_mtu frame_limit') : 0;
        out.push({
          type: 'check_mtu',
          mtu: int(m.get('mtu'), 'check_mtu mtu'),
          profile: profile as MtuProfileName,
          ...(frameLimit !== 0 ? { frameLimit } : {}),
          ...(m.has('src_mac') ? { srcMac: m.get('src_mac') } : {}),
          ...(m.has('src_ip4') ? { srcIp4: m.get('src_ip4') } : {}),
          ...(m.has('src_ip6') ? { srcIp6: m.get('src_ip6') } : {}),
        });
        break;
      }
      case 'gso': {
        const profile = body.trim();
        nameIndex(GSO_PROFILES, profile, 'gso profile');
        out.push({ type: 'gso', profile: profile as GsoActionProfile });
        break;
      }
      case 'csum_complete': {
        const engine = body.trim();
        nameIndex(CSUM_ENGINES, engine, 'csum_complete engine');
        out.push({ type: 'csum_complete', engine: engine as CsumEngineAction });
        break;
      }
      default:
        throw new RangeError(`unknown action "${name}"`);
    }
  }
  return out;
}
