/**
 * The `ovs-ofctl add-flow` / `dump-flows` flow syntax: matches, shorthands
 * and actions into an OpenFlow rule. Lines pasted from `ovs-ofctl dump-flows`
 * are accepted: cookie, duration, n_packets, n_bytes, idle_age, hard_age and
 * the "OFPST_FLOW reply" header are ignored. Errors are FlowSyntaxError with
 * the column of the bad token.
 */
import { FlowSyntaxError } from './flow-syntax-error.js';
import {
  FIELD_BY_NAME, fullMask, lookupFieldName, parseIntValue, parseIpv4Value, parseIpv6Value, parseMacValue,
  parseSubField, parseValue, type FieldName, type SubField,
} from './fields.js';

/** A port as written: an OpenFlow port number or a port name / keyword. */
export type PortRef = number | string;

export interface FieldMatch {
  value: bigint;
  mask: bigint;
}

/** One learn() spec item (the forms Neutron's br-tun table 10 uses, and the general ones). */
export type LearnSpec =
  | { kind: 'match_field'; dst: SubField; src: SubField }
  | { kind: 'match_value'; dst: SubField; value: bigint }
  | { kind: 'load_field'; dst: SubField; src: SubField }
  | { kind: 'load_value'; dst: SubField; value: bigint }
  | { kind: 'output'; src: SubField };

export interface LearnAction {
  type: 'learn';
  table: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  cookie: bigint;
  specs: LearnSpec[];
}

export type OfAction =
  | { type: 'output'; port: PortRef }
  | { type: 'output_reg'; src: SubField }
  | { type: 'normal' | 'flood' | 'all' | 'in_port' | 'local' | 'controller' | 'drop' }
  /**
   * `flowHasVlan`: the rule's match guarantees a tag. OpenFlow 1.1+ encodes
   * mod_vlan_vid/mod_vlan_pcp of a rule without it as push_vlan + set_field
   * (ovs-ofctl does so at install time), so an already tagged packet gets a
   * second tag.
   */
  | { type: 'mod_vlan_vid'; vid: number; flowHasVlan: boolean }
  | { type: 'mod_vlan_pcp'; pcp: number; flowHasVlan: boolean }
  | { type: 'strip_vlan' }
  | { type: 'push_vlan'; tpid: number }
  | { type: 'set_field'; dst: SubField; value: bigint; mask: bigint }
  | { type: 'load'; dst: SubField; value: bigint }
  | { type: 'move'; src: SubField; dst: SubField }
  | { type: 'dec_ttl' }
  | { type: 'resubmit'; port?: PortRef; table?: number }
  | { type: 'goto_table'; table: number }
  | { type: 'write_metadata'; value: bigint; mask: bigint }
  | LearnAction
  | { type: 'note'; bytes: string };

/** Each action with the text it was parsed from (traces print it). */
export interface ParsedAction {
  action: OfAction;
  text: string;
}

export interface OfRule {
  table: number;
  priority: number;
  cookie: bigint;
  idleTimeout: number;
  hardTimeout: number;
  /** Field matches (value already masked). */
  match: Map<FieldName, FieldMatch>;
  /** in_port when written as a name (resolved by the bridge). */
  inPortName?: string;
  actions: ParsedAction[];
  /** Match part as written (without table/priority/counters), for traces. */
  matchText: string;
  actionsText: string;
}

interface Token {
  text: string;
  col: number; // 0-based start in the line
}

/** Splits at top-level separators (commas, and whitespace if `spaces`), keeping columns. */
function splitTokens(line: string, start: number, end: number, spaces: boolean): Token[] {
  const out: Token[] = [];
  let depth = 0;
  let tokStart = -1;
  for (let k = start; k <= end; k++) {
    const c = k < end ? line[k] : ',';
    const sep = depth === 0 && (c === ',' || (spaces && (c === ' ' || c === '\t')));
    if (c === '(') depth++;
    if (c === ')') depth = Math.max(0, depth - 1);
    if (sep) {
      if (tokStart >= 0) out.push({ text: line.slice(tokStart, k), col: tokStart });
      tokStart = -1;
    } else if (tokStart < 0) tokStart = k;
  }
  return out;
}

const IGNORED_KEYS = new Set([
  'cookie', 'duration', 'n_packets', 'n_bytes', 'idle_age', 'hard_age', 'importance', 'out_port', 'out_group',
  'send_flow_rem', 'check_overlap', 'reset_counts', 'no_packet_counts', 'no_byte_counts', 'flags',
]);

