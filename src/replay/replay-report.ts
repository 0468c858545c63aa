/**
 * What a replay did, as `report.json` holds it, and its text summary.
 */
import type { EngineStats } from '../datapath/engine.js';
import type { FabricCounters } from './fabric.js';
import type { EdgeCounters } from './port-edges.js';
import type { VrouterCountersJson } from '../vrouter/stats.js';

export interface PortCounters {
  host: string;
  port: string;
  /** Frames that entered the switch on this port (from a capture or the underlay). */
  rx: number;
  /** Frames the switch sent out of this port (what DIR/HOST-PORT.pcap holds). */
  tx: number;
  /** Frames received on this port and dropped (by any reason). */
  drops: number;
}

/** Where a packet of the run came from: input capture and 0-based packet index (tshark frame number - 1). */
export interface PacketOrigin {
  file: string;
  index: number;
  /** True when the example is a frame the underlay carried, made from that input packet. */
  viaUnderlay?: boolean;
}

/** One `--trace` trace: a selected packet (or a frame the underlay made from it) entering a host. */
export interface PacketTrace extends PacketOrigin {
  host: string;
  port: string;
  /** The host's trace text (OVS: ofproto/trace layout; vRouter: its forwarding decisions). */
  text: string;
}

export interface DropCount {
  reason: string;
  text: string;
  count: number;
  example: PacketOrigin & { host: string; port: string };
}

export interface TunnelUse {
  from: string;
  to: string;
  /** VXLAN (UDP 4789), MPLSoUDP (UDP 6635), MPLSoGRE (GRE 0x8847), or other underlay traffic. */
  type: 'vxlan' | 'mplsoudp' | 'mplsogre' | 'other';
  /** VXLAN network identifier. */
  vni?: number;
  /** Top MPLS label (MPLSoUDP, MPLSoGRE). */
  label?: number;
  packets: number;
}

/** A vRouter host's counters after the replay: what `vif --list`, `dropstats` and `flow -l` show. */
export type VrouterHostCounters = { host: string } & VrouterCountersJson;

export interface ReplayReport {
  topology: string;
  inputs: { host: string; port: string; file: string; packets: number }[];
  outDir: string;
  pmds: number;
  cache: boolean;
  /** True when the run was interrupted (SIGINT): the counts cover what was done. */
  interrupted: boolean;
  wallMs: number;
  packets: {
    /** Packets read from the captures. */
    captured: number;
    /** Frames the underlay carried between hosts. */
    underlay: number;
    /** Frames our parser called malformed as they entered a host's datapath, captured or carried by the underlay (they are still replayed: dropped with the parser's reason). */
    malformed: number;
    /** Packets the engine could not express, run through the host model's per-packet path (see `fallbackReasons`). */
    modelFallback: number;
  };
  /** Why packets went through the model's per-packet slow path, with counts. */
  fallbackReasons: { reason: string; packets: number }[];
  /** The fabric's counters (src/replay/fabric.ts). */
  underlay: FabricCounters;
  /** What the host edge ports did: guest offloads, segmentation, checksums, NIC faults, port MTU drops (src/replay/port-edges.ts). */
  edges: EdgeCounters;
  ports: PortCounters[];
  drops: DropCount[];
  tunnels: TunnelUse[];
  outputs: { file: string; packets: number }[];
  /** Datapath engine statistics per host (pmdStatsJson form). */
  engines: { host: string; stats: unknown; raw: EngineStats }[];
  /** Per vRouter host: vif, drop and flow counters (absent without vRouter hosts). */
  vrouters?: VrouterHostCounters[];
  /** With `trace`: the traces, in the order made (at most 1000; the rest counted in tracesOmitted). */
  traces?: PacketTrace[];
  tracesOmitted?: number;
}

/** The report as written to report.json (engine stats in their JSON form only). */
export function reportJson(r: ReplayReport): unknown {
  return { ...r, engines: r.engines.map((e) => ({ host: e.host, stats: e.stats })) };
}

const pad = (s: string | number, n: number): string => String(s).padStart(n);

