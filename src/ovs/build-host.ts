/**
 * Builds the OVS model of one topology host: bridges in file order, each
 * bridge's LOCAL port then its ports taking the next datapath port numbers
 * (unless `dp_port` is given), OpenFlow ports numbered from 1 in file order
 * (unless `ofport` is given), and the flows installed (a standalone bridge
 * without `flows` gets OVS's default `priority=0,actions=NORMAL`). Flow syntax errors
 * become TopologyErrors naming the bridge's `flows` path, line and column.
 */
import { TopologyError } from '../model/topology-error.js';
import type { OvsHostConfig } from '../model/topology-schema.js';
import { FlowSyntaxError } from './flow-syntax-error.js';
import { hybridNames } from './bridge.js';
import { OvsHost } from './ovs-host.js';

export function buildOvsHost(cfg: OvsHostConfig, path = 'hosts[0]'): OvsHost {
  const host = new OvsHost(cfg.name);
  cfg.bridges.forEach((b, bi) => {
    const br = host.addBridge(b.name);
    let next = 1;
    const used = new Set(b.ports.map((p) => p.ofport).filter((n): n is number => n !== undefined));
    b.ports.forEach((p, pi) => {
      // VXLAN and GRE are translated (tnl_push / tnl_pop); an MPLS port must not pass for one
      if (p.tunnel && p.tunnel.type !== 'vxlan' && p.tunnel.type !== 'gre')
        throw new TopologyError('ERR_TOPOLOGY_INVALID', `${path}.bridges[${bi}].ports[${pi}].tunnel.type`, `tunnel type ${p.tunnel.type} is not modelled for OVS hosts (vxlan, gre)`);
      if (p.tunnel?.type === 'gre' && (p.tunnel.csum || p.tunnel.dst_port !== undefined))
        throw new TopologyError('ERR_TOPOLOGY_INVALID', `${path}.bridges[${bi}].ports[${pi}].tunnel`, 'a gre port has no dst_port, and GRE checksums are not modelled');
      if (p.hybrid && p.type !== 'tap')
        throw new TopologyError('ERR_TOPOLOGY_INVALID', `${path}.bridges[${bi}].ports[${pi}].hybrid`, 'hybrid plumbing (tap -> qbr -> qvb/qvo) is for VM tap ports only');
      let ofport = p.ofport;
      if (ofport === undefined) {
        while (used.has(next)) next++;
        ofport = next++;
      }
      host.addPort(b.name, {
        name: p.name,
        ofport,
        type: p.type,
        ...(p.dp_port !== undefined ? { dpPort: p.dp_port } : {}),
        ...(p.peer !== undefined ? { peer: p.peer } : {}),
        ...(p.tag !== undefined ? { tag: p.tag } : {}),
        ...(p.trunks !== undefined ? { trunks: p.trunks } : {}),
        ...(p.vlan_mode !== undefined ? { vlanMode: p.vlan_mode } : {}),
        ...(p.mac !== undefined ? { mac: p.mac } : {}),
        ...(p.hybrid ? { hybrid: hybridNames(p.name) } : {}),
        ...(p.tunnel !== undefined
          ? {
              tunnel: {
                type: p.tunnel.type === 'gre' ? 'gre' : 'vxlan',
                remoteIp: p.tunnel.remote_ip,
                ...(p.tunnel.local_ip !== undefined ? { localIp: p.tunnel.local_ip } : {}),
                key: p.tunnel.key,
                dstPort: p.tunnel.dst_port ?? 4789,
                csum: p.tunnel.csum,
              },
            }
          : {}),
      });
    });
  });
  cfg.bridges.forEach((b, bi) => {
    const br = host.bridges.get(b.name);
    b.mirrors.forEach((m, mi) => {
      for (const [k, list] of [['select_src_port', m.select_src_port], ['select_dst_port', m.select_dst_port], ['output_port', m.output_port ? [m.output_port] : []]] as const) {
        for (const n of list)
          if (!br?.portByRef(n)) throw new TopologyError('ERR_TOPOLOGY_REF', `${path}.bridges[${bi}].mirrors[${mi}].${k}`, `no port "${n}" on ${b.name}`);
      }
      br?.mirrors.push({
        name: m.name, selectSrc: m.select_src_port, selectDst: m.select_dst_port, selectAll: m.select_all, selectVlan: m.select_vlan,
        ...(m.output_port !== undefined ? { outputPort: m.output_port } : {}),
        ...(m.output_vlan !== undefined ? { outputVlan: m.output_vlan } : {}),
      });
    });
  });
  const u = cfg.underlay;
  // as OVS's tnl/egress_port_range: the two bounds in either order
  if (u.egress_port_range) host.egressPortRange = [Math.min(...u.egress_port_range), Math.max(...u.egress_port_range)];
  if (u.bridge !== undefined) {
    if (!host.bridges.has(u.bridge)) throw new TopologyError('ERR_TOPOLOGY_REF', `${path}.underlay.bridge`, `no bridge "${u.bridge}"`);
    if (!u.ip || !u.mac) throw new TopologyError('ERR_TOPOLOGY_INVALID', `${path}.underlay`, 'an underlay bridge needs ip and mac');
    const [ip, prefix] = u.ip.split('/');
    host.underlay = { bridge: u.bridge, ip, prefix: Number(prefix), mac: u.mac, neighbours: u.neighbours ?? {} };
  }
  cfg.bridges.forEach((b, bi) => {
    const br = host.bridges.get(b.name);
    // a new standalone bridge has OVS's default flow; given flows replace it (del-flows + add-flows)
    const flows = b.flows ?? (b.fail_mode === 'standalone' ? 'priority=0,actions=NORMAL' : '');
    try {
      br?.addFlows(flows);
    } catch (err) {
      if (err instanceof FlowSyntaxError) throw new TopologyError('ERR_TOPOLOGY_FLOW_SYNTAX', `${path}.bridges[${bi}].flows`, err.message);
      if (err instanceof RangeError) throw new TopologyError('ERR_TOPOLOGY_REF', `${path}.bridges[${bi}].flows`, err.message);
      throw err;
    }
  });
  return host;
}
