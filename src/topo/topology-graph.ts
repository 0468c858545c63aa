/**
 * A picture-neutral graph of a topology, drawn the way plotnetcfg draws a
 * host: one cluster per host; OVS bridges as clusters holding their ports,
 * VMs as nodes attached to their tap port, patch pairs joined (dashed in the
 * pictures), tunnel ports with type / remote / key; vRouter hosts with one
 * cluster per VRF holding its vifs (name, mode, VRF), the fabric VRF 0 with
 * the physical vif, vhost0 and the agent vif; one `underlay` node joining
 * every host's underlay NIC (or physical vif); tunnels between hosts as
 * edges labelled with their type and key / VNIs / MPLS labels where the
 * topology says.
 *
 * Deterministic: everything comes out in file order (hosts, bridges, ports,
 * interfaces), sets are sorted. Node ids are readable paths
 * (`compute1/br-int/vm1`); text is kept raw here and escaped by the
 * renderer (dot.ts). Does not lay anything out and does not validate beyond
 * what the common loader and the host models check.
 */
import { loadTopology } from '../model/load-topology.js';
import { TopologyError } from '../model/topology-error.js';
import type { OvsHostConfig, Topology } from '../model/topology-schema.js';
import { buildOvsHost } from '../ovs/build-host.js';
import type { VrouterHostConfig } from '../vrouter/config.js';
import { vrouterHostsOf } from '../vrouter/topology.js';

/** What a node stands for; the renderer picks its shape from this. */
export type TopoNodeKind =
  | 'tap' // OVS VM-facing port
  | 'vm' // the guest behind a tap port or a virtual vif
  | 'internal' // OVS internal port (also a bridge's LOCAL port holding the underlay address)
  | 'system' // OVS system port that is not an underlay NIC
  | 'nic' // a host's underlay NIC (OVS system port on the underlay bridge, vRouter physical vif)
  | 'patch' // OVS patch port
  | 'tunnel' // OVS tunnel port
  | 'vif' // vRouter virtual vif
  | 'vhost' // vRouter vhost0
  | 'agent' // vRouter pkt0
  | 'vrf' // a vRouter VRF
  | 'fabric' // the underlay joining the hosts
  | 'remote'; // a tunnel endpoint that is no host of the topology

export interface TopoNode {
  id: string;
  kind: TopoNodeKind;
  /** First line (bold in pictures). */
  title: string;
  /** Further lines. */
  details: string[];
}

export type TopoClusterKind = 'host' | 'bridge' | 'vrf';

export interface TopoCluster {
  id: string;
  kind: TopoClusterKind;
  title: string;
  details: string[];
  nodes: TopoNode[];
  clusters: TopoCluster[];
}

/**
 * `attach`: a VM or vif to what it plugs into; `patch`: a patch pair;
 * `via`: where an OVS tunnel port's outer packets go (the LOCAL port holding
 * the underlay address, then the NIC); `tunnel`: an overlay tunnel between
 * hosts; `underlay`: a NIC to the fabric.
 */
export type TopoEdgeKind = 'attach' | 'patch' | 'via' | 'tunnel' | 'underlay';

export interface TopoEdge {
  from: string;
  to: string;
  kind: TopoEdgeKind;
  label: string[];
  /** The edge stands for both directions (a tunnel both ends of which the topology configures). */
  both: boolean;
}

export interface TopologyGraph {
  /** One per host, in file order (vRouter compute nodes derived from `vrouterController` last). */
  clusters: TopoCluster[];
  /** Nodes outside every host: the underlay, unknown tunnel endpoints. */
  nodes: TopoNode[];
  edges: TopoEdge[];
}

/** The id of the node joining every host's underlay NIC. */
export const FABRIC_NODE_ID = 'underlay';

const MODE_TEXT: Record<VrouterHostConfig['interfaces'][number]['mode'], string> = { l2: 'L2', l3: 'L3', l2l3: 'L2+L3' };

const addressOf = (cidr: string): string => cidr.split('/')[0];