/** Shorthand keywords → implied matches. */
const SHORTHANDS: Record<string, [FieldName, bigint][]> = {
  eth: [],
  ip: [['dl_type', 0x0800n]], ipv4: [['dl_type', 0x0800n]],
  ipv6: [['dl_type', 0x86ddn]],
  arp: [['dl_type', 0x0806n]], rarp: [['dl_type', 0x8035n]],
  icmp: [['dl_type', 0x0800n], ['nw_proto', 1n]],
  icmp6: [['dl_type', 0x86ddn], ['nw_proto', 58n]],
  tcp: [['dl_type', 0x0800n], ['nw_proto', 6n]], tcp6: [['dl_type', 0x86ddn], ['nw_proto', 6n]],
  udp: [['dl_type', 0x0800n], ['nw_proto', 17n]], udp6: [['dl_type', 0x86ddn], ['nw_proto', 17n]],
  sctp: [['dl_type', 0x0800n], ['nw_proto', 132n]], sctp6: [['dl_type', 0x86ddn], ['nw_proto', 132n]],
};

/** Match keys that are plain (field, kind) with optional /mask. */
const PLAIN_MATCH: Record<string, FieldName> = {
  dl_src: 'dl_src', eth_src: 'dl_src', dl_dst: 'dl_dst', eth_dst: 'dl_dst',
  dl_type: 'dl_type', eth_type: 'dl_type', vlan_tci: 'vlan_tci',
  nw_src: 'nw_src', nw_dst: 'nw_dst', ip_src: 'nw_src', ip_dst: 'nw_dst',
  arp_spa: 'nw_src', arp_tpa: 'nw_dst', arp_sha: 'arp_sha', arp_tha: 'arp_tha', arp_op: 'nw_proto',
  ipv6_src: 'ipv6_src', ipv6_dst: 'ipv6_dst',
  nw_proto: 'nw_proto', ip_proto: 'nw_proto', nw_ttl: 'nw_ttl', nw_tos: 'nw_tos',
  tp_src: 'tp_src', tp_dst: 'tp_dst', tcp_src: 'tp_src', tcp_dst: 'tp_dst', udp_src: 'tp_src', udp_dst: 'tp_dst',
  sctp_src: 'tp_src', sctp_dst: 'tp_dst', icmp_type: 'tp_src', icmp_code: 'tp_dst', icmpv6_type: 'tp_src', icmpv6_code: 'tp_dst',
  tun_id: 'tun_id', tunnel_id: 'tun_id', tun_src: 'tun_src', tun_dst: 'tun_dst', metadata: 'metadata', tcp_flags: 'tcp_flags',
  reg0: 'reg0', reg1: 'reg1', reg2: 'reg2', reg3: 'reg3', reg4: 'reg4', reg5: 'reg5', reg6: 'reg6', reg7: 'reg7',
};

function setMatch(match: Map<FieldName, FieldMatch>, field: FieldName, value: bigint, mask: bigint): void {
  const prev = match.get(field);
  const m = prev ? prev.mask | mask : mask;
  const v = ((prev ? prev.value & ~mask : 0n) | (value & mask)) & m;
  match.set(field, { value: v, mask: m });
}

/** Parses "value[/mask]" for a field; IPv4/IPv6 accept a prefix length. */
function parseMasked(field: FieldName, text: string): FieldMatch {
  const def = FIELD_BY_NAME.get(field);
  if (!def) throw new RangeError(`unknown field ${field}`);
  const full = fullMask(def.bits);
  const slash = text.indexOf('/');
  const vText = slash < 0 ? text : text.slice(0, slash);
  const mText = slash < 0 ? undefined : text.slice(slash + 1);
  const value = def.kind === 'port' ? parseIntValue(vText) : parseValue(def.kind, vText);
  let mask = full;
  if (mText !== undefined) {
    if ((def.kind === 'ipv4' || def.kind === 'ipv6') && /^\d+$/.test(mText)) {
      const n = Number(mText);
      if (n > def.bits) throw new RangeError(`prefix length ${n} longer than ${def.bits} bits`);
      mask = n === 0 ? 0n : (full << BigInt(def.bits - n)) & full;
    } else mask = parseValue(def.kind === 'port' ? 'int' : def.kind, mText);
  }
  if (value > full) throw new RangeError(`value ${vText} does not fit ${def.bits} bits`);
  return { value: value & mask, mask };
}

