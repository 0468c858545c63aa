/**
 * The agent's view of one Contrail / Tungsten Fabric compute node, as a
 * `hosts[]` entry of kind `vrouter` in a topology YAML: interfaces (vif),
 * VRFs, nexthops, inet routes, bridge entries, the MPLS label table and the
 * VXLAN VNI table, written out as the vRouter agent programs them. Labels and
 * VNIs live on routes and bridge entries (and composite components), never on
 * tunnel nexthops. Validation errors name the offending path
 * (`hosts[1].routes[3].prefix: ...`).
 */
import { TopologyError } from '../model/topology-error.js';
import { isIPv4, isIPv6 } from 'node:net';

import { z } from 'zod';

const MAC_RE = /^[0-9a-fA-F]{1,2}([:-][0-9a-fA-F]{1,2}){5}$/;
export const mac = z.string().regex(MAC_RE, 'expected a MAC address like 02:00:00:00:00:01');
export const ipAddr = z.string().refine((s) => isIPv4(s) || isIPv6(s), 'expected an IPv4 or IPv6 address');
export const ipv4Addr = z.string().refine((s) => isIPv4(s), 'expected an IPv4 address');
export const prefix = z.string().refine((s) => {
  const [ip, len, extra] = s.split('/');
  if (extra !== undefined || len === undefined || !/^\d+$/.test(len)) return false;
  const n = Number(len);
  return (isIPv4(ip) && n <= 32) || (isIPv6(ip) && n <= 128);
}, 'expected an IP prefix like 10.1.1.0/24 or fd00::/64');

const u8 = z.number().int().min(0).max(255);
const u16 = z.number().int().min(0).max(0xffff);
const u32 = z.number().int().min(0).max(0xffffffff);
const label = z.number().int().min(0).max(0xfffff);

/** vif types as `vif --list` names them. */
export const VIF_TYPES = ['physical', 'vhost', 'agent', 'virtual'] as const;
export type VifType = (typeof VIF_TYPES)[number];
/** Forwarding mode of an interface (the agent's L2, L3 or L2+L3 "forwarding mode"). */
export const VIF_MODES = ['l2', 'l3', 'l2l3'] as const;
export type VifMode = (typeof VIF_MODES)[number];
export const TUNNEL_TYPES = ['mplsoudp', 'mplsogre', 'vxlan'] as const;
export type VrTunnelType = (typeof TUNNEL_TYPES)[number];

export const vifSchema = z.strictObject({
  id: u16,
  name: z.string().min(1),
  type: z.enum(VIF_TYPES),
  /** The interface's own MAC (physical, vhost) or the VM's MAC (virtual). */
  mac,
  /** The VM's address (virtual), informational in `vif --list`. */
  ip: ipAddr.optional(),
  ip6: ipAddr.optional(),
  vrf: u16,
  mode: z.enum(VIF_MODES).default('l2l3'),
  /** IP MTU of the interface (physical: the underlay MTU). */
  mtu: z.number().int().min(68).max(65535).default(1500),
  /** Gateway of the VM's subnet: the source of ICMP errors vRouter answers (virtual). */
  gateway: ipv4Addr.optional(),
  gateway6: ipAddr.optional(),
  /** The NIC completes partial checksums (NETIF_F_HW_CSUM; physical). */
  hwCsum: z.boolean().default(false),
  /** Policy flag (P) as vif --list shows it; flows are created either way. */
  policy: z.boolean().default(true),
});

