/**
 * An OVS bridge of the model: its ports (with OpenFlow and datapath port
 * numbers, VLAN configuration as in the OVS Port table), its OpenFlow
 * tables, and the MAC learning table that NORMAL uses.
 *
 * VLAN modes follow ovs-vswitchd.conf.db(5): with vlan_mode unset, a port
 * with `tag` and no `trunks` is access, `tag` plus `trunks` is native-tagged,
 * no `tag` is trunk (all VLANs when `trunks` is empty).
 */
import { parseFlows, type OfRule, type PortRef } from './flow-parser.js';
import { fullMask } from './fields.js';

export type VlanMode = 'access' | 'trunk' | 'native-tagged' | 'native-untagged';
export type PortType = 'tap' | 'system' | 'internal' | 'patch' | 'tunnel';

export const OFPP_LOCAL = 65534;

export interface PortConfig {
  name: string;
  ofport: number;
  /** Datapath port number (what datapath actions output to). */
  dpPort: number;
  type: PortType;
  peer?: string;
  tag?: number;
  trunks?: number[];
  vlanMode?: VlanMode;
  mac?: string;
  /** Tunnel ports (type 'tunnel'): native VXLAN / GRE tunnelling parameters. */
  tunnel?: TunnelPortConfig;
  /**
   * Linux-bridge hybrid plumbing of a VM tap (older Neutron hosts): tap ->
   * Linux bridge `qbr` -> veth `qvb` / `qvo` -> this bridge, which sees the
   * port as `qvo` (flows may name it so). The port keeps the tap's name:
   * captures at the VM are the tap's.
   */
  hybrid?: HybridPlumbing;
}

/** The names of a hybrid port's Linux bridge and veth pair. */
export interface HybridPlumbing {
  qbr: string;
  qvb: string;
  qvo: string;
}

/** Neutron's names for a tap's hybrid plumbing: the tap's suffix after "tap" (or its whole name) behind qbr / qvb / qvo, at most 15 characters. */
export function hybridNames(tap: string): HybridPlumbing {
  const suffix = tap.startsWith('tap') ? tap.slice(3) : tap;
  const n = (prefix: string): string => `${prefix}${suffix}`.slice(0, 15);
  return { qbr: n('qbr'), qvb: n('qvb'), qvo: n('qvo') };
}

export interface TunnelPortConfig {
  /** Native tunnel kind (default vxlan); gre is Ethernet over GRE (0x6558). */
  type?: 'vxlan' | 'gre';
  remoteIp: string;
  localIp?: string;
  /** 'flow' = in_key/out_key=flow (VNI from/to tun_id), or a fixed VNI. */
  key: 'flow' | number;
  dstPort: number;
  csum: boolean;
}

export class OvsPort {
  readonly vlanMode: VlanMode;
  constructor(readonly bridge: Bridge, readonly cfg: PortConfig) {
    const hasTag = cfg.tag !== undefined;
    const hasTrunks = (cfg.trunks?.length ?? 0) > 0;
    this.vlanMode = cfg.vlanMode ?? (hasTag ? (hasTrunks ? 'native-tagged' : 'access') : 'trunk');
  }
  get name(): string { return this.cfg.name; }
  get ofport(): number { return this.cfg.ofport; }
  get dpPort(): number { return this.cfg.dpPort; }
  get tag(): number { return this.cfg.tag ?? 0; }

  /** True when the port carries VLAN `vlan` (0 = untagged on a trunk). */
  includesVlan(vlan: number): boolean {
    switch (this.vlanMode) {
      case 'access': return vlan === this.tag;
      case 'trunk': return !this.cfg.trunks?.length || this.cfg.trunks.includes(vlan);
      default: return vlan === this.tag || !this.cfg.trunks?.length || this.cfg.trunks.includes(vlan);
    }
  }

  /** OVS input_vid_is_valid: may a frame with VID `vid` (0 = untagged/priority) enter here? */
  inputVidValid(vid: number): boolean {
    switch (this.vlanMode) {
      case 'access': return vid === 0;
      case 'trunk': return this.includesVlan(vid);
      default: return vid === 0 || this.includesVlan(vid);
    }
  }

  /** OVS input_vid_to_vlan: the frame's VLAN inside the bridge. */
  inputVlan(vid: number): number {
    if (this.vlanMode === 'access') return this.tag;
    if (this.vlanMode === 'trunk') return vid;
    return vid === 0 ? this.tag : vid;
  }

  /** OVS output_vlan_to_vid: the VID on the wire when `vlan` leaves here (0 = untagged). */
  outputVid(vlan: number): number {
    if (this.vlanMode === 'access') return 0;
    if (this.vlanMode === 'native-untagged' && vlan === this.tag) return 0;
    return vlan;
  }
}

/** An installed OpenFlow rule (a parsed rule plus its install order). */
export interface InstalledRule extends OfRule {
  seq: number;
  /** Set for rules installed by learn(). */
  learned?: boolean;
}

/**
 * An OVS port mirror (Mirror table): packets received on `selectSrc`, sent
 * to `selectDst`, or all (`selectAll`), optionally only in `selectVlan`, are
 * copied to `outputPort` (sent as NORMAL would send the packet's VLAN there)
 * or flooded in `outputVlan`. A mirror output port takes no part in NORMAL.
 */
