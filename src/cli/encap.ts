/**
 * `vswitch-sim encap`: encapsulates every frame of a capture in one tunnel.
 *   vswitch-sim encap --tunnel vxlan --vni 5001 --local 10.0.0.1 --remote 10.0.0.2 IN.pcap OUT.pcap
 */
import type { Command } from 'commander';

import { encapCapture, type CaptureRunSummary } from '../tunnel/capture.js';
import type { TunnelSpec } from '../tunnel/spec.js';

/** An argument error shown to the user as one line (code ERR_USAGE). */
export function usageError(err: unknown): Error {
  const e = new Error(err instanceof Error ? err.message : String(err)) as Error & { code: string };
  e.code = 'ERR_USAGE';
  return e;
}

const num = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw usageError(`expected a number, received "${v}"`);
  return n;
};
const collect = (v: string, prev: number[]): number[] => [...prev, num(v)];

export function printSummary(s: CaptureRunSummary): void {
  const drops = Object.entries(s.drops).map(([k, n]) => `${k} ${n}`);
  process.stderr.write(`read ${s.read}, wrote ${s.written}${drops.length ? `, dropped: ${drops.join(', ')}` : ''}\n`);
}

interface EncapOptions {
  tunnel: string;
  local: string;
  remote: string;
  vni?: number;
  label: number[];
  payload?: string;
  controlWord?: boolean;
  greKey?: number;
  vlan?: number;
  srcMac?: string;
  dstMac?: string;
  srcPort?: string;
  udpPort?: number;
  udpChecksum?: string;
  ttl?: string;
  mplsTtl?: string;
  tos?: number;
  df?: string;
  ipId?: string;
}

function srcPortOf(v: string | undefined): TunnelSpec['srcPort'] {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const range = /^(\d+)-(\d+)$/.exec(v);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  return v as TunnelSpec['srcPort'];
}

const ttlOf = (v: string | undefined): number | 'inherit' | undefined => (v === undefined || v === 'inherit' ? v : num(v));

export function registerEncap(program: Command): void {
  program
    .command('encap')
    .description('encapsulate every Ethernet frame of a capture in a VXLAN, GRE (Ethernet over GRE), MPLSoUDP or MPLSoGRE tunnel')
    .argument('<in>', 'input capture (pcap or pcapng)')
    .argument('<out>', 'output pcap')
    .requiredOption('--tunnel <type>', 'vxlan, gre, mplsoudp or mplsogre')
    .requiredOption('--local <ip>', 'outer source IP (IPv4 or IPv6)')
    .requiredOption('--remote <ip>', 'outer destination IP')
    .option('--vni <n>', 'VXLAN network identifier', num)
    .option('--label <n>', 'MPLS label, top first (repeat for two)', collect, [])
    .option('--payload <kind>', 'MPLS payload: ip (default) or ethernet')
    .option('--control-word', 'pseudowire control word before an Ethernet payload')
    .option('--gre-key <n>', 'GRE key (gre, mplsogre)', num)
    .option('--vlan <id>', 'outer 802.1Q VLAN ID', num)
    .option('--src-mac <mac>', 'outer source MAC')
    .option('--dst-mac <mac>', 'outer destination MAC')
    .option('--src-port <p>', 'UDP source port: linux, ovs, vrouter, a port, or MIN-MAX')
    .option('--udp-port <n>', 'UDP destination port', num)
    .option('--udp-checksum <mode>', 'zero or compute')
    .option('--ttl <n>', 'outer TTL or "inherit"')
    .option('--mpls-ttl <n>', 'label TTL or "inherit"')
    .option('--tos <n>', 'outer TOS / traffic class byte', num)
    .option('--df <mode>', 'outer IPv4 DF: clear, set or inherit')
    .option('--ip-id <mode>', 'outer IPv4 ID: counter (per tunnel), global (one counter, as vRouter), copy-inner or zero')
    .action(async (inPath: string, outPath: string, o: EncapOptions) => {
      const spec: TunnelSpec = {
        type: o.tunnel as TunnelSpec['type'],
        local: o.local,
        remote: o.remote,
        ...(o.vni !== undefined ? { vni: o.vni } : {}),
        ...(o.label.length ? { labels: o.label } : {}),
        ...(o.payload !== undefined ? { payload: o.payload as TunnelSpec['payload'] } : {}),
        ...(o.controlWord ? { controlWord: true } : {}),
        ...(o.greKey !== undefined ? { greKey: o.greKey } : {}),
        ...(o.vlan !== undefined ? { vlan: o.vlan } : {}),
        ...(o.srcMac !== undefined ? { srcMac: o.srcMac } : {}),
        ...(o.dstMac !== undefined ? { dstMac: o.dstMac } : {}),
        ...(o.srcPort !== undefined ? { srcPort: srcPortOf(o.srcPort) } : {}),
        ...(o.udpPort !== undefined ? { udpDstPort: o.udpPort } : {}),
        ...(o.udpChecksum !== undefined ? { udpChecksum: o.udpChecksum as TunnelSpec['udpChecksum'] } : {}),
        ...(o.ttl !== undefined ? { ttl: ttlOf(o.ttl) } : {}),
        ...(o.mplsTtl !== undefined ? { mplsTtl: ttlOf(o.mplsTtl) } : {}),
        ...(o.tos !== undefined ? { tos: o.tos } : {}),
        ...(o.df !== undefined ? { df: o.df as TunnelSpec['df'] } : {}),
        ...(o.ipId !== undefined ? { ipId: o.ipId as TunnelSpec['ipId'] } : {}),
      };
      let summary: CaptureRunSummary;
      try {
        summary = await encapCapture(inPath, outPath, spec);
      } catch (err) {
        throw err instanceof TypeError || err instanceof RangeError ? usageError(err) : err;
      }
      printSummary(summary);
    });
}
