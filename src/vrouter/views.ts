/**
 * Text views of one vRouter in the layout of the vRouter utilities:
 * `vif --list`, `rt --dump <vrf>` (inet and bridge), `nh --list`,
 * `mpls --dump`, `vxlan --dump`, `dropstats` and `flow -l`, with the
 * counters of the replays run so far. Layouts follow the tools' column
 * order and labels; widths are approximate.
 */
import type { NexthopConfig } from './config.js';
import type { Vrouter } from './forward.js';
import { macKey, VROUTER_MAC } from './tables.js';

const pad = (s: string | number, n: number): string => String(s).padEnd(n);
const lpad = (s: string | number, n: number): string => String(s).padStart(n);
/** vRouter prints MACs without leading zeros per byte (2:0:0:0:1:3). */
const shortMac = (m: string): string => macKey(m).split(':').map((b) => parseInt(b, 16).toString(16)).join(':');

export function vifList(vr: Vrouter): string {
  const lines = [
    'Vrouter Interface Table',
    '',
    'Flags: P=Policy, X=Cross Connect, S=Service Chain, Mr=Receive Mirror',
    '       Mt=Transmit Mirror, Tc=Transmit Checksum Offload, L3=Layer 3, L2=Layer 2',
    '       D=DHCP, Vp=Vhost Physical, Pr=Promiscuous, Vnt=Native Vlan Tagged',
    '',
  ];
  for (const v of [...vr.tables.vifs.values()].sort((a, b) => a.id - b.id)) {
    const c = vr.stats.vif(v.id);
    const type = { physical: 'Physical', vhost: 'Host', agent: 'Agent', virtual: 'Virtual' }[v.type];
    const flags = `${v.policy ? 'P' : ''}${v.mode !== 'l2' ? 'L3' : ''}${v.mode !== 'l3' || v.type !== 'virtual' ? 'L2' : ''}${v.type === 'virtual' ? 'D' : ''}${v.type === 'physical' ? 'Vp' : ''}${v.hwCsum ? 'Tc' : ''}`;
    // A VM's vif shows the vRouter MAC: it is the MAC the VM talks to.
    const hw = v.type === 'virtual' ? VROUTER_MAC : macKey(v.mac);
    lines.push(`${pad(`vif0/${v.id}`, 12)}OS: ${v.name}`);
    lines.push(`${' '.repeat(12)}Type:${type} HWaddr:${hw}${v.ip ? ` IPaddr:${v.ip}` : ''}`);
    lines.push(`${' '.repeat(12)}Vrf:${v.vrf} Mcast Vrf:${v.type === 'virtual' ? v.vrf : 65535} Flags:${flags} QOS:-1 Ref:1`);
    lines.push(`${' '.repeat(12)}RX packets:${c.rxPackets}  bytes:${c.rxBytes} errors:0`);
    lines.push(`${' '.repeat(12)}TX packets:${c.txPackets}  bytes:${c.txBytes} errors:0`);
    lines.push(`${' '.repeat(12)}Drops:${c.drops}`);
    lines.push('');
  }
  return lines.join('\n');
}

export function rtDump(vr: Vrouter, vrf: number, family: 'inet' | 'inet6' | 'bridge' = 'inet'): string {
  if (family === 'bridge') {
    const lines = [
      `Vrouter bridge table 0/${vrf}`,
      'Flags: L=Label Valid, Df=DHCP flood, Mm=Mac Moved, L2c=L2 Evpn Control Word, N=New Entry',
      '',
      `${pad('Index', 12)}${pad('DestMac', 25)}${pad('Flags', 16)}${pad('Label/VNID', 16)}${pad('Nexthop', 18)}Stats`,
    ];
    vr.tables.bridgeEntries(vrf).forEach((b, k) => {
      lines.push(`${pad(k, 12)}${pad(shortMac(b.mac), 25)}${pad(b.label !== undefined ? 'L' : '', 16)}${pad(b.label ?? '-', 16)}${pad(b.nh, 18)}0`);
    });
    return lines.join('\n');
  }
  const v = family === 'inet' ? 4 : 6;
  const lines = [
    `Vrouter ${family === 'inet' ? 'inet4' : 'inet6'} routing table 0/${vrf}/unicast`,
    'Flags: L=Label Valid, P=Proxy ARP, T=Trap ARP, F=Flood ARP',
    '',
    `${pad('Destination', 22)}${pad('PPL', 11)}${pad('Flags', 13)}${pad('Label', 14)}${pad('Nexthop', 11)}Stitched MAC(Index)`,
  ];
  for (const r of [...vr.tables.routes(vrf)].filter((r) => r.family === v).sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : a.len - b.len))) {
    const flags = `${r.label !== undefined ? 'L' : ''}${r.proxyArp ? 'P' : ''}${r.floodArp ? 'F' : ''}` || '-';
    lines.push(`${pad(r.prefix, 22)}${pad(r.len, 11)}${pad(flags, 13)}${pad(r.label ?? '-', 14)}${pad(r.nh, 11)}${r.mac ? shortMac(r.mac) : '-'}`);
  }
  return lines.join('\n');
}

