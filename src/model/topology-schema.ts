/**
 * The topology file's schema (zod): a list of hosts, each with a `kind`
 * (`ovs` now; other kinds such as `vrouter` add a member to the
 * discriminated union `HostSchema`) and an underlay section. OVS hosts hold
 * bridges, ports and OpenFlow flows (inline text or a file, in ovs-ofctl
 * syntax or pasted dump-flows output).
 */
import { vrouterHostSchema } from '../vrouter/config.js';
import { z } from 'zod';

const mac = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, 'expected a MAC address like fa:16:3e:00:00:01');
const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'expected an IPv4 address');
const cidr = z.string().regex(/^[0-9a-f.:]+\/\d{1,3}$/i, 'expected ADDRESS/PREFIX');
const vlanId = z.number().int().min(0).max(4095);

export const OffloadSchema = z
  .object({
    tx_checksum: z.boolean().optional(),
    tso: z.boolean().optional(),
    gso: z.boolean().optional(),
  })
  .strict();

export const UnderlaySchema = z
  .object({
    ip: cidr.optional(),
    mac: mac.optional(),
    mtu: z.number().int().min(68).max(65535).default(1500),
    vlan: vlanId.optional(),
    nic: z.string().optional(),
    /** OVS: the bridge whose LOCAL port holds the underlay IP and MAC (e.g. br-phys); native tunnels route through it. */
    bridge: z.string().optional(),
    /** Static neighbours: IP → MAC (like tnl/neigh/set). */
    neighbours: z.record(z.string(), mac).optional(),
    /**
     * OVS: tnl/egress_port_range [min, max] for the outer UDP source port of
     * native UDP tunnels (default 32768-61000); min == max pins one port.
     */
    egress_port_range: z.tuple([z.number().int().min(1).max(65535), z.number().int().min(1).max(65535)]).optional(),
    /**
     * Replay fabric: whose IP stack sends and receives this host's underlay
     * frames. `ovs-userspace` (default for OVS hosts; native tunnels): a frame
     * over the link MTU is dropped at the NIC, outer fragments reach the
     * bridge unreassembled (OVS tnl-ports match only non-fragments).
     * `linux` (kernel tunnel devices): a VXLAN packet too big for the link
     * answers its guest with ICMP (bridged PMTU discovery) when the inner
     * packet is DF IPv4 or IPv6; an IPv4 packet without DF is fragmented to
     * the link MTU; outer fragments are reassembled before decap.
     */
    stack: z.enum(['ovs-userspace', 'linux']).optional(),
    /** Replay edge: the NIC model; `bcm5719` advertises HW checksum and writes wrong checksums (docs/offload.md). */
    nic_model: z.enum(['generic', 'bcm5719']).optional(),
    /** Replay edge: modelled NIC faults in addition to the model's (docs/offload.md). */
    nic_faults: z.array(z.enum(['bad-hw-csum', 'nested-mplsogre-csum', 'vxlan-vlan-gso'])).optional(),
  })
  .strict();

export const TunnelSchema = z
  .object({
    type: z.enum(['vxlan', 'gre', 'mplsogre', 'mplsoudp']),
    remote_ip: ipv4,
    local_ip: ipv4.optional(),
    key: z.union([z.literal('flow'), z.number().int().min(0)]).default('flow'),
    dst_port: z.number().int().min(1).max(65535).optional(),
    csum: z.boolean().default(false),
  })
  .strict();

export const PortSchema = z
  .object({
    name: z.string().min(1).max(15, 'port names are at most 15 characters (IFNAMSIZ)'),
    type: z.enum(['tap', 'system', 'internal', 'patch', 'tunnel']).default('tap'),
    ofport: z.number().int().min(1).max(65279).optional(),
    /** Datapath port number; defaults to the next free one. */
    dp_port: z.number().int().min(1).optional(),
    mac: mac.optional(),
    ip: cidr.optional(),
    tag: vlanId.optional(),
    trunks: z.array(vlanId).optional(),
    vlan_mode: z.enum(['access', 'trunk', 'native-tagged', 'native-untagged']).optional(),
    peer: z.string().optional(),
    tunnel: TunnelSchema.optional(),
    offload: OffloadSchema.optional(),
    /** Replay edge: the port's IP MTU (a tap: the guest's MTU); frames larger than it are dropped at output, as OVS does. */
    mtu: z.number().int().min(68).max(65535).optional(),
    /** Replay edge: the guest's TSO segment size for super-frames without an MSS option (default: mtu minus headers). */
    gso_size: z.number().int().min(1).max(65535).optional(),
    /** Linux-bridge hybrid plumbing (tap → qbr → qvb/qvo → br-int), as older Neutron hosts have. */
    hybrid: z.boolean().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.type === 'patch' && !p.peer) ctx.addIssue({ code: 'custom', path: ['peer'], message: 'a patch port needs a peer' });
    if (p.type !== 'patch' && p.peer) ctx.addIssue({ code: 'custom', path: ['peer'], message: 'only patch ports have a peer' });
    if (p.type === 'tunnel' && !p.tunnel) ctx.addIssue({ code: 'custom', path: ['tunnel'], message: 'a tunnel port needs a tunnel section' });
    if (p.vlan_mode === 'access' && p.trunks?.length) ctx.addIssue({ code: 'custom', path: ['trunks'], message: 'an access port has no trunks' });
  });

export const MirrorSchema = z
  .object({
    name: z.string().min(1),
    select_src_port: z.array(z.string()).default([]),
    select_dst_port: z.array(z.string()).default([]),
    select_all: z.boolean().default(false),
    select_vlan: z.array(vlanId).default([]),
    output_port: z.string().optional(),
    output_vlan: vlanId.optional(),
  })
  .strict()
  .refine((m) => (m.output_port === undefined) !== (m.output_vlan === undefined), { message: 'a mirror needs exactly one of output_port and output_vlan' });

export const BridgeSchema = z
  .object({
    name: z.string().min(1).max(15),
    fail_mode: z.enum(['standalone', 'secure']).default('standalone'),
    ports: z.array(PortSchema).default([]),
    /** ovs-ofctl add-flows text (or pasted dump-flows output). */
    flows: z.string().optional(),
    /** A flows file, relative to the topology file. */
    flows_file: z.string().optional(),
    /** OVS port mirrors (SPAN/RSPAN). */
    mirrors: z.array(MirrorSchema).default([]),
  })
  .strict();

export const OvsHostSchema = z
  .object({
    name: z.string().min(1),
    kind: z.literal('ovs'),
    underlay: UnderlaySchema.default({ mtu: 1500 }),
    bridges: z.array(BridgeSchema).min(1),
  })
  .strict();

/** One member per host kind: Open vSwitch hosts and Contrail / Tungsten Fabric vRouter compute nodes. */
export const HostSchema = z.discriminatedUnion('kind', [OvsHostSchema, vrouterHostSchema]);

export const TopologySchema = z
  .object({
    version: z.literal(1).default(1),
    hosts: z.array(HostSchema).default([]),
    /** Controller-like description of vRouter compute nodes (src/vrouter/controller.ts derives their tables). */
    vrouterController: z.unknown().optional(),
  })
  .strict()
  .refine((t) => t.hosts.length > 0 || t.vrouterController !== undefined, {
    message: 'a topology needs at least one host (or a vrouterController section)',
    path: ['hosts'],
  });

export type Topology = z.infer<typeof TopologySchema>;
export type OvsHostConfig = z.infer<typeof OvsHostSchema>;
export type BridgeConfig = z.infer<typeof BridgeSchema>;
export type PortConfigYaml = z.infer<typeof PortSchema>;