function throwAt(line: string, col: number, err: unknown): never {
  if (err instanceof FlowSyntaxError) throw err;
  throw new FlowSyntaxError(err instanceof Error ? err.message : String(err), line, col + 1);
}

export interface ParsedMatch {
  match: Map<FieldName, FieldMatch>;
  inPortName?: string;
  table?: number;
  priority?: number;
  idleTimeout?: number;
  hardTimeout?: number;
  cookie?: bigint;
  /** Match tokens as written (without table/priority/ignored keys). */
  text: string[];
}

/** Parses the match part of a flow (tokens between `start` and `end` of `line`). */
function parseMatchTokens(line: string, tokens: Token[]): ParsedMatch {
  const out: ParsedMatch = { match: new Map(), text: [] };
  for (const tok of tokens) {
    const t = tok.text;
    try {
      if (/^OFPST_FLOW reply/.test(t)) continue;
      const eq = t.indexOf('=');
      const key = (eq < 0 ? t : t.slice(0, eq)).trim();
      const val = eq < 0 ? '' : t.slice(eq + 1).trim();
      if (eq < 0) {
        const sh = SHORTHANDS[key];
        if (!sh) throw new RangeError(`unknown match keyword "${key}"`);
        for (const [f, v] of sh) setMatch(out.match, f, v, fullMask(FIELD_BY_NAME.get(f)?.bits ?? 16));
        out.text.push(key);
        continue;
      }
      if (IGNORED_KEYS.has(key)) {
        if (key === 'cookie' && !val.includes('/')) out.cookie = parseIntValue(val);
        continue;
      }
      if (val === '') throw new RangeError(`missing value for "${key}"`);
      switch (key) {
        case 'table': out.table = Number(parseIntValue(val)); continue;
        case 'priority': out.priority = Number(parseIntValue(val)); continue;
        case 'idle_timeout': out.idleTimeout = Number(parseIntValue(val)); continue;
        case 'hard_timeout': out.hardTimeout = Number(parseIntValue(val)); continue;
        case 'in_port':
          if (/^(0x[0-9a-f]+|\d+)$/i.test(val)) setMatch(out.match, 'in_port', parseIntValue(val), fullMask(32));
          else out.inPortName = val.replace(/^"|"$/g, '');
          break;
        case 'dl_vlan': {
          const vid = Number(parseIntValue(val));
          if (vid === 0xffff) setMatch(out.match, 'vlan_tci', 0n, 0xffffn); // OFP10_VLAN_NONE: no tag
          else if (vid > 4095) throw new RangeError(`dl_vlan ${vid} out of range 0..4095 (or 0xffff)`);
          else setMatch(out.match, 'vlan_tci', 0x1000n | BigInt(vid), 0x1fffn);
          break;
        }
        case 'vlan_vid': {
          const m = parseMasked('vlan_tci', val);
          setMatch(out.match, 'vlan_tci', m.value & 0x1fffn, m.mask & 0x1fffn);
          break;
        }
        case 'dl_vlan_pcp':
        case 'vlan_pcp': {
          const pcp = Number(parseIntValue(val));
          if (pcp > 7) throw new RangeError(`${key} ${pcp} out of range 0..7`);
          setMatch(out.match, 'vlan_tci', 0x1000n | (BigInt(pcp) << 13n), 0xf000n);
          break;
        }
        case 'ip_dscp': {
          const d = Number(parseIntValue(val));
          if (d > 63) throw new RangeError(`ip_dscp ${d} out of range 0..63`);
          setMatch(out.match, 'nw_tos', BigInt(d) << 2n, 0xfcn);
          break;
        }
        case 'nw_ecn':
        case 'ip_ecn':
          setMatch(out.match, 'nw_tos', parseIntValue(val), 0x3n);
          break;
        default: {
          const f = PLAIN_MATCH[key];
          if (!f) throw new RangeError(`unknown match field "${key}"`);
          const m = parseMasked(f, val);
          setMatch(out.match, f, m.value, m.mask);
        }
      }
      out.text.push(t.trim());
    } catch (err) {
      throwAt(line, tok.col, err);
    }
  }
  return out;
}