/** The IPv4 network of ADDRESS/PREFIX ("198.18.0.1/24" -> "198.18.0.0/24"); other text unchanged. */
function networkOf(cidr: string): string {
  const [ip, len] = cidr.split('/');
  const parts = ip.split('.').map(Number);
  const n = Number(len);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255) || !Number.isInteger(n) || n > 32) return cidr;
  const v = parts.reduce((a, p) => a * 256 + p, 0);
  const size = 2 ** (32 - n);
  const base = v - (v % size);
  return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${n}`;
}

/** Tunnel ids (VNIs, GRE keys) set or matched in flows: tun_id=, set_field:N->tun_id, set_tunnel[64]:N, load:N->NXM_NX_TUN_ID[]. */
export function tunnelIdsInFlows(flows: string | undefined): number[] {
  if (!flows) return [];
  const ids = new Set<number>();
  const num = '(0x[0-9a-f]+|\\d+)';
  const patterns = [
    new RegExp(`(?:^|[,\\s])tun_id=${num}(?![/0-9a-fx])`, 'gi'),
    new RegExp(`set_field:${num}->tun_id`, 'gi'),
    new RegExp(`set_tunnel(?:64)?:${num}`, 'gi'),
    new RegExp(`load:${num}->NXM_NX_TUN_ID\\[\\]`, 'gi'),
  ];
  for (const re of patterns) for (const m of flows.matchAll(re)) ids.add(Number(m[1]));
  return [...ids].filter((n) => Number.isSafeInteger(n)).sort((a, b) => a - b);
}

/** A short list: the first `max` items, then "+N more". */
function shortList(items: readonly (string | number)[], max = 8): string {
  const head = items.slice(0, max).join(', ');
  return items.length > max ? `${head} +${items.length - max} more` : head;
}

/** Host ids: the host name, made unique with "#2", "#3" when names repeat. */
function hostIds(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = (seen.get(n) ?? 0) + 1;
    seen.set(n, k);
    return k === 1 ? n : `${n}#${k}`;
  });
}

/** Where one end of an overlay tunnel sits: the host, the node, the endpoint IPs, and what the label shows. */
interface TunnelEnd {
  host: number;
  node: string;
  local: string | undefined;
  remote: string;
  type: string;
  /** Key / VNI / label text (empty when the topology says nothing). */
  keys: string;
}

/** Rethrows a model error without a file as the same error naming `file`. */
function withFile<T>(file: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TopologyError && err.file === undefined && file !== undefined) {
      const prefix = err.path ? `${err.path}: ` : '';
      const detail = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
      throw new TopologyError(err.code, err.path, detail, file);
    }
    throw err;
  }
}

/** A host's cluster and the edges inside it. */
interface HostPart {
  cluster: TopoCluster;
  edges: TopoEdge[];
}

/** A NIC joining the underlay, with the label of its link. */
interface NicEnd {
  node: string;
  label: string[];
}

