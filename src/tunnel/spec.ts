/**
 * TunnelSpec: what a user or the slow path says about one tunnel, validated
 * into a ResolvedTunnel with every default filled in. Errors are TypeError /
 * RangeError naming the field ("expected an integer in [0, 2^24) for vni,
 * received 16777216").
 */
import { parseIp, parseMac } from './addr.js';
import { SRC_PORT_PROFILES, type SrcPortProfile, type SrcPortRange } from './udp-src-port.js';

/** gre: Ethernet over GRE (protocol 0x6558, optional key), as OVS's gre port. */
export type TunnelKind = 'vxlan' | 'mplsoudp' | 'mplsogre' | 'gre';
/** global: one counter shared by all such tunnels of a datapath (or of one CompiledTunnels), pre-incremented, skipping 0 (vRouter's vr_generate_unique_ip_id). */
export type IpIdMode = 'counter' | 'copy-inner' | 'zero' | 'global';
export type DfMode = 'clear' | 'set' | 'inherit';
export type MplsPayloadKind = 'ip' | 'ethernet';

export interface TunnelSpec {
  type: TunnelKind;
  /** Outer source and destination IP; both IPv4 or both IPv6. */
  local: string;
  remote: string;
  /** Outer Ethernet addresses (defaults 02:00:00:00:00:01 source, 02:00:00:00:00:02 destination). */
  srcMac?: string;
  dstMac?: string;
  /** Outer 802.1Q tag (VLAN ID, optional priority). */
  vlan?: number;
  vlanPcp?: number;
  /** VXLAN network identifier (required for vxlan). */
  vni?: number;
  /** MPLS labels, top first: one or two (required for mplsoudp/mplsogre). */
  labels?: number[];
  /** MPLS traffic class of every label (default 0). */
  mplsTc?: number;
  /** MPLS payload: IP (inner Ethernet header removed) or the Ethernet frame (default ip). */
  payload?: MplsPayloadKind;
  /** 4-byte pseudowire control word before an Ethernet payload (default false). */
  controlWord?: boolean;
  /** GRE key (mplsogre, gre). */
  greKey?: number;
  /** UDP destination port (default 4789 VXLAN, 6635 MPLSoUDP). */
  udpDstPort?: number;
  /** Source port: a profile, a pinned port, or a range [min, max) (default ovs). */
  srcPort?: SrcPortProfile | number | { min: number; max: number };
  /**
   * The hash mapped onto the source port range: `datapath` (the packet's
   * HASH column, else the inner Toeplitz hash) or `ovs-5tuple` (Open vSwitch's
   * miniflow_hash_5tuple of the frame, native/tunnel_ovs_hash.h; default datapath).
   */
  srcPortHash?: 'datapath' | 'ovs-5tuple';
  /** Outer TOS / traffic class byte (default 0). */
  tos?: number;
  /** Outer IPv6 flow label (default 0). */
  flowLabel?: number;
  /** Outer TTL / hop limit, or the inner IP TTL (default 64). */
  ttl?: number | 'inherit';
  /** Label TTL, or the inner IP TTL with 64 for non-IP inner frames (default inherit). */
  mplsTtl?: number | 'inherit';
  /** Outer IPv4 ID (default counter; copy-inner for mplsogre, as vRouter). */
  ipId?: IpIdMode;
  /** Outer IPv4 DF bit (default clear, as vRouter). */
  df?: DfMode;
  /** Outer UDP checksum (default zero over IPv4, compute over IPv6). */
  udpChecksum?: 'zero' | 'compute';
  /** First outer IPv4 ID of the counter (default 0). */
  ipIdStart?: number;
}

/** A spec with everything resolved to wire values. */
export interface ResolvedTunnel {
  type: TunnelKind;
  ipv6: boolean;
  local: Uint8Array;
  remote: Uint8Array;
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  vlan?: { vid: number; pcp: number };
  vni: number;
  labels: number[];
  mplsTc: number;
  payload: MplsPayloadKind;
  controlWord: boolean;
  greKey?: number;
  udpDstPort: number;
  srcPort: SrcPortRange;
  srcPortHash: 'datapath' | 'ovs-5tuple';
  tos: number;
  flowLabel: number;
  ttl: number | 'inherit';
  mplsTtl: number | 'inherit';
  ipId: IpIdMode;
  df: DfMode;
  udpChecksum: 'zero' | 'compute';
  ipIdStart: number;
}

