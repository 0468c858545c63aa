/**
 * The forwarding tables of one vRouter, compiled from its agent-view
 * configuration: vifs by id, nexthops by id, per VRF an inet table (longest
 * prefix match, IPv4 and IPv6) and a bridge table (MAC), the MPLS label table
 * and the VXLAN VNI table. Lookups only; forwarding is in forward.ts.
 */
import { parseIp, parseMac } from '../tunnel/addr.js';
import type { BridgeConfig, NexthopConfig, RouteConfig, VifConfig, VrouterHostConfig } from './config.js';

/** vRouter's well-known MAC: source of routed frames to VMs and the proxy-ARP answer. */
export const VROUTER_MAC = '00:00:5e:00:01:00';
export const VROUTER_MAC_BYTES = parseMac(VROUTER_MAC, 'VROUTER_MAC');

export interface InetRoute extends RouteConfig {
  family: 4 | 6;
  addr: bigint;
  len: number;
}

export function ipToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function maskOf(len: number, bits: number): bigint {
  return len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << BigInt(bits - len);
}

export const macKey = (m: Uint8Array | string): string =>
  typeof m === 'string' ? Array.from(parseMac(m, 'mac'), (b) => b.toString(16).padStart(2, '0')).join(':') : Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');

export class VrouterTables {
  readonly vifs = new Map<number, VifConfig>();
  readonly nexthops = new Map<number, NexthopConfig>();
  readonly vrfNames = new Map<number, string>();
  /** Per VRF, routes sorted longest prefix first. */
  private readonly inet = new Map<number, InetRoute[]>();
  private readonly bridge = new Map<number, Map<string, BridgeConfig>>();
  readonly mpls = new Map<number, number>();
  readonly vxlan = new Map<number, number>();
  readonly vhostIp: Uint8Array;

  constructor(readonly config: VrouterHostConfig) {
    for (const v of config.interfaces) this.vifs.set(v.id, v);
    for (const n of config.nexthops) this.nexthops.set(n.id, n);
    this.vrfNames.set(0, 'default-domain:default-project:ip-fabric:__default__');
    for (const v of config.vrfs) this.vrfNames.set(v.id, v.name);
    for (const r of config.routes) {
      const [ip, len] = r.prefix.split('/');
      const bytes = parseIp(ip, 'prefix');
      const bits = bytes.length * 8;
      const route: InetRoute = { ...r, family: bytes.length === 4 ? 4 : 6, len: Number(len), addr: ipToBigint(bytes) & maskOf(Number(len), bits) };
      const list = this.inet.get(r.vrf) ?? [];
      list.push(route);
      this.inet.set(r.vrf, list);
    }
    for (const list of this.inet.values()) list.sort((a, b) => b.len - a.len || (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    for (const b of config.bridge) {
      const t = this.bridge.get(b.vrf) ?? new Map<string, BridgeConfig>();
      t.set(macKey(b.mac), b);
      this.bridge.set(b.vrf, t);
    }
    for (const m of config.mpls) this.mpls.set(m.label, m.nh);
    for (const v of config.vxlan) this.vxlan.set(v.vni, v.nh);
    this.vhostIp = parseIp(config.vhostIp, 'vhostIp');
  }

  /** Longest-prefix match of a 4- or 16-byte address in a VRF's inet table. */
  lookupInet(vrf: number, ip: Uint8Array): InetRoute | undefined {
    const family = ip.length === 4 ? 4 : 6;
    const bits = ip.length * 8;
    const a = ipToBigint(ip);
    for (const r of this.inet.get(vrf) ?? []) if (r.family === family && (a & maskOf(r.len, bits)) === r.addr) return r;
    return undefined;
  }

  lookupBridge(vrf: number, mac: Uint8Array | string): BridgeConfig | undefined {
    return this.bridge.get(vrf)?.get(macKey(mac));
  }

  /** Every route of a VRF (longest prefix first), for rt --dump. */
  routes(vrf: number): readonly InetRoute[] {
    return this.inet.get(vrf) ?? [];
  }

  bridgeEntries(vrf: number): readonly BridgeConfig[] {
    return [...(this.bridge.get(vrf)?.values() ?? [])];
  }

  /** VRF ids in use, ascending. */
  vrfIds(): number[] {
    const ids = new Set<number>([...this.vrfNames.keys(), ...this.inet.keys(), ...this.bridge.keys()]);
    return [...ids].sort((a, b) => a - b);
  }

  physical(): VifConfig | undefined {
    return [...this.vifs.values()].find((v) => v.type === 'physical');
  }
}