function ovsHostPart(cfg: OvsHostConfig, hid: string, hi: number, file: string | undefined, ends: TunnelEnd[], nics: NicEnd[]): HostPart {
  // the model numbers ofports and datapath ports exactly as the other commands do (and checks what they check)
  const host = withFile(file, () => buildOvsHost(cfg, `hosts[${hi}]`));
  const u = cfg.underlay;
  const hasUnderlay = u.ip !== undefined || u.bridge !== undefined;
  const hostDetails = [hasUnderlay ? `ovs${u.ip ? ` · underlay ${u.ip}` : ''} · mtu ${u.mtu}${u.vlan !== undefined ? ` · vlan ${u.vlan}` : ''}` : 'ovs'];
  const underlayLabel = [...(u.ip ? [addressOf(u.ip)] : []), `mtu ${u.mtu}${u.vlan !== undefined ? ` · vlan ${u.vlan}` : ''}`];
  const cluster: TopoCluster = { id: hid, kind: 'host', title: cfg.name, details: hostDetails, nodes: [], clusters: [] };
  const edges: TopoEdge[] = [];
  const portId = new Map<string, string>();
  let nicFound = false;
  for (const b of cfg.bridges) {
    const br = host.bridges.get(b.name);
    const local = br?.ports[0];
    const bc: TopoCluster = {
      id: `${hid}/${b.name}`,
      kind: 'bridge',
      title: b.name,
      details: [`fail_mode ${b.fail_mode}`],
      nodes: [],
      clusters: [],
    };
    for (const m of b.mirrors) {
      const sel = m.select_all ? 'all' : shortList([...m.select_src_port.map((p) => `src ${p}`), ...m.select_dst_port.map((p) => `dst ${p}`), ...m.select_vlan.map((v) => `vlan ${v}`)]);
      bc.details.push(`mirror ${m.name}: ${sel || 'nothing'} → ${m.output_port !== undefined ? m.output_port : `vlan ${m.output_vlan}`}`);
    }
    // every bridge has its LOCAL internal port (the underlay bridge's holds the underlay address)
    if (local) {
      const isUnderlay = u.bridge === b.name;
      bc.nodes.push({
        id: `${hid}/${b.name}/LOCAL`,
        kind: 'internal',
        title: b.name,
        details: [`internal · LOCAL · dp ${local.dpPort}`, ...(isUnderlay && u.ip ? [u.ip] : []), ...(isUnderlay && u.mac ? [u.mac] : [])],
      });
    }
    const tunnelIds = tunnelIdsInFlows(b.flows);
    for (const p of b.ports) {
      const op = host.port(p.name);
      const id = `${hid}/${b.name}/${p.name}`;
      portId.set(p.name, id);
      const numbers = `ofport ${op?.ofport ?? p.ofport ?? '?'}${op && op.dpPort >= 0 ? ` · dp ${op.dpPort}` : ''}`;
      const vlan: string[] = [];
      if (p.tag !== undefined) vlan.push(`tag ${p.tag}`);
      if (p.trunks?.length) vlan.push(`trunks ${shortList(p.trunks)}`);
      if (p.vlan_mode !== undefined) vlan.push(p.vlan_mode);
      const vlanLine = vlan.length ? [vlan.join(' · ')] : [];
      const isNic = p.type === 'system' && (u.nic !== undefined ? u.nic === p.name : u.bridge === b.name);
      let node: TopoNode;
      switch (p.type) {
        case 'tunnel': {
          const t = p.tunnel!;
          const word = t.type === 'vxlan' ? 'VNI' : 'key';
          let keys: string;
          if (t.key === 'flow') keys = tunnelIds.length ? `${word}${tunnelIds.length > 1 ? 's' : ''} ${shortList(tunnelIds)}` : 'key flow';
          else keys = `${word} ${t.key}`;
          const extra = [...(t.dst_port !== undefined ? [`dst_port ${t.dst_port}`] : []), ...(t.csum ? ['csum'] : [])];
          node = {
            id,
            kind: 'tunnel',
            title: p.name,
            details: [
              `${t.type} → ${t.remote_ip}${t.local_ip ? ` from ${t.local_ip}` : ''}`,
              t.key === 'flow' ? `key flow${tunnelIds.length ? ` · ${keys} in flows` : ''}` : keys,
              ...(extra.length ? [extra.join(' · ')] : []),
              numbers,
            ],
          };
          ends.push({ host: hi, node: id, local: t.local_ip ?? (u.ip ? addressOf(u.ip) : undefined), remote: t.remote_ip, type: t.type, keys });
          break;
        }
        case 'patch':
          node = { id, kind: 'patch', title: p.name, details: [`patch → ${p.peer}`, numbers] };
          break;
        case 'system':
          node = isNic
            ? { id, kind: 'nic', title: p.name, details: [`system · underlay NIC`, numbers, `mtu ${u.mtu}${u.vlan !== undefined ? ` · vlan ${u.vlan}` : ''}`, ...vlanLine] }
            : { id, kind: 'system', title: p.name, details: ['system', numbers, ...vlanLine] };
          break;
        case 'internal':
          node = { id, kind: 'internal', title: p.name, details: ['internal', numbers, ...vlanLine, ...(p.ip ? [p.ip] : []), ...(p.mac ? [p.mac] : [])] };
          break;
        default: {
          const offload = p.offload ? Object.entries(p.offload).filter(([, on]) => on).map(([k]) => k) : [];
          node = {
            id,
            kind: 'tap',
            title: p.name,
            details: [`tap${p.hybrid ? ' (hybrid: qbr, qvb/qvo)' : ''}`, numbers, ...vlanLine, ...(offload.length ? [`offload ${offload.join(', ')}`] : [])],
          };
          cluster.nodes.push({ id: `${hid}/vm:${p.name}`, kind: 'vm', title: `VM (${p.name})`, details: [...(p.mac ? [p.mac] : []), ...(p.ip ? [p.ip] : [])] });
          edges.push({ from: `${hid}/vm:${p.name}`, to: id, kind: 'attach', label: [], both: false });
        }
      }
      if (isNic) {
        nicFound = true;
        nics.push({ node: id, label: underlayLabel });
      }
      bc.nodes.push(node);
    }
    cluster.clusters.push(bc);
  }
  // an underlay address without a modelled NIC still reaches the fabric
  if (!nicFound && hasUnderlay) {
    const id = `${hid}/nic`;
    cluster.nodes.push({ id, kind: 'nic', title: u.nic ?? 'underlay', details: ['underlay NIC (not a port)', `mtu ${u.mtu}${u.vlan !== undefined ? ` · vlan ${u.vlan}` : ''}`] });
    nics.push({ node: id, label: underlayLabel });
  }
  // patch pairs once, in file order of their first port
  const done = new Set<string>();
  for (const b of cfg.bridges)
    for (const p of b.ports) {
      if (p.type !== 'patch' || p.peer === undefined || done.has(p.name)) continue;
      done.add(p.name).add(p.peer);
      const to = portId.get(p.peer);
      if (to) edges.push({ from: portId.get(p.name)!, to, kind: 'patch', label: [], both: true });
    }
  // native tunnelling: outer packets are routed out of the LOCAL port holding the underlay address, then its NIC
  const localId = u.bridge !== undefined ? `${hid}/${u.bridge}/LOCAL` : undefined;
  const via = localId ?? nics[0]?.node;
  if (via !== undefined) {
    for (const b of cfg.bridges) for (const p of b.ports) if (p.type === 'tunnel') edges.push({ from: portId.get(p.name)!, to: via, kind: 'via', label: [], both: false });
    if (localId !== undefined) for (const n of nics) edges.push({ from: localId, to: n.node, kind: 'via', label: [], both: false });
  }
  return { cluster, edges };
}

