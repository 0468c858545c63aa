/**
 * What a replay did, as `report.json` holds it, and its text summary.
 */
import type { EngineStats } from '../datapath/engine.js';

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

export interface DropCount {
  reason: string;
  text: string;
  count: number;
  example: PacketOrigin & { host: string; port: string };
}

export interface TunnelUse {
  from: string;
  to: string;
  type: 'vxlan' | 'other';
  vni?: number;
  packets: number;
}

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
    /** Frames our parser calls malformed (they are still replayed). */
    malformed: number;
    /** Packets the engine could not express, run through the OVS model's per-packet slow path (see `fallbackReasons`). */
    modelFallback: number;
  };
  /** Why packets went through the model's per-packet slow path, with counts. */
  fallbackReasons: { reason: string; packets: number }[];
  underlay: { carried: number; unrouted: number };
  ports: PortCounters[];
  drops: DropCount[];
  tunnels: TunnelUse[];
  outputs: { file: string; packets: number }[];
  /** Datapath engine statistics per host (pmdStatsJson form). */
  engines: { host: string; stats: unknown; raw: EngineStats }[];
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
  for (const t of r.tunnels) L.push(`  ${t.from} -> ${t.to} ${t.type}${t.vni !== undefined ? ` vni ${t.vni}` : ''}: ${t.packets}`);
  for (const f of r.fallbackReasons) L.push(`model slow path (the engine could not express it): ${f.packets} packet(s): ${f.reason}`);
  if (r.underlay.unrouted > 0) L.push(`underlay: ${r.underlay.unrouted} frame(s) to no known host (not carried)`);
  for (const e of r.engines) {
    const s = e.raw;
    const hits = s.pmds.reduce((a, p) => a + p.emcHits + p.megaflowHits, 0);
    const miss = s.pmds.reduce((a, p) => a + p.misses, 0);
    L.push(`engine ${e.host}: ${s.packets} packets in ${s.batches} batches, upcalls ${s.upcall.upcalls} (failed ${s.upcall.failed}), flows installed ${s.upcall.installs}, cache hits ${hits}, misses ${miss}`);
    for (const p of s.pmds) L.push(`  pmd ${p.pmd}: packets ${p.packets}, emc hits ${p.emcHits}, megaflow hits ${p.megaflowHits}, misses ${p.misses}`);
  }
  L.push('outputs:');
  for (const o of r.outputs) L.push(`  ${r.outDir}/${o.file}: ${o.packets} packet(s)`);
  return L.join('\n') + '\n';
}