const KINDS: readonly TunnelKind[] = ['vxlan', 'mplsoudp', 'mplsogre', 'gre'];
const KNOWN_KEYS = new Set([
  'type', 'local', 'remote', 'srcMac', 'dstMac', 'vlan', 'vlanPcp', 'vni', 'labels', 'mplsTc', 'payload', 'controlWord',
  'greKey', 'udpDstPort', 'srcPort', 'srcPortHash', 'tos', 'flowLabel', 'ttl', 'mplsTtl', 'ipId', 'df', 'udpChecksum', 'ipIdStart',
]);

function int(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`expected an integer in [${min}, ${max}] for ${field}, received ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !allowed.includes(v as T))
    throw new RangeError(`expected one of ${allowed.join(', ')} for ${field}, received ${JSON.stringify(v)}`);
  return v as T;
}

function ttlOf(v: unknown, field: string, dflt: number | 'inherit'): number | 'inherit' {
  if (v === undefined) return dflt;
  if (v === 'inherit') return v;
  return int(v, field, 1, 255);
}

/** Validates a spec and fills defaults. `where` prefixes field names in errors (e.g. "tunnels[2]."). */
export function resolveTunnel(spec: TunnelSpec, where = ''): ResolvedTunnel {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`expected a tunnel spec object for ${where || 'spec'}, received ${spec === null ? 'null' : typeof spec}`);
  for (const key of Object.keys(spec)) if (!KNOWN_KEYS.has(key)) throw new RangeError(`unknown tunnel spec field ${where}${key}`);
  const f = (name: string): string => `${where}${name}`;
  const type = oneOf(spec.type, f('type'), KINDS);
  const local = parseIp(spec.local, f('local'));
  const remote = parseIp(spec.remote, f('remote'));
  if (local.length !== remote.length) throw new RangeError(`expected ${f('local')} and ${f('remote')} of the same IP version, received ${spec.local} and ${spec.remote}`);
  const ipv6 = local.length === 16;
  const mpls = type === 'mplsoudp' || type === 'mplsogre';
  const greTypes = type === 'mplsogre' || type === 'gre';
  if (type === 'gre' && (spec.vni !== undefined || spec.labels !== undefined || spec.payload !== undefined || spec.controlWord !== undefined))
    throw new RangeError(`${f('vni')}, ${f('labels')}, ${f('payload')} and ${f('controlWord')} do not apply to gre (Ethernet over GRE)`);
  if (type === 'vxlan' && spec.vni === undefined) throw new RangeError(`${f('vni')} is required for a vxlan tunnel`);
  const vni = spec.vni === undefined ? 0 : int(spec.vni, f('vni'), 0, 0xffffff);
  if (type === 'vxlan' && (spec.labels !== undefined || spec.payload !== undefined || spec.controlWord !== undefined))
    throw new RangeError(`${f('labels')}, ${f('payload')} and ${f('controlWord')} apply to MPLS tunnels only, not vxlan`);
  if (mpls && spec.vni !== undefined) throw new RangeError(`${f('vni')} applies to vxlan only, not ${type}`);
  let labels: number[] = [];
  if (mpls) {
    if (!Array.isArray(spec.labels) || spec.labels.length < 1 || spec.labels.length > 2)
      throw new RangeError(`expected one or two MPLS labels for ${f('labels')}, received ${JSON.stringify(spec.labels)}`);
    labels = spec.labels.map((l, k) => int(l, f(`labels[${k}]`), 0, 0xfffff));
  }
  const payload = spec.payload === undefined ? (mpls ? 'ip' : 'ethernet') : oneOf(spec.payload, f('payload'), ['ip', 'ethernet'] as const);
  const controlWord = spec.controlWord ?? false;
  if (typeof controlWord !== 'boolean') throw new TypeError(`expected a boolean for ${f('controlWord')}, received ${typeof controlWord}`);
  if (controlWord && payload !== 'ethernet') throw new RangeError(`${f('controlWord')} needs payload "ethernet"`);
  if (spec.greKey !== undefined && !greTypes) throw new RangeError(`${f('greKey')} applies to mplsogre and gre only`);
  const greKey = spec.greKey === undefined ? undefined : int(spec.greKey, f('greKey'), 0, 0xffffffff);
  if (greTypes && (spec.udpDstPort !== undefined || spec.srcPort !== undefined || spec.srcPortHash !== undefined || spec.udpChecksum !== undefined))
    throw new RangeError(`${f('udpDstPort')}, ${f('srcPort')}, ${f('srcPortHash')} and ${f('udpChecksum')} do not apply to ${type}`);
  const srcPortHash = spec.srcPortHash === undefined ? 'datapath' : oneOf(spec.srcPortHash, f('srcPortHash'), ['datapath', 'ovs-5tuple'] as const);
  const udpDstPort = spec.udpDstPort === undefined ? (type === 'vxlan' ? 4789 : 6635) : int(spec.udpDstPort, f('udpDstPort'), 1, 65535);
  let srcPort: SrcPortRange;
  const sp = spec.srcPort ?? 'ovs';
  if (typeof sp === 'string') srcPort = { ...SRC_PORT_PROFILES[oneOf(sp, f('srcPort'), ['linux', 'ovs', 'vrouter'] as const)] };
  else if (typeof sp === 'number') {
    const port = int(sp, f('srcPort'), 0, 65535);
    srcPort = { min: port, max: port, fold: false };
  } else if (sp !== null && typeof sp === 'object') {
    const min = int(sp.min, f('srcPort.min'), 0, 65535);
    const max = int(sp.max, f('srcPort.max'), 0, 65535);
    if (max < min) throw new RangeError(`expected ${f('srcPort.max')} >= ${f('srcPort.min')}, received ${min}..${max}`);
    srcPort = { min, max, fold: false };
  } else throw new TypeError(`expected a profile name, a port or { min, max } for ${f('srcPort')}, received ${typeof sp}`);
  let vlan: ResolvedTunnel['vlan'];
  if (spec.vlan !== undefined) vlan = { vid: int(spec.vlan, f('vlan'), 0, 4095), pcp: spec.vlanPcp === undefined ? 0 : int(spec.vlanPcp, f('vlanPcp'), 0, 7) };
  else if (spec.vlanPcp !== undefined) throw new RangeError(`${f('vlanPcp')} needs ${f('vlan')}`);
  if (!ipv6 && spec.flowLabel !== undefined) throw new RangeError(`${f('flowLabel')} applies to an IPv6 underlay only`);
  const ipId = spec.ipId === undefined ? (type === 'mplsogre' ? 'copy-inner' : 'counter') : oneOf(spec.ipId, f('ipId'), ['counter', 'copy-inner', 'zero', 'global'] as const);
  const df = spec.df === undefined ? 'clear' : oneOf(spec.df, f('df'), ['clear', 'set', 'inherit'] as const);
  if (ipv6 && (spec.ipId !== undefined || spec.df !== undefined || spec.ipIdStart !== undefined))
    throw new RangeError(`${f('ipId')}, ${f('ipIdStart')} and ${f('df')} apply to an IPv4 underlay only`);
  const udpChecksum = spec.udpChecksum === undefined ? (ipv6 ? 'compute' : 'zero') : oneOf(spec.udpChecksum, f('udpChecksum'), ['zero', 'compute'] as const);
  return {
    type,
    ipv6,
    local,
    remote,
    srcMac: parseMac(spec.srcMac ?? '02:00:00:00:00:01', f('srcMac')),
    dstMac: parseMac(spec.dstMac ?? '02:00:00:00:00:02', f('dstMac')),
    vlan,
    vni,
    labels,
    mplsTc: spec.mplsTc === undefined ? 0 : int(spec.mplsTc, f('mplsTc'), 0, 7),
    payload,
    controlWord,
    greKey,
    udpDstPort,
    srcPort,
    srcPortHash,
    tos: spec.tos === undefined ? 0 : int(spec.tos, f('tos'), 0, 255),
    flowLabel: spec.flowLabel === undefined ? 0 : int(spec.flowLabel, f('flowLabel'), 0, 0xfffff),
    ttl: ttlOf(spec.ttl, f('ttl'), 64),
    mplsTtl: ttlOf(spec.mplsTtl, f('mplsTtl'), 'inherit'),
    ipId,
    df,
    udpChecksum,
    ipIdStart: spec.ipIdStart === undefined ? 0 : int(spec.ipIdStart, f('ipIdStart'), 0, 65535),
  };
}

/** Outer header bytes the tunnel adds in front of an Ethernet frame (an L3 payload also loses the inner 14). */
export function tunnelOverhead(t: ResolvedTunnel): number {
  const l2 = 14 + (t.vlan ? 4 : 0);
  const l3 = t.ipv6 ? 40 : 20;
  if (t.type === 'vxlan') return l2 + l3 + 8 + 8;
  if (t.type === 'gre') return l2 + l3 + 4 + (t.greKey !== undefined ? 4 : 0);
  const labels = 4 * t.labels.length + (t.controlWord ? 4 : 0);
  return l2 + l3 + (t.type === 'mplsoudp' ? 8 : 4 + (t.greKey !== undefined ? 4 : 0)) + labels;
}