const PORT_KEYWORDS: Record<string, OfAction['type']> = {
  NORMAL: 'normal', FLOOD: 'flood', ALL: 'all', IN_PORT: 'in_port', LOCAL: 'local', CONTROLLER: 'controller',
};

function parsePortRef(text: string): PortRef {
  const t = text.trim();
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return Number(parseIntValue(t));
  if (t === '') throw new RangeError('missing port');
  return t.replace(/^"|"$/g, '');
}

function parseNum(text: string, what: string, max: number): number {
  const v = Number(parseIntValue(text.trim()));
  if (v > max) throw new RangeError(`${what} ${v} out of range 0..${max}`);
  return v;
}

/** Value for set_field/load: MAC, IPv4, IPv6 or integer, judged by the text. */
function parseAnyValue(text: string): bigint {
  const t = text.trim();
  if (/^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(t)) return parseMacValue(t);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(t)) return parseIpv4Value(t);
  if (t.includes(':')) return parseIpv6Value(t);
  return parseIntValue(t);
}

function parseLearn(body: string, line: string, bodyCol: number): LearnAction {
  const la: LearnAction = { type: 'learn', table: 1, priority: 32768, idleTimeout: 0, hardTimeout: 0, cookie: 0n, specs: [] };
  for (const tok of splitTokens(body, 0, body.length, false)) {
    const t = tok.text.trim();
    try {
      const eq = t.indexOf('=');
      const key = eq < 0 ? t : t.slice(0, eq);
      const val = eq < 0 ? '' : t.slice(eq + 1);
      if (t.startsWith('load:')) {
        const [src, dst] = splitArrow(t.slice(5));
        const d = parseSubField(dst);
        if (/^[A-Za-z]/.test(src) && !/^0x/i.test(src)) la.specs.push({ kind: 'load_field', dst: d, src: parseSubField(src) });
        else la.specs.push({ kind: 'load_value', dst: d, value: parseAnyValue(src) });
        continue;
      }
      if (t.startsWith('output:')) {
        la.specs.push({ kind: 'output', src: parseSubField(t.slice(7)) });
        continue;
      }
      switch (key) {
        case 'table': la.table = parseNum(val, 'learn table', 254); continue;
        case 'priority': la.priority = parseNum(val, 'learn priority', 65535); continue;
        case 'idle_timeout': la.idleTimeout = parseNum(val, 'idle_timeout', 65535); continue;
        case 'hard_timeout': la.hardTimeout = parseNum(val, 'hard_timeout', 65535); continue;
        case 'cookie': la.cookie = parseIntValue(val); continue;
        case 'fin_idle_timeout': case 'fin_hard_timeout': case 'limit': case 'delete_learned': case 'send_flow_rem': case 'result_dst': continue;
      }
      if (eq < 0) {
        const sf = parseSubField(t);
        la.specs.push({ kind: 'match_field', dst: sf, src: sf });
      } else {
        const dst = parseSubField(key);
        if (/^[A-Za-z]/.test(val) && !/^0x/i.test(val) && !/^[0-9a-f]{1,2}(:[0-9a-f]{1,2}){5}$/i.test(val)) {
          la.specs.push({ kind: 'match_field', dst, src: parseSubField(val) });
        } else la.specs.push({ kind: 'match_value', dst, value: parseAnyValue(val) });
      }
    } catch (err) {
      throwAt(line, bodyCol + tok.col + (tok.text.length - tok.text.trimStart().length), err);
    }
  }
  return la;
}

function splitArrow(text: string): [string, string] {
  const k = text.indexOf('->');
  if (k < 0) throw new RangeError(`expected SRC->DST, received "${text}"`);
  return [text.slice(0, k).trim(), text.slice(k + 2).trim()];
}

