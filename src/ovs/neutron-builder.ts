/**
 * Neutron builder: from networks and ports, the bridges and flows the
 * Neutron OVS agent (ML2/OVS, openflow native driver, no DVR, no OVS
 * firewall) installs on one compute host:
 *
 * - local VLANs allocated 1, 2, ... in network order;
 * - br-int: the agent's default pipeline (0 → 58 → 59 → 60 NORMAL, dead VLAN
 *   4095 drop, tables 23/24), ARP spoofing protection basics (table 0 → 24 →
 *   25 for each port with an IP), and for VLAN/flat networks the translation
 *   of the provider VLAN to the local VLAN from the provider bridge;
 * - br-tun: tables 0/2/4 (VXLAN) or 3 (GRE)/10/20/22 with learn, l2pop unicast
 *   entries for known remote ports, flooding to every tunnel, and the optional
 *   ARP responder (table 21);
 * - a provider bridge (br-ex) for VLAN/flat networks, rewriting local VLAN →
 *   provider VLAN (or stripping it for flat).
 */
import type { OvsHostConfig, PortConfigYaml, BridgeConfig } from '../model/topology-schema.js';

export interface NeutronNetwork {
  name: string;
  type: 'vxlan' | 'gre' | 'vlan' | 'flat';
  /** VNI, GRE key or provider VLAN (unused for flat). */
  segmentationId?: number;
}

export interface NeutronPort {
  name: string;
  network: string;
  mac: string;
  ip?: string;
  ofport?: number;
  /** ARP spoofing protection (port security), default true when the port has an IP. */
  portSecurity?: boolean;
}

export interface NeutronRemote {
  /** Remote VTEP address. */
  ip: string;
  /** Next-hop MAC of the remote VTEP (static neighbour). */
  mac: string;
  /** Ports known there (l2pop): unicast to tunnel and ARP responder entries. */
  ports?: { network: string; mac: string; ip?: string }[];
}

export interface NeutronHost {
  name: string;
  /** Local tunnel endpoint (the underlay bridge's LOCAL address), CIDR. */
  localIp: string;
  localMac: string;
  networks: NeutronNetwork[];
  ports: NeutronPort[];
  remotes?: NeutronRemote[];
  arpResponder?: boolean;
  /** Physical (underlay) NIC on the underlay bridge. */
  nic?: string;
  /** Provider bridge's NIC for VLAN/flat networks (default "eth1"). */
  providerNic?: string;
}

const hexIp = (ip: string): string => `0x${ip.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('')}`;

/** Neutron names a tunnel port <type>-<remote ip in hex>. */
export function tunnelPortName(type: 'vxlan' | 'gre', ip: string): string {
  return `${type}-${hexIp(ip).slice(2)}`;
}

