/**
 * A controller-like builder: virtual networks, subnets, VMs on compute nodes
 * and a tunnel preference list in; every compute node's agent view out
 * (vifs, VRFs, nexthops, routes, bridge entries, MPLS labels, VNIs), derived
 * consistently: a VM's labels are allocated by the compute that hosts it and
 * used by every other compute's routes and bridge entries towards it.
 *
 * Choices (as Contrail): bridged traffic uses the first type of the
 * preference list; routed traffic the first MPLS type (VXLAN only when the
 * list has no MPLS type, then with the VM's MAC as the stitched MAC).
 * Per compute: vif0/0 eth0 (physical), vif0/1 vhost0, vif0/2 pkt0 (agent),
 * VMs from vif0/3; nexthop 1 discard, 2 receive (vhost0); labels from 16;
 * VRF k+1 for the k-th network.
 */
import { TopologyError } from '../model/topology-error.js';
import { isIPv4 } from 'node:net';

import { z } from 'zod';

import { formatIp, parseIp } from '../tunnel/addr.js';
import { ipAddr, mac, parseVrouterHost, prefix, VIF_MODES, type NexthopConfig, type VrouterHostConfig, type VrouterHostInput } from './config.js';
import { ipToBigint } from './tables.js';

const TUNNEL_NAMES = ['MPLSoUDP', 'MPLSoGRE', 'VXLAN'] as const;
type TunnelName = (typeof TUNNEL_NAMES)[number];
const TYPE_OF: Record<TunnelName, 'mplsoudp' | 'mplsogre' | 'vxlan'> = { MPLSoUDP: 'mplsoudp', MPLSoGRE: 'mplsogre', VXLAN: 'vxlan' };

export const controllerSchema = z.strictObject({
  /** Encapsulation priority (Contrail's default: MPLSoGRE, MPLSoUDP, VXLAN). */
  tunnelPreference: z.array(z.enum(TUNNEL_NAMES)).min(1).default(['MPLSoGRE', 'MPLSoUDP', 'VXLAN']),
  fabric: z
    .strictObject({
      mtu: z.number().int().min(576).max(65535).default(1500),
      /** Outer destination MAC of every tunnel (an underlay router); default the peer compute's MAC. */
      gatewayMac: mac.optional(),
      hwCsum: z.boolean().default(false),
    })
    .default({ mtu: 1500, hwCsum: false }),
  computes: z.array(z.strictObject({ name: z.string().min(1), ip: ipAddr, mac })).min(1),
  networks: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        subnet: prefix,
        subnet6: prefix.optional(),
        /** Default: the first address of the subnet. */
        gateway: ipAddr.optional(),
        vni: z.number().int().min(1).max(0xffffff),
        mode: z.enum(VIF_MODES).default('l2l3'),
        mtu: z.number().int().min(68).max(65535).default(1500),
      }),
    )
    .min(1),
  /** Pairs of networks a policy lets route to each other (their VRFs get each other's routes). */
  connect: z.array(z.tuple([z.string(), z.string()])).default([]),
  vms: z.array(
    z.strictObject({
      name: z.string().min(1),
      network: z.string(),
      compute: z.string(),
      ip: ipAddr,
      ip6: ipAddr.optional(),
      mac: mac.optional(),
      mode: z.enum(VIF_MODES).optional(),
    }),
  ),
  /** An address served by several VMs (allowed address pair / service VIP): an ECMP composite. */
  ecmp: z.array(z.strictObject({ network: z.string(), prefix, vms: z.array(z.string()).min(2) })).default([]),
});

export type ControllerConfig = z.infer<typeof controllerSchema>;
export type ControllerInput = z.input<typeof controllerSchema>;

function pathText(base: string, path: readonly PropertyKey[]): string {
  let s = base;
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s;
}

function firstHost(subnet: string): string {
  const [ip, len] = subnet.split('/');
  const b = parseIp(ip, 'subnet');
  const bits = BigInt(b.length * 8);
  const mask = ((1n << BigInt(len)) - 1n) << (bits - BigInt(len));
  let v = (ipToBigint(b) & mask) + 1n;
  const out = new Uint8Array(b.length);
  for (let k = b.length - 1; k >= 0; k--) {
    out[k] = Number(v & 0xffn);
    v >>= 8n;
  }
  return formatIp(out);
}