function vrouterHostPart(h: VrouterHostConfig, hid: string, hi: number, ends: TunnelEnd[], nics: NicEnd[]): HostPart {
  const cluster: TopoCluster = { id: hid, kind: 'host', title: h.name, details: [`vrouter · vhost0 ${h.vhostIp}`], nodes: [], clusters: [] };
  const edges: TopoEdge[] = [];
  const vrfName = new Map<number, string>(h.vrfs.map((v) => [v.id, v.name]));
  const vrfIds = [...new Set([0, ...h.vrfs.map((v) => v.id), ...h.interfaces.map((v) => v.vrf)])];
  const vrfCluster = new Map<number, TopoCluster>();
  for (const id of vrfIds) {
    const routes = h.routes.filter((r) => r.vrf === id).length;
    const bridge = h.bridge.filter((b) => b.vrf === id).length;
    const c: TopoCluster = {
      id: `${hid}/vrf${id}`,
      kind: 'vrf',
      title: id === 0 ? 'VRF 0 (fabric)' : `VRF ${id}`,
      details: vrfName.has(id) ? [vrfName.get(id)!] : [],
      nodes: [{ id: `${hid}/vrf${id}/table`, kind: 'vrf', title: `VRF ${id}`, details: [`${routes} route${routes === 1 ? '' : 's'} · ${bridge} bridge entr${bridge === 1 ? 'y' : 'ies'}`] }],
      clusters: [],
    };
    vrfCluster.set(id, c);
  }
  for (const v of h.interfaces) {
    const id = `${hid}/vif${v.id}`;
    const c = vrfCluster.get(v.vrf)!;
    const head = `${v.type} · ${MODE_TEXT[v.mode]} · VRF ${v.vrf}`;
    const addrs = [...(v.ip ? [v.ip] : []), ...(v.ip6 ? [v.ip6] : [])];
    let node: TopoNode;
    switch (v.type) {
      case 'physical':
        node = { id, kind: 'nic', title: `vif0/${v.id} ${v.name}`, details: [head, `mtu ${v.mtu}${v.hwCsum ? ' · hw csum' : ''}`, v.mac] };
        nics.push({ node: id, label: [h.vhostIp, `mtu ${v.mtu}`] });
        break;
      case 'vhost':
        node = { id, kind: 'vhost', title: `vif0/${v.id} ${v.name}`, details: [head, ...(addrs.length ? addrs : [h.vhostIp]), v.mac] };
        break;
      case 'agent':
        node = { id, kind: 'agent', title: `vif0/${v.id} ${v.name}`, details: [head] };
        break;
      default:
        node = { id, kind: 'vif', title: `vif0/${v.id} ${v.name}`, details: [head, `mtu ${v.mtu}${v.gateway ? ` · gw ${v.gateway}` : ''}`] };
        cluster.nodes.push({ id: `${hid}/vm:${v.id}`, kind: 'vm', title: `VM (${v.name})`, details: [v.mac, ...addrs] });
        edges.push({ from: `${hid}/vm:${v.id}`, to: id, kind: 'attach', label: [], both: false });
    }
    c.nodes.push(node);
    edges.push({ from: id, to: `${hid}/vrf${v.vrf}/table`, kind: 'attach', label: [], both: false });
  }
  cluster.clusters.push(...vrfCluster.values());

  // tunnels: per tunnel nexthop, the labels / VNIs the routes and bridge entries (directly or through composites) put on it
  const keys = new Map<number, Set<number>>();
  const note = (nh: number, label: number | undefined): void => {
    if (label === undefined) return;
    let s = keys.get(nh);
    if (!s) keys.set(nh, (s = new Set()));
    s.add(label);
  };
  for (const r of [...h.routes, ...h.bridge]) note(r.nh, r.label);
  for (const n of h.nexthops) if (n.type === 'composite') for (const c of n.components) note(c.nh, c.label);
  const physical = h.interfaces.find((v) => v.type === 'physical');
  // one edge per (peer, type): tunnel nexthops to the same place merge
  const merged = new Map<string, { dip: string; sip: string; type: string; node: string; labels: Set<number> }>();
  for (const n of h.nexthops) {
    if (n.type !== 'tunnel') continue;
    const node = h.interfaces.some((v) => v.id === n.vif) ? `${hid}/vif${n.vif}` : physical ? `${hid}/vif${physical.id}` : hid;
    const k = `${n.dip}|${n.tunnel}|${node}`;
    let m = merged.get(k);
    if (!m) merged.set(k, (m = { dip: n.dip, sip: n.sip, type: n.tunnel, node, labels: new Set() }));
    for (const l of keys.get(n.id) ?? []) m.labels.add(l);
  }
  for (const m of merged.values()) {
    const labels = [...m.labels].sort((a, b) => a - b);
    const what = m.type === 'vxlan' ? 'VNI' : 'label';
    ends.push({ host: hi, node: m.node, local: m.sip, remote: m.dip, type: m.type, keys: labels.length ? `${what}${labels.length > 1 ? 's' : ''} ${shortList(labels)}` : '' });
  }
  return { cluster, edges };
}