/** The topology host (bridges, ports, flows) of a Neutron compute host. */
export function buildNeutronHost(h: NeutronHost): OvsHostConfig {
  const lvid = new Map<string, number>();
  h.networks.forEach((n, i) => lvid.set(n.name, i + 1));
  const net = (name: string): NeutronNetwork => {
    const n = h.networks.find((x) => x.name === name);
    if (!n) throw new RangeError(`port network "${name}" is not defined`);
    return n;
  };
  const tunnelled = h.networks.filter((n) => n.type === 'vxlan' || n.type === 'gre');
  const provider = h.networks.filter((n) => n.type === 'vlan' || n.type === 'flat');
  const remotes = h.remotes ?? [];

  // ---- br-int
  const intPorts: PortConfigYaml[] = [];
  const intFlows: string[] = ['table=0,priority=65535,vlan_vid=0x1fff,actions=drop'];
  let ofport = 1;
  for (const p of h.ports) {
    const of = p.ofport ?? ofport;
    ofport = Math.max(ofport, of) + 1;
    intPorts.push({ name: p.name, type: 'tap', ofport: of, tag: lvid.get(net(p.network).name), mac: p.mac, ...(p.ip ? { ip: `${p.ip}/32` } : {}) });
    if (p.ip && p.portSecurity !== false) {
      intFlows.push(`table=0,priority=10,arp,in_port=${of},actions=goto_table:24`);
      intFlows.push(`table=0,priority=9,in_port=${of},actions=goto_table:25`);
      intFlows.push(`table=24,priority=2,arp,in_port=${of},arp_spa=${p.ip},actions=goto_table:25`);
      intFlows.push(`table=25,priority=2,in_port=${of},dl_src=${p.mac},actions=goto_table:60`);
    }
  }
  const patchTunOf = ofport++;
  if (tunnelled.length) intPorts.push({ name: 'patch-tun', type: 'patch', ofport: patchTunOf, peer: 'patch-int' });
  const intExOf = ofport++;
  if (provider.length) {
    intPorts.push({ name: 'int-br-ex', type: 'patch', ofport: intExOf, peer: 'phy-br-ex' });
    for (const n of provider) {
      const m = n.type === 'flat' ? 'vlan_tci=0x0000/0x1fff' : `dl_vlan=${n.segmentationId}`;
      intFlows.push(`table=0,priority=3,in_port=${intExOf},${m},actions=mod_vlan_vid:${lvid.get(n.name)},resubmit(,58)`);
    }
    intFlows.push(`table=0,priority=2,in_port=${intExOf},actions=drop`);
  }
  intFlows.push(
    'table=0,priority=0,actions=goto_table:58',
    'table=23,priority=0,actions=drop',
    'table=24,priority=0,actions=drop',
    'table=25,priority=0,actions=drop',
    'table=58,priority=0,actions=goto_table:59',
    'table=59,priority=0,actions=goto_table:60',
    'table=60,priority=1,actions=NORMAL',
    'table=62,priority=3,actions=NORMAL',
  );
  const bridges: BridgeConfig[] = [{ name: 'br-int', fail_mode: 'secure', ports: intPorts, flows: intFlows.join('\n'), mirrors: [] }];

  // ---- br-tun
  if (tunnelled.length) {
    const tunPorts: PortConfigYaml[] = [{ name: 'patch-int', type: 'patch', ofport: 1, peer: 'patch-tun' }];
    const types = [...new Set(tunnelled.map((n) => n.type as 'vxlan' | 'gre'))];
    const tunOf = new Map<string, number>();
    let next = 2;
    for (const r of remotes) {
      for (const t of types) {
        const name = tunnelPortName(t, r.ip);
        tunOf.set(`${t}/${r.ip}`, next);
        tunPorts.push({
          name, type: 'tunnel', ofport: next++,
          tunnel: { type: t === 'gre' ? 'gre' : 'vxlan', remote_ip: r.ip, key: 'flow', csum: false, ...(t === 'vxlan' ? { dst_port: 4789 } : {}) },
        });
      }
    }
    const f: string[] = ['table=0,priority=1,in_port=1,actions=goto_table:2'];
    for (const [k, of] of tunOf) f.push(`table=0,priority=1,in_port=${of},actions=goto_table:${k.startsWith('gre') ? 3 : 4}`);
    f.push('table=0,priority=0,actions=drop');
    if (h.arpResponder) f.push('table=2,priority=1,arp,dl_dst=ff:ff:ff:ff:ff:ff,actions=goto_table:21');
    f.push(
      'table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:20',
      'table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=goto_table:22',
    );
    for (const n of tunnelled) {
      const table = n.type === 'gre' ? 3 : 4;
      f.push(`table=${table},priority=1,tun_id=0x${(n.segmentationId ?? 0).toString(16)},actions=push_vlan:0x8100,set_field:${(lvid.get(n.name) ?? 0) + 4096}->vlan_vid,goto_table:10`);
    }
    f.push('table=3,priority=0,actions=drop', 'table=4,priority=0,actions=drop', 'table=6,priority=0,actions=drop');
    f.push('table=10,priority=1,actions=learn(table=20,hard_timeout=300,priority=1,cookie=0x0,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:1');
    for (const r of remotes) {
      for (const rp of r.ports ?? []) {
        const n = net(rp.network);
        if (n.type !== 'vxlan' && n.type !== 'gre') continue;
        const of = tunOf.get(`${n.type}/${r.ip}`);
        const vni = `0x${(n.segmentationId ?? 0).toString(16)}`;
        f.push(`table=20,priority=2,dl_vlan=${lvid.get(n.name)},dl_dst=${rp.mac},actions=pop_vlan,set_field:${vni}->tun_id,output:${of}`);
        if (h.arpResponder && rp.ip) {
          f.push(
            `table=21,priority=1,arp,dl_vlan=${lvid.get(n.name)},arp_tpa=${rp.ip},actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:${rp.mac}->eth_src,load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:0x${rp.mac.replace(/:/g, '')}->NXM_NX_ARP_SHA[],load:${hexIp(rp.ip)}->NXM_OF_ARP_SPA[],IN_PORT`,
          );
        }
      }
    }
    f.push('table=20,priority=0,actions=goto_table:22');
    if (h.arpResponder) f.push('table=21,priority=0,actions=goto_table:22');
    for (const n of tunnelled) {
      const outs = remotes.map((r) => `output:${tunOf.get(`${n.type}/${r.ip}`)}`);
      if (outs.length) f.push(`table=22,priority=1,dl_vlan=${lvid.get(n.name)},actions=pop_vlan,set_field:0x${(n.segmentationId ?? 0).toString(16)}->tun_id,${outs.join(',')}`);
    }
    f.push('table=22,priority=0,actions=drop');
    bridges.push({ name: 'br-tun', fail_mode: 'secure', ports: tunPorts, flows: f.join('\n'), mirrors: [] });
  }

  // ---- provider bridge
  if (provider.length) {
    const f: string[] = [];
    for (const n of provider) {
      const lv = lvid.get(n.name);
      f.push(n.type === 'flat'
        ? `table=0,priority=4,in_port=2,dl_vlan=${lv},actions=strip_vlan,NORMAL`
        : `table=0,priority=4,in_port=2,dl_vlan=${lv},actions=mod_vlan_vid:${n.segmentationId},NORMAL`);
    }
    f.push('table=0,priority=2,in_port=2,actions=drop', 'table=0,priority=0,actions=NORMAL');
    bridges.push({
      name: 'br-ex', fail_mode: 'secure', mirrors: [], flows: f.join('\n'),
      ports: [{ name: h.providerNic ?? 'eth1', type: 'system', ofport: 1 }, { name: 'phy-br-ex', type: 'patch', ofport: 2, peer: 'int-br-ex' }],
    });
  }

  // ---- underlay
  if (tunnelled.length) {
    bridges.unshift({ name: 'br-phys', fail_mode: 'standalone', mirrors: [], ports: [{ name: h.nic ?? 'p0', type: 'system', ofport: 1 }] });
  }
  return {
    name: h.name,
    kind: 'ovs',
    underlay: {
      ...(tunnelled.length ? { bridge: 'br-phys' } : {}),
      ip: h.localIp,
      mac: h.localMac,
      mtu: 1500,
      neighbours: Object.fromEntries(remotes.map((r) => [r.ip, r.mac])),
    },
    bridges,
  };
}