const NH_TYPE: Record<NexthopConfig['type'], string> = {
  discard: 'Drop',
  receive: 'Receive',
  resolve: 'Resolve',
  encap: 'Encap',
  tunnel: 'Tunnel',
  composite: 'Composite',
  'vrf-translate': 'Vrf_Translate',
};

const FAMILY: Record<string, string> = { inet: 'AF_INET', inet6: 'AF_INET6', bridge: 'AF_BRIDGE' };

export function nhList(vr: Vrouter): string {
  const lines: string[] = [];
  for (const nh of [...vr.tables.nexthops.values()].sort((a, b) => a.id - b.id)) {
    lines.push(`${pad(`Id:${nh.id}`, 14)}${pad(`Type:${NH_TYPE[nh.type]}`, 20)}Fmly:${pad(FAMILY[nh.family] ?? 'AF_INET', 10)}Rid:0  Ref_cnt:1  Vrf:${nh.vrf}`);
    const ind = ' '.repeat(14);
    switch (nh.type) {
      case 'encap': {
        const v = vr.tables.vifs.get(nh.vif);
        const dmac = macKey(nh.dmac ?? v?.mac ?? '00:00:00:00:00:00');
        lines.push(`${ind}Flags:Valid, ${nh.family === 'bridge' ? 'Bridge, ' : 'Policy, '}`);
        lines.push(`${ind}EncapFmly:0806 Oif:${nh.vif} Len:14`);
        lines.push(`${ind}Encap Data: ${`${dmac}:${VROUTER_MAC}:08:00`.split(':').join(' ')}`);
        break;
      }
      case 'tunnel': {
        const smac = macKey(nh.smac ?? vr.tables.vifs.get(nh.vif)?.mac ?? '00:00:00:00:00:00');
        lines.push(`${ind}Flags:Valid, ${{ mplsoudp: 'MPLSoUDP', mplsogre: 'MPLSoGRE', vxlan: 'Vxlan' }[nh.tunnel]}, `);
        lines.push(`${ind}Oif:${nh.vif} Len:14 Data:${`${macKey(nh.dmac)}:${smac}:08:00`.split(':').join(' ')}`);
        lines.push(`${ind}Sip:${nh.sip} Dip:${nh.dip}`);
        break;
      }
      case 'composite':
        lines.push(`${ind}Flags:Valid, ${nh.mode === 'ecmp' ? 'Ecmp, ' : 'Multicast, L2, '}`);
        if (nh.mode === 'ecmp') lines.push(`${ind}Valid Hash Key Parameters: Proto,SrcIP,SrcPort,DstIp,DstPort`);
        lines.push(`${ind}Sub NH(label): ${nh.components.map((c) => `${c.nh}(${c.label ?? 0})`).join(' ')}`);
        break;
      case 'receive':
        lines.push(`${ind}Flags:Valid, `, `${ind}Oif:${nh.vif}`);
        break;
      case 'vrf-translate':
        lines.push(`${ind}Flags:Valid, Vxlan, `, `${ind}Vrf:${nh.targetVrf}`);
        break;
      default:
        lines.push(`${ind}Flags:Valid, `);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function mplsDump(vr: Vrouter): string {
  const lines = ['MPLS Input Label Map', '', '   Label    NextHop', '-------------------'];
  for (const [label, nh] of [...vr.tables.mpls].sort((a, b) => a[0] - b[0])) lines.push(`${lpad(label, 8)}${lpad(nh, 11)}`);
  return lines.join('\n');
}

export function vxlanDump(vr: Vrouter): string {
  const lines = ['VXLAN Table', '', ' VNID    NextHop', '----------------'];
  for (const [vni, nh] of [...vr.tables.vxlan].sort((a, b) => a[0] - b[0])) lines.push(`${lpad(vni, 6)}${lpad(nh, 11)}`);
  return lines.join('\n');
}

/** vRouter's dropstats labels, and which of our drop reasons each counts. */
const DROPSTATS: [string, string[]][] = [
  ['Invalid IF', ['invalid_if']],
  ['Trap No IF', ['trap_no_if']],
  ['IF TX Discard', []],
  ['IF Drop', ['interface_drop']],
  ['IF RX Discard', []],
  ['Flow Unusable', []],
  ['Flow No Memory', []],
  ['Flow Table Full', []],
  ['Flow NAT no rflow', []],
  ['Flow Action Drop', []],
  ['Flow Action Invalid', []],
  ['Flow Invalid Protocol', []],
  ['Flow Queue Limit Exceeded', []],
  ['Discards', ['discard']],
  ['TTL Exceeded', ['ttl_exceeded']],
  ['Mcast Clone Fail', []],
  ['Invalid NH', ['invalid_nh']],
  ['Invalid Label', ['invalid_label', 'mpls_label_stack_too_deep', 'bad_control_word']],
  ['Invalid Protocol', ['invalid_protocol', 'not_a_tunnel', 'gre_unsupported_protocol', 'tunnel_payload_not_ip']],
  ['Rewrite Fail', []],
  ['Invalid Mcast Source', []],
  ['Duplicated', ['duplicated']],
  ['Push Fails', ['head_space_reserve_fail', 'tunnel_too_big']],
  ['Pull Fails', []],
  ['Invalid Packet', ['gre_flags_not_accepted', 'vxlan_i_flag_clear', 'inner_vlan_discarded', 'tunnel_outer_fragment']],
  ['Cksum Errors', ['bad_outer_udp_checksum', 'bad_gre_checksum', 'zero_udp_checksum_ipv6', 'bad_l4_checksum']],
  ['Invalid VNID', ['invalid_vnid']],
  ['Fragment Errors', ['frag_mtu_too_small', 'reasm_overlap', 'reasm_timeout', 'reasm_bad_fragment', 'mtu_exceeded_df', 'mtu_exceeded_ipv6', 'mtu_exceeded_no_frag']],
  ['Invalid Source', ['invalid_source']],
  ['ARP Not Me', ['invalid_arp']],
  ['L2 No Route', ['l2_no_route']],
  ['Misc', []],
];

export function dropstats(vr: Vrouter): string {
  const used = new Set<string>();
  const lines: string[] = [];
  for (const [label, reasons] of DROPSTATS) {
    let n = 0;
    for (const r of reasons) {
      n += vr.stats.drops.get(r) ?? 0;
      used.add(r);
    }
    lines.push(`${pad(label, 30)}${n}`);
  }
  // Our reasons without a vRouter counter of their own (malformed packets and the like) count as Misc, listed by name.
  const other = [...vr.stats.drops].filter(([r]) => !used.has(r));
  if (other.length) {
    const misc = other.reduce((a, [, n]) => a + n, 0);
    lines[lines.length - 1] = `${pad('Misc', 30)}${misc}`;
    for (const [r, n] of other.sort()) lines.push(`  ${pad(r, 28)}${n}`);
  }
  return lines.join('\n');
}

export function flowList(vr: Vrouter): string {
  const flows = [...vr.stats.flows.values()].sort((a, b) => a.index - b.index);
  const lines = [
    `Flow table(size ${flows.length}, entries ${flows.length})`,
    '',
    `Entries: Created ${flows.length} Added ${flows.length} Deleted 0 Changed 0 Processed ${flows.length} Used Overflow entries 0`,
    '',
    'Action:F=Forward, D=Drop N=NAT(S=SNAT, D=DNAT, Ps=SPAT, Pd=DPAT, L=Link Local Port)',
    ' Other:K(nh)=Key_Nexthop, S(nh)=RPF_Nexthop',
    '',
    '    Index                Source:Port/Destination:Port                      Proto(V)',
    '-----------------------------------------------------------------------------------',
  ];
  for (const f of flows) {
    const idx = f.reverse !== undefined ? `${f.index}<=>${f.reverse}` : `${f.index}`;
    lines.push(`${lpad(idx, 17)}       ${pad(`${f.src}:${f.sport}`, 54)}${f.proto} (${f.vrf})`);
    lines.push(`${' '.repeat(24)}${f.dst}:${f.dport}`);
    lines.push(`(Gen: 1, K(nh):${f.nh}, Action:${f.action}${f.dropReason ? `(${f.dropReason})` : ''}, Flags:, QOS:-1, S(nh):${f.nh},  Stats:${f.packets}/${f.bytes},  SPort ${f.tunnelSport}, TTL 0)`);
    lines.push('');
  }
  return lines.join('\n');
}