function parseOneAction(t: string, line: string, col: number): OfAction {
  const kw = PORT_KEYWORDS[t.toUpperCase()];
  if (kw && t === t.toUpperCase()) return { type: kw } as OfAction;
  if (/^(0x[0-9a-f]+|\d+)$/i.test(t)) return { type: 'output', port: parsePortRef(t) };
  const paren = /^([a-z_0-9]+)\((.*)\)$/is.exec(t);
  const colon = t.indexOf(':');
  const name = paren ? paren[1] : colon >= 0 ? t.slice(0, colon) : t;
  const arg = paren ? paren[2] : colon >= 0 ? t.slice(colon + 1) : '';
  const argCol = col + name.length + 1;
  switch (name) {
    case 'drop': return { type: 'drop' };
    case 'normal': case 'flood': case 'all': case 'local': case 'in_port': case 'controller':
      return { type: name } as OfAction;
    case 'output': {
      if (paren) {
        const m = /port=([^,]+)/.exec(arg);
        return { type: 'output', port: parsePortRef(m ? m[1] : arg) };
      }
      if (/\[/.test(arg) || /^(NXM|OXM|reg)/.test(arg)) return { type: 'output_reg', src: parseSubField(arg) };
      const k = PORT_KEYWORDS[arg];
      if (k) return { type: k } as OfAction;
      return { type: 'output', port: parsePortRef(arg) };
    }
    case 'mod_vlan_vid': return { type: 'mod_vlan_vid', vid: parseNum(arg, 'mod_vlan_vid', 4095), flowHasVlan: false };
    case 'mod_vlan_pcp': return { type: 'mod_vlan_pcp', pcp: parseNum(arg, 'mod_vlan_pcp', 7), flowHasVlan: false };
    case 'strip_vlan': case 'pop_vlan': return { type: 'strip_vlan' };
    case 'push_vlan': return { type: 'push_vlan', tpid: arg ? parseNum(arg, 'push_vlan ethertype', 0xffff) : 0x8100 };
    case 'mod_dl_src': return { type: 'set_field', dst: parseSubField('dl_src'), value: parseMacValue(arg.trim()), mask: fullMask(48) };
    case 'mod_dl_dst': return { type: 'set_field', dst: parseSubField('dl_dst'), value: parseMacValue(arg.trim()), mask: fullMask(48) };
    case 'mod_nw_src': return { type: 'set_field', dst: parseSubField('nw_src'), value: parseIpv4Value(arg.trim()), mask: fullMask(32) };
    case 'mod_nw_dst': return { type: 'set_field', dst: parseSubField('nw_dst'), value: parseIpv4Value(arg.trim()), mask: fullMask(32) };
    case 'mod_nw_tos': {
      const v = parseNum(arg, 'mod_nw_tos', 255);
      if (v & 3) throw new RangeError(`mod_nw_tos ${v}: the two ECN bits must be zero`);
      return { type: 'set_field', dst: parseSubField('ip_dscp'), value: BigInt(v >> 2), mask: 0x3fn };
    }
    case 'mod_nw_ttl': return { type: 'set_field', dst: parseSubField('nw_ttl'), value: BigInt(parseNum(arg, 'mod_nw_ttl', 255)), mask: 0xffn };
    case 'mod_tp_src': return { type: 'set_field', dst: parseSubField('tp_src'), value: BigInt(parseNum(arg, 'mod_tp_src', 65535)), mask: 0xffffn };
    case 'mod_tp_dst': return { type: 'set_field', dst: parseSubField('tp_dst'), value: BigInt(parseNum(arg, 'mod_tp_dst', 65535)), mask: 0xffffn };
    case 'dec_ttl': return { type: 'dec_ttl' };
    case 'set_tunnel': case 'set_tunnel64':
      return { type: 'set_field', dst: parseSubField('tun_id'), value: parseIntValue(arg.trim()), mask: fullMask(64) };
    case 'set_field': {
      const [v, f] = splitArrow(arg);
      const dst = parseSubField(f);
      const slash = v.indexOf('/');
      const value = parseAnyValue(slash < 0 ? v : v.slice(0, slash));
      const mask = slash < 0 ? fullMask(dst.nbits) : parseAnyValue(v.slice(slash + 1));
      if (value > fullMask(dst.nbits)) throw new FlowSyntaxError(`value ${v} does not fit ${f} (${dst.nbits} bits)`, line, argCol + 1);
      return { type: 'set_field', dst, value, mask };
    }
    case 'load': {
      const [v, f] = splitArrow(arg);
      const dst = parseSubField(f);
      const value = parseAnyValue(v);
      if (value > fullMask(dst.nbits)) throw new FlowSyntaxError(`value ${v} does not fit ${f} (${dst.nbits} bits)`, line, argCol + 1);
      return { type: 'load', dst, value };
    }
    case 'move': {
      const [s, d] = splitArrow(arg);
      const src = parseSubField(s);
      const dst = parseSubField(d);
      if (src.nbits !== dst.nbits) throw new RangeError(`move: source has ${src.nbits} bits, destination ${dst.nbits}`);
      return { type: 'move', src, dst };
    }
    case 'resubmit': {
      if (paren) {
        const parts = arg.split(',');
        if (parts.length > 3) throw new RangeError('resubmit takes (port,table)');
        const port = parts[0].trim() === '' ? undefined : parsePortRef(parts[0]);
        const table = parts.length > 1 && parts[1].trim() !== '' ? parseNum(parts[1], 'resubmit table', 254) : undefined;
        return { type: 'resubmit', ...(port !== undefined ? { port } : {}), ...(table !== undefined ? { table } : {}) };
      }
      return { type: 'resubmit', port: parsePortRef(arg) };
    }
    case 'goto_table': return { type: 'goto_table', table: parseNum(arg, 'goto_table', 254) };
    case 'write_metadata': {
      const slash = arg.indexOf('/');
      return {
        type: 'write_metadata',
        value: parseIntValue((slash < 0 ? arg : arg.slice(0, slash)).trim()),
        mask: slash < 0 ? fullMask(64) : parseIntValue(arg.slice(slash + 1).trim()),
      };
    }
    case 'learn':
      if (!paren) throw new RangeError('learn needs (...)');
      return parseLearn(arg, line, col + 'learn('.length);
    case 'note': return { type: 'note', bytes: arg };
    default:
      throw new RangeError(`unknown or unsupported action "${name}"`);
  }
}

/** Parses an action list (the text after "actions="); `col` is where it starts in `line`. */
export function parseActionList(line: string, start = 0, end = line.length): ParsedAction[] {
  const out: ParsedAction[] = [];
  for (const tok of splitTokens(line, start, end, false)) {
    const lead = tok.text.length - tok.text.trimStart().length;
    const t = tok.text.trim();
    if (t === '') continue;
    try {
      out.push({ action: parseOneAction(t, line, tok.col + lead), text: t });
    } catch (err) {
      throwAt(line, tok.col + lead, err);
    }
  }
  return out;
}

/** Parses a match-only string (ofproto/trace flows, del-flows filters). */
export function parseMatch(text: string): ParsedMatch {
  return parseMatchTokens(text, splitTokens(text, 0, text.length, true));
}

/**
 * Parses one flow line. Returns undefined for blank lines, comments (#) and
 * the dump-flows header line.
 */
export function parseFlow(line: string): OfRule | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#') || /^(OFPST_FLOW|NXST_FLOW) reply/.test(trimmed)) return undefined;
  const am = /(^|[\s,])actions\s*=/.exec(line);
  if (!am) throw new FlowSyntaxError('missing "actions="', line, line.length + 1);
  const actStart = am.index + am[0].length;
  const pm = parseMatchTokens(line, splitTokens(line, 0, am.index + am[1].length, true));
  const actions = parseActionList(line, actStart, line.length);
  const vt = pm.match.get('vlan_tci');
  const hasVlan = vt !== undefined && (vt.mask & vt.value & 0x1000n) !== 0n;
  for (const a of actions) if (a.action.type === 'mod_vlan_vid' || a.action.type === 'mod_vlan_pcp') a.action.flowHasVlan = hasVlan;
  const actionsText = line.slice(actStart).trim();
  if (actionsText === '') throw new FlowSyntaxError('empty action list (write actions=drop)', line, actStart + 1);
  return {
    table: pm.table ?? 0,
    priority: pm.priority ?? 32768,
    cookie: pm.cookie ?? 0n,
    idleTimeout: pm.idleTimeout ?? 0,
    hardTimeout: pm.hardTimeout ?? 0,
    match: pm.match,
    ...(pm.inPortName !== undefined ? { inPortName: pm.inPortName } : {}),
    actions,
    matchText: pm.text.join(','),
    actionsText,
  };
}

/** Parses many lines (a flows file or pasted dump-flows output). Line numbers go into errors. */
export function parseFlows(text: string): OfRule[] {
  const rules: OfRule[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    try {
      const r = parseFlow(line);
      if (r) rules.push(r);
    } catch (err) {
      if (err instanceof FlowSyntaxError) throw new FlowSyntaxError(`line ${i + 1}: ${err.reason}`, err.text, err.column);
      throw err;
    }
  });
  return rules;
}

export { lookupFieldName };