const nhBase = { id: u32, vrf: u16.default(0) };
export const nexthopSchema = z.discriminatedUnion('type', [
  z.strictObject({ ...nhBase, type: z.literal('discard'), family: z.enum(['inet', 'inet6', 'bridge']).default('inet') }),
  z.strictObject({ ...nhBase, type: z.literal('receive'), family: z.enum(['inet', 'inet6']).default('inet'), vif: u16 }),
  z.strictObject({ ...nhBase, type: z.literal('resolve'), family: z.enum(['inet', 'inet6']).default('inet') }),
  /** Local VM: L2 rewrite (inet: dst = VM MAC, src = vRouter MAC; bridge: frame unchanged) and output. */
  z.strictObject({ ...nhBase, type: z.literal('encap'), family: z.enum(['inet', 'inet6', 'bridge']).default('inet'), vif: u16, dmac: mac.optional() }),
  /** Tunnel to another compute node: source and destination IP, outer L2 rewrite, fabric interface. */
  z.strictObject({
    ...nhBase,
    type: z.literal('tunnel'),
    family: z.enum(['inet', 'inet6', 'bridge']).default('inet'),
    tunnel: z.enum(TUNNEL_TYPES),
    sip: ipAddr,
    dip: ipAddr,
    /** Outer Ethernet: source (default the fabric vif's MAC) and destination (the underlay gateway or peer). */
    smac: mac.optional(),
    dmac: mac,
    vif: u16,
  }),
  /** Composite: ECMP (one component by flow hash) or L2 flood (every component); each component carries its label / VNI. */
  z.strictObject({
    ...nhBase,
    type: z.literal('composite'),
    family: z.enum(['inet', 'inet6', 'bridge']).default('inet'),
    mode: z.enum(['ecmp', 'l2-flood']),
    components: z.array(z.strictObject({ nh: u32, label: label.optional() })).min(1),
  }),
  /** VXLAN receive: the VNI's nexthop continues with a bridge lookup in `targetVrf`. */
  z.strictObject({ ...nhBase, type: z.literal('vrf-translate'), family: z.literal('bridge').default('bridge'), targetVrf: u16 }),
]);

export const routeSchema = z.strictObject({
  vrf: u16,
  prefix,
  nh: u32,
  /** MPLS label, or the VNI when the nexthop is a VXLAN tunnel. */
  label: label.optional(),
  /** Flags as rt --dump shows them: P proxy ARP, F flood ARP, T trap ARP. */
  proxyArp: z.boolean().default(false),
  floodArp: z.boolean().default(false),
  /** The MAC behind the address (stitched MAC): proxy-ARP answer in L2+L3 mode, inner destination of L3 VXLAN. */
  mac: mac.optional(),
});

export const bridgeSchema = z.strictObject({
  vrf: u16,
  mac,
  nh: u32,
  label: label.optional(),
});

export const vrfSchema = z.strictObject({ id: u16, name: z.string().min(1) });

export const vrouterHostSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('vrouter'),
  /** The vhost0 address: tunnels terminate here. */
  vhostIp: ipAddr,
  interfaces: z.array(vifSchema).min(1),
  vrfs: z.array(vrfSchema).default([]),
  nexthops: z.array(nexthopSchema).default([]),
  routes: z.array(routeSchema).default([]),
  bridge: z.array(bridgeSchema).default([]),
  mpls: z.array(z.strictObject({ label, nh: u32 })).default([]),
  vxlan: z.array(z.strictObject({ vni: z.number().int().min(0).max(0xffffff), nh: u32 })).default([]),
  /** UDP destination ports (vRouter defaults 6635 and 4789). */
  mplsoudpPort: u16.default(6635),
  vxlanPort: u16.default(4789),
  /** Outer IPv4 TTL (vRouter 64). */
  outerTtl: u8.default(64),
  /** Flow table on (vRouter creates flows for policy-enabled interfaces). */
  flows: z.boolean().default(true),
  /** Hash seed: none in vRouter; kept for experiments. */
  hashSeed: u32.default(0),
});

export type VifConfig = z.infer<typeof vifSchema>;
export type NexthopConfig = z.infer<typeof nexthopSchema>;
export type RouteConfig = z.infer<typeof routeSchema>;
export type BridgeConfig = z.infer<typeof bridgeSchema>;
export type VrouterHostConfig = z.infer<typeof vrouterHostSchema>;
export type VrouterHostInput = z.input<typeof vrouterHostSchema>;