/** A text summary for people: ports, drops with an example, tunnels, engine counters. */
export function reportText(r: ReplayReport): string {
  const L: string[] = [];
  L.push(`replay of ${r.topology}${r.interrupted ? ' (INTERRUPTED: counts cover what was done)' : ''}`);
  L.push(`  ${r.packets.captured} captured packets, ${r.packets.underlay} underlay frames, ${r.packets.malformed} malformed, ${r.packets.modelFallback} through the model's slow path; ${r.pmds} PMD(s), cache ${r.cache ? 'on' : 'off'}, ${r.wallMs} ms`);
  L.push('ports:');
  L.push(`  ${'host:port'.padEnd(28)} ${pad('rx', 8)} ${pad('tx', 8)} ${pad('drops', 8)}`);
  for (const p of r.ports) L.push(`  ${`${p.host}:${p.port}`.padEnd(28)} ${pad(p.rx, 8)} ${pad(p.tx, 8)} ${pad(p.drops, 8)}`);
  L.push('drops:');
  if (r.drops.length === 0) L.push('  (none)');
  for (const d of r.drops)
    L.push(`  ${d.reason}: ${d.count}  (${d.text}; e.g. ${d.example.file}#${d.example.index + 1}${d.example.viaUnderlay ? ' via the underlay' : ''} at ${d.example.host}:${d.example.port})`);
  L.push('tunnels:');
  if (r.tunnels.length === 0) L.push('  (none)');
  for (const t of r.tunnels) L.push(`  ${t.from} -> ${t.to} ${t.type}${t.vni !== undefined ? ` vni ${t.vni}` : ''}${t.label !== undefined ? ` label ${t.label}` : ''}: ${t.packets}`);
  for (const f of r.fallbackReasons) L.push(`model slow path (the engine could not express it): ${f.packets} packet(s): ${f.reason}`);
  const u = r.underlay;
  L.push(`underlay: carried ${u.carried}, unrouted ${u.unrouted} (to no known host), MTU drops ${u.mtuDrops}, VLAN drops ${u.vlanDrops}, fragments made ${u.fragments}, reassembled ${u.reassembled}, PMTU answers ${u.pmtudAnswers}`);
  const e = r.edges;
  const faults = Object.entries(e.faults);
  L.push(
    `edge ports: guest partial checksums ${e.guestPartialCsum}, guest TSO frames ${e.guestSuperFrames}, segments ${e.segments}, checksums completed in software ${e.softwareCsum} / by NICs ${e.nicCsum}, port MTU drops ${e.mtuDrops}` +
      (faults.length > 0 ? `; NIC faults applied: ${faults.map(([k, n]) => `${k} ${n}`).join(', ')}` : ''),
  );
  for (const e of r.engines) {
    const s = e.raw;
    const hits = s.pmds.reduce((a, p) => a + p.emcHits + p.megaflowHits, 0);
    const miss = s.pmds.reduce((a, p) => a + p.misses, 0);
    L.push(`engine ${e.host}: ${s.packets} packets in ${s.batches} batches, upcalls ${s.upcall.upcalls} (failed ${s.upcall.failed}; ${s.upcall.reused} more misses answered by flows not yet in the PMDs), flows installed ${s.upcall.installs}, cache hits ${hits}, misses ${miss}`);
    for (const p of s.pmds) L.push(`  pmd ${p.pmd}: packets ${p.packets}, emc hits ${p.emcHits}, megaflow hits ${p.megaflowHits}, misses ${p.misses}`);
  }
  for (const v of r.vrouters ?? []) {
    const busy = v.vifs.filter((c) => c.rxPackets + c.txPackets + c.drops > 0);
    L.push(`vrouter ${v.host}: ${busy.map((c) => `vif0/${c.id} ${c.name} rx ${c.rxPackets} tx ${c.txPackets}${c.drops ? ` drops ${c.drops}` : ''}`).join(', ') || 'no traffic'}; ${v.flows.length} flow(s)`);
    const drops = Object.entries(v.drops);
    if (drops.length) L.push(`  dropstats: ${drops.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  }
  if (r.vrouters?.length) L.push('  (vswitch-sim vrouter vif|dropstats|flow TOPO --host H --report DIR/report.json shows them as the vRouter tools do)');
  L.push('outputs:');
  for (const o of r.outputs) L.push(`  ${r.outDir}/${o.file}: ${o.packets} packet(s)`);
  return L.join('\n') + '\n';
}