export interface MirrorConfig {
  name: string;
  selectSrc: string[];
  selectDst: string[];
  selectAll: boolean;
  selectVlan: number[];
  outputPort?: string;
  outputVlan?: number;
}

export interface MacEntry {
  port: OvsPort;
  vlan: number;
  mac: bigint;
}

export class Bridge {
  /**
   * OpenFlow version the flows were installed with: '1.3' (Neutron,
   * `ovs-ofctl -O OpenFlow13`) or '1.0'. It changes mod_vlan_vid/mod_vlan_pcp
   * on rules that do not match a VLAN (see OfAction mod_vlan_vid).
   */
  openflow: '1.0' | '1.3' = '1.3';
  readonly ports: OvsPort[] = [];
  private readonly tables = new Map<number, InstalledRule[]>();
  private seq = 0;
  readonly macTable = new Map<string, MacEntry>();
  readonly mirrors: MirrorConfig[] = [];

  /** True when `port` is some mirror's output port (NORMAL neither floods to it nor forwards from it). */
  isMirrorOutput(port: OvsPort): boolean {
    return this.mirrors.some((m) => m.outputPort === port.name);
  }

  /** `localDpPort` is the datapath port of the bridge's LOCAL (internal) port. */
  constructor(readonly name: string, localDpPort: number) {
    this.addPort({ name, ofport: OFPP_LOCAL, dpPort: localDpPort, type: 'internal' });
  }

  addPort(cfg: PortConfig): OvsPort {
    const names = (c: PortConfig): string[] => [c.name, ...(c.hybrid ? [c.hybrid.qvo] : [])];
    if (this.ports.some((p) => names(p.cfg).some((n) => names(cfg).includes(n)) || p.ofport === cfg.ofport))
      throw new RangeError(`bridge ${this.name}: duplicate port ${cfg.name} / ofport ${cfg.ofport}`);
    const p = new OvsPort(this, cfg);
    this.ports.push(p);
    return p;
  }

  /** Ports other than LOCAL, LOCAL last (flood order). */
  get floodPorts(): OvsPort[] {
    const ports = [...this.ports.filter((p) => p.ofport !== OFPP_LOCAL), ...this.ports.filter((p) => p.ofport === OFPP_LOCAL)];
    return this.mirrors.length ? ports.filter((p) => !this.isMirrorOutput(p)) : ports;
  }

  portByOfport(n: number): OvsPort | undefined {
    return this.ports.find((p) => p.ofport === n);
  }

  portByRef(ref: PortRef): OvsPort | undefined {
    if (typeof ref === 'number') return this.portByOfport(ref);
    if (ref === 'LOCAL') return this.portByOfport(OFPP_LOCAL);
    return this.ports.find((p) => p.name === ref || p.cfg.hybrid?.qvo === ref);
  }

  /** Installs a rule (resolving an in_port name); replaces a rule with the same table, priority and match. */
  addRule(rule: OfRule, learned = false): InstalledRule {
    const r: InstalledRule = { ...rule, match: new Map(rule.match), seq: this.seq++, ...(learned ? { learned } : {}) };
    if (rule.inPortName !== undefined) {
      const p = this.portByRef(rule.inPortName);
      if (!p) throw new RangeError(`bridge ${this.name}: in_port=${rule.inPortName}: no such port`);
      r.match.set('in_port', { value: BigInt(p.ofport), mask: fullMask(32) });
    }
    const list = this.tables.get(r.table) ?? [];
    const same = list.findIndex((x) => x.priority === r.priority && sameMatch(x, r));
    if (same >= 0) list.splice(same, 1, r);
    else list.push(r);
    // highest priority first; equal priorities keep install order
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.tables.set(r.table, list);
    return r;
  }

  /** True when the table holds a rule with the same priority, match and actions (learn() would change nothing). */
  hasSameRule(rule: OfRule): boolean {
    return (this.tables.get(rule.table) ?? []).some((x) => x.priority === rule.priority && sameMatch(x, rule) &&
      x.actionsText === rule.actionsText && x.hardTimeout === rule.hardTimeout && x.idleTimeout === rule.idleTimeout);
  }

  /** Parses and installs flows (ovs-ofctl add-flows text or pasted dump-flows output). */
  addFlows(text: string): InstalledRule[] {
    return parseFlows(text).map((r) => this.addRule(r));
  }

  delFlows(): void {
    this.tables.clear();
  }

  /** Rules of a table, highest priority first. */
  table(n: number): readonly InstalledRule[] {
    return this.tables.get(n) ?? [];
  }

  get tableIds(): number[] {
    return [...this.tables.keys()].sort((a, b) => a - b);
  }

  get hasFlows(): boolean {
    return this.tables.size > 0;
  }
}

function sameMatch(a: OfRule, b: OfRule): boolean {
  if (a.match.size !== b.match.size) return false;
  for (const [k, m] of a.match) {
    const o = b.match.get(k);
    if (!o || o.value !== m.value || o.mask !== m.mask) return false;
  }
  return true;
}