/** A bad vRouter configuration; `path` names the offending field. */

function pathText(base: string, path: readonly PropertyKey[]): string {
  let s = base;
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

/**
 * Parses one host of kind `vrouter` (zod shape, then cross-references:
 * every nexthop, vif and VRF a table names exists; ids are unique).
 * `where` is the host's path in the topology (e.g. `hosts[1]`).
 */
export function parseVrouterHost(input: unknown, where = ''): VrouterHostConfig {
  const r = vrouterHostSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TopologyError('ERR_TOPOLOGY_INVALID', pathText(where, issue.path), issue.message);
  }
  checkReferences(r.data, where);
  return r.data;
}

function checkReferences(h: VrouterHostConfig, where: string): void {
  const p = (rest: string): string => (where ? `${where}.${rest}` : rest);
  const unique = <T>(list: T[], key: (t: T) => number | string, field: string, what: string): void => {
    const seen = new Set<number | string>();
    list.forEach((t, k) => {
      const v = key(t);
      if (seen.has(v)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(`${field}[${k}]`), `duplicate ${what} ${v}`);
      seen.add(v);
    });
  };
  unique(h.interfaces, (v) => v.id, 'interfaces', 'vif id');
  unique(h.nexthops, (n) => n.id, 'nexthops', 'nexthop id');
  unique(h.vrfs, (v) => v.id, 'vrfs', 'VRF id');
  unique(h.mpls, (m) => m.label, 'mpls', 'label');
  unique(h.vxlan, (v) => v.vni, 'vxlan', 'VNI');
  unique(h.routes, (r) => `${r.vrf}/${r.prefix}`, 'routes', 'route');
  unique(h.bridge, (b) => `${b.vrf}/${b.mac.toLowerCase()}`, 'bridge', 'bridge entry');
  const vifs = new Set(h.interfaces.map((v) => v.id));
  const nhs = new Map(h.nexthops.map((n) => [n.id, n]));
  const vrfs = new Set([0, ...h.vrfs.map((v) => v.id)]);
  h.interfaces.forEach((v, k) => {
    if (!vrfs.has(v.vrf)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(`interfaces[${k}].vrf`), `unknown VRF ${v.vrf}`);
  });
  h.nexthops.forEach((n, k) => {
    if ('vif' in n && !vifs.has(n.vif)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(`nexthops[${k}].vif`), `unknown vif ${n.vif}`);
    if (n.type === 'composite')
      n.components.forEach((c, j) => {
        if (!nhs.has(c.nh)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(`nexthops[${k}].components[${j}].nh`), `unknown nexthop ${c.nh}`);
      });
    if (n.type === 'vrf-translate' && !vrfs.has(n.targetVrf)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(`nexthops[${k}].targetVrf`), `unknown VRF ${n.targetVrf}`);
    if (n.type === 'tunnel' && isIPv4(n.sip) !== isIPv4(n.dip)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(`nexthops[${k}].dip`), 'sip and dip of different IP versions');
  });
  const nhRef = (id: number, path: string): void => {
    if (!nhs.has(id)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(path), `unknown nexthop ${id}`);
  };
  h.routes.forEach((r, k) => {
    nhRef(r.nh, `routes[${k}].nh`);
    if (!vrfs.has(r.vrf)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(`routes[${k}].vrf`), `unknown VRF ${r.vrf}`);
  });
  h.bridge.forEach((b, k) => {
    nhRef(b.nh, `bridge[${k}].nh`);
    if (!vrfs.has(b.vrf)) throw new TopologyError('ERR_TOPOLOGY_INVALID', p(`bridge[${k}].vrf`), `unknown VRF ${b.vrf}`);
  });
  h.mpls.forEach((m, k) => nhRef(m.nh, `mpls[${k}].nh`));
  h.vxlan.forEach((v, k) => nhRef(v.nh, `vxlan[${k}].nh`));
}