/** Derives every compute node's agent view. `where` prefixes paths in errors. */
export function buildFromController(input: unknown, where = 'controller'): VrouterHostConfig[] {
  const r = controllerSchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TopologyError('ERR_TOPOLOGY_INVALID', pathText(where, issue.path), issue.message);
  }
  const c = r.data;
  const netIndex = new Map(c.networks.map((n, k) => [n.name, k]));
  const compIndex = new Map(c.computes.map((h, k) => [h.name, k]));
  c.vms.forEach((vm, k) => {
    if (!netIndex.has(vm.network)) throw new TopologyError('ERR_TOPOLOGY_INVALID', `${where}.vms[${k}].network`, `unknown network "${vm.network}"`);
    if (!compIndex.has(vm.compute)) throw new TopologyError('ERR_TOPOLOGY_INVALID', `${where}.vms[${k}].compute`, `unknown compute "${vm.compute}"`);
  });
  c.connect.forEach((pair, k) =>
    pair.forEach((n, j) => {
      if (!netIndex.has(n)) throw new TopologyError('ERR_TOPOLOGY_INVALID', `${where}.connect[${k}][${j}]`, `unknown network "${n}"`);
    }),
  );
  const vmIndex = new Map(c.vms.map((v, k) => [v.name, k]));
  c.ecmp.forEach((e, k) => {
    if (!netIndex.has(e.network)) throw new TopologyError('ERR_TOPOLOGY_INVALID', `${where}.ecmp[${k}].network`, `unknown network "${e.network}"`);
    e.vms.forEach((v, j) => {
      if (!vmIndex.has(v)) throw new TopologyError('ERR_TOPOLOGY_INVALID', `${where}.ecmp[${k}].vms[${j}]`, `unknown VM "${v}"`);
    });
  });
  const vmMac = (k: number): string => c.vms[k].mac ?? `02:00:00:00:${((k + 1) >> 8).toString(16).padStart(2, '0')}:${((k + 1) & 0xff).toString(16).padStart(2, '0')}`;
  const vrfOf = (net: string): number => netIndex.get(net)! + 1;
  const gatewayOf = (n: ControllerConfig['networks'][number]): string => n.gateway ?? firstHost(n.subnet);
  const l2Type = TYPE_OF[c.tunnelPreference[0]];
  const l3Type = TYPE_OF[c.tunnelPreference.find((t) => t !== 'VXLAN') ?? 'VXLAN'];
  const reach = (a: string, b: string): boolean => a === b || c.connect.some(([x, y]) => (x === a && y === b) || (x === b && y === a));

  // Labels: allocated by the hosting compute, from 16: per VM an L3 and an L2 label, then per network a flood label.
  const l3Label = new Map<number, number>();
  const l2Label = new Map<number, number>();
  const floodLabel = new Map<string, number>();
  c.computes.forEach((h) => {
    let next = 16;
    c.vms.forEach((vm, k) => {
      if (vm.compute !== h.name) return;
      l3Label.set(k, next++);
      l2Label.set(k, next++);
    });
    c.networks.forEach((n) => floodLabel.set(`${h.name}|${n.name}`, next++));
  });

  return c.computes.map((h, hk) => {
    const local = c.vms.map((vm, k) => ({ vm, k })).filter((x) => x.vm.compute === h.name);
    const vifOf = new Map(local.map((x, j) => [x.k, 3 + j]));
    const nexthops: NexthopConfig[] = [
      { id: 1, type: 'discard', family: 'inet', vrf: 0 },
      { id: 2, type: 'receive', family: 'inet', vif: 1, vrf: 0 },
    ];
    let nextNh = 10;
    const encapInet = new Map<number, number>();
    const encapBridge = new Map<number, number>();
    for (const { vm, k } of local) {
      const vrf = vrfOf(vm.network);
      encapInet.set(k, nextNh);
      nexthops.push({ id: nextNh++, type: 'encap', family: 'inet', vif: vifOf.get(k)!, vrf, dmac: vmMac(k) });
      encapBridge.set(k, nextNh);
      nexthops.push({ id: nextNh++, type: 'encap', family: 'bridge', vif: vifOf.get(k)!, vrf });
    }
    const tunnelNh = new Map<string, number>();
    const tunnelTo = (peer: number, type: 'mplsoudp' | 'mplsogre' | 'vxlan'): number => {
      const key = `${peer}|${type}`;
      let id = tunnelNh.get(key);
      if (id === undefined) {
        id = nextNh++;
        const p = c.computes[peer];
        nexthops.push({ id, type: 'tunnel', family: 'inet', vrf: 0, tunnel: type, sip: h.ip, dip: p.ip, smac: h.mac, dmac: c.fabric.gatewayMac ?? p.mac, vif: 0 });
        tunnelNh.set(key, id);
      }
      return id;
    };
    const routes: VrouterHostInput['routes'] & object = [];
    const bridge: VrouterHostInput['bridge'] & object = [];
    const mpls: { label: number; nh: number }[] = [];
    const vxlan: { vni: number; nh: number }[] = [];

    /** nh and label of a route in any VRF to VM k (local encap, or tunnel with the remote label / VNI). */
    const l3Target = (k: number): { nh: number; label?: number } => {
      const vm = c.vms[k];
      if (vm.compute === h.name) return { nh: encapInet.get(k)! };
      const peer = compIndex.get(vm.compute)!;
      const nh = tunnelTo(peer, l3Type);
      return { nh, label: l3Type === 'vxlan' ? c.networks[netIndex.get(vm.network)!].vni : l3Label.get(k)! };
    };

    c.networks.forEach((n, nk) => {
      const vrf = nk + 1;
      const gw = gatewayOf(n);
      routes.push({ vrf, prefix: `${gw}/${isIPv4(gw) ? 32 : 128}`, nh: 2, proxyArp: true });
      routes.push({ vrf, prefix: n.subnet, nh: 1, floodArp: n.mode !== 'l3' });
      if (n.subnet6) routes.push({ vrf, prefix: `${firstHost(n.subnet6)}/128`, nh: 2, proxyArp: true });
      c.vms.forEach((vm, k) => {
        if (!reach(n.name, vm.network)) return;
        const t = l3Target(k);
        routes.push({ vrf, prefix: `${vm.ip}/${isIPv4(vm.ip) ? 32 : 128}`, nh: t.nh, label: t.label, proxyArp: true, mac: vmMac(k) });
        if (vm.ip6) routes.push({ vrf, prefix: `${vm.ip6}/128`, nh: t.nh, label: t.label, proxyArp: true, mac: vmMac(k) });
      });
      // Bridge table: the network's own VMs and the flood list.
      const members: { nh: number; label?: number }[] = [];
      const peers = new Set<number>();
      c.vms.forEach((vm, k) => {
        if (vm.network !== n.name) return;
        if (vm.compute === h.name) {
          bridge.push({ vrf, mac: vmMac(k), nh: encapBridge.get(k)! });
          members.push({ nh: encapBridge.get(k)! });
        } else {
          const peer = compIndex.get(vm.compute)!;
          bridge.push({ vrf, mac: vmMac(k), nh: tunnelTo(peer, l2Type), label: l2Type === 'vxlan' ? n.vni : l2Label.get(k)! });
          peers.add(peer);
        }
      });
      for (const peer of [...peers].sort((a, b) => a - b))
        members.push({ nh: tunnelTo(peer, l2Type), label: l2Type === 'vxlan' ? n.vni : floodLabel.get(`${c.computes[peer].name}|${n.name}`)! });
      const floodNh = nextNh++;
      nexthops.push({ id: floodNh, type: 'composite', family: 'bridge', vrf, mode: 'l2-flood', components: members.length ? members : [{ nh: 1 }] });
      bridge.push({ vrf, mac: 'ff:ff:ff:ff:ff:ff', nh: floodNh });
      mpls.push({ label: floodLabel.get(`${h.name}|${n.name}`)!, nh: floodNh });
      const xlate = nextNh++;
      nexthops.push({ id: xlate, type: 'vrf-translate', family: 'bridge', vrf, targetVrf: vrf });
      vxlan.push({ vni: n.vni, nh: xlate });
    });

    for (const { k } of local) {
      mpls.push({ label: l3Label.get(k)!, nh: encapInet.get(k)! });
      mpls.push({ label: l2Label.get(k)!, nh: encapBridge.get(k)! });
    }

    c.ecmp.forEach((e) => {
      const comps = e.vms.map((name) => {
        const t = l3Target(vmIndex.get(name)!);
        return { nh: t.nh, label: t.label };
      });
      const id = nextNh++;
      nexthops.push({ id, type: 'composite', family: 'inet', vrf: vrfOf(e.network), mode: 'ecmp', components: comps });
      c.networks.forEach((n, nk) => {
        if (reach(n.name, e.network)) routes.push({ vrf: nk + 1, prefix: e.prefix, nh: id, proxyArp: true });
      });
    });

    const host: VrouterHostInput = {
      name: h.name,
      kind: 'vrouter',
      vhostIp: h.ip,
      interfaces: [
        { id: 0, name: 'eth0', type: 'physical', mac: h.mac, vrf: 0, mode: 'l3', mtu: c.fabric.mtu, hwCsum: c.fabric.hwCsum, policy: false },
        { id: 1, name: 'vhost0', type: 'vhost', mac: h.mac, ip: h.ip, vrf: 0, mode: 'l3', policy: false },
        { id: 2, name: 'pkt0', type: 'agent', mac: '00:00:00:00:00:00', vrf: 0, mode: 'l3', policy: false },
        ...local.map(({ vm, k }) => {
          const n = c.networks[netIndex.get(vm.network)!];
          return {
            id: vifOf.get(k)!,
            name: `tap-${vm.name}`,
            type: 'virtual' as const,
            mac: vmMac(k),
            ip: vm.ip,
            ...(vm.ip6 ? { ip6: vm.ip6 } : {}),
            vrf: vrfOf(vm.network),
            mode: vm.mode ?? n.mode,
            mtu: n.mtu,
            gateway: gatewayOf(n),
            ...(n.subnet6 ? { gateway6: firstHost(n.subnet6) } : {}),
          };
        }),
      ],
      vrfs: c.networks.map((n, k) => ({ id: k + 1, name: `default-domain:admin:${n.name}:${n.name}` })),
      nexthops,
      routes,
      bridge,
      mpls,
      vxlan,
    };
    return parseVrouterHost(host, `${where}.computes[${hk}]`);
  });
}