/**
 * The graph of a loaded topology. `file` names the topology in errors the
 * host models raise (the same TopologyError the other commands give).
 */
export function topologyGraph(topo: Topology, file?: string): TopologyGraph {
  const hasVrouter = topo.hosts.some((h) => h.kind === 'vrouter') || topo.vrouterController !== undefined;
  const vrouters = hasVrouter ? withFile(file, () => vrouterHostsOf(topo)) : [];
  const byName = new Map(vrouters.map((v) => [v.name, v]));
  // hosts in file order; compute nodes of the controller section (not in hosts[]) after them
  type Entry = { kind: 'ovs'; cfg: OvsHostConfig } | { kind: 'vrouter'; cfg: VrouterHostConfig };
  const entries: Entry[] = [];
  const listed = new Set<string>();
  for (const h of topo.hosts) {
    if (h.kind === 'ovs') entries.push({ kind: 'ovs', cfg: h });
    else {
      entries.push({ kind: 'vrouter', cfg: byName.get(h.name)! });
      listed.add(h.name);
    }
  }
  for (const v of vrouters) if (!listed.has(v.name)) entries.push({ kind: 'vrouter', cfg: v });

  const ids = hostIds(entries.map((e) => e.cfg.name));
  const ends: TunnelEnd[] = [];
  const nics: NicEnd[][] = [];
  const parts = entries.map((e, hi) => {
    const n: NicEnd[] = [];
    nics.push(n);
    return e.kind === 'ovs' ? ovsHostPart(e.cfg, ids[hi], hi, file, ends, n) : vrouterHostPart(e.cfg, ids[hi], hi, ends, n);
  });
  const clusters = parts.map((p) => p.cluster);
  const edges: TopoEdge[] = parts.flatMap((p) => p.edges);
  const nodes: TopoNode[] = [];

  // the underlay: one node joining every NIC
  if (nics.some((n) => n.length > 0)) {
    const nets = [
      ...new Set(
        entries.flatMap((e) => (e.kind === 'ovs' ? (e.cfg.underlay.ip ? [networkOf(e.cfg.underlay.ip)] : []) : [])),
      ),
    ].sort();
    nodes.push({ id: FABRIC_NODE_ID, kind: 'fabric', title: 'underlay', details: nets });
    for (const n of nics) for (const nic of n) edges.push({ from: nic.node, to: FABRIC_NODE_ID, kind: 'underlay', label: nic.label, both: false });
  }

  // tunnels: a host's address is its underlay IP (OVS) or vhost0 IP (vRouter)
  const hostOfIp = new Map<string, number>();
  entries.forEach((e, hi) => {
    const ip = e.kind === 'ovs' ? (e.cfg.underlay.ip ? addressOf(e.cfg.underlay.ip) : undefined) : e.cfg.vhostIp;
    if (ip !== undefined && !hostOfIp.has(ip)) hostOfIp.set(ip, hi);
  });
  const paired = new Set<TunnelEnd>();
  const remotes = new Map<string, string>();
  for (const a of ends) {
    if (paired.has(a)) continue;
    const peer = hostOfIp.get(a.remote);
    const typeText = a.type;
    if (peer === undefined) {
      let rid = remotes.get(a.remote);
      if (!rid) {
        rid = `remote:${a.remote}`;
        remotes.set(a.remote, rid);
        nodes.push({ id: rid, kind: 'remote', title: a.remote, details: ['not in this topology'] });
      }
      edges.push({ from: a.node, to: rid, kind: 'tunnel', label: [typeText, ...(a.keys ? [a.keys] : [])], both: false });
      continue;
    }
    // the other end: a tunnel of the same type on the peer pointing back at this host, same keys
    const b = ends.find((x) => !paired.has(x) && x !== a && x.host === peer && x.type === a.type && x.remote === a.local && x.keys === a.keys);
    if (b) {
      paired.add(a).add(b);
      edges.push({ from: a.node, to: b.node, kind: 'tunnel', label: [typeText, ...(a.keys ? [a.keys] : [])], both: true });
      continue;
    }
    const target = nics[peer][0]?.node ?? clusters[peer].nodes[0]?.id ?? clusters[peer].clusters[0]?.nodes[0]?.id;
    if (target === undefined) continue;
    edges.push({ from: a.node, to: target, kind: 'tunnel', label: [typeText, ...(a.keys ? [a.keys] : [])], both: false });
  }
  return { clusters, nodes, edges };
}

/** Reads a topology file (the common loader: errors name the file) and returns its graph. */
export function loadTopologyGraph(file: string): TopologyGraph {
  return topologyGraph(loadTopology(file), file);
}
