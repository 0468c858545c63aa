/**
 * `vswitch-sim vrouter vif|rt|nh|mpls|vxlan|dropstats|flow TOPO [--host H]`:
 * the vRouter utilities' views of a modelled compute node, optionally after
 * replaying a capture into a VM interface (`--replay IN.pcap --from tap-vm1`)
 * so the counters, drop statistics and flows show its effect.
 *   vswitch-sim vrouter rt examples/vrouter/two-computes.yaml --host compute1 --vrf 1
 *   vswitch-sim vrouter dropstats topo.yaml --host compute2 --replay in.pcap --from tap-red1
 * `flow --datapath` replays through the datapath engine instead (flow cache +
 * the vRouter slow path) and lists the host's megaflows, dpctl/dump-flows style:
 *   vswitch-sim vrouter flow topo.yaml --host compute1 --replay in.pcap --from tap-red1 --datapath
 * `--report DIR/report.json` shows the counters a `vswitch-sim replay` of the
 * topology left (vif, dropstats, flow), instead of replaying here:
 *   vswitch-sim vrouter vif topo.yaml --host compute2 --report out/report.json
 */
import { readFileSync } from 'node:fs';

import type { Command } from 'commander';

import { openCapture } from '../pcap/index.js';
import { loadVrouterHosts, VrouterDatapathFabric, VrouterFabric, type Vrouter, type VrouterCountersJson } from '../vrouter/index.js';
import { dropstats, flowList, mplsDump, nhList, rtDump, vifList, vxlanDump } from '../vrouter/views.js';
import { usageError } from './encap.js';
import { writeLine } from './output.js';

interface ViewOptions {
  host?: string;
  vrf?: string;
  family?: string;
  replay?: string;
  from?: string;
  trace?: boolean;
  datapath?: boolean;
  report?: string;
}

/** Loads the counters a replay report holds for `host` into `vr` (usage errors name the file). */
function loadReportCounters(file: string, host: string, vr: Vrouter): void {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw usageError(`--report ${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const list = (doc as { vrouters?: unknown }).vrouters;
  if (!Array.isArray(list)) throw usageError(`--report ${file}: not a replay report with vRouter counters (no "vrouters" list)`);
  const entry = list.find((e: unknown) => (e as { host?: unknown }).host === host) as ({ host: string } & VrouterCountersJson) | undefined;
  if (!entry) throw usageError(`--report ${file}: no counters for host "${host}" (hosts: ${list.map((e: unknown) => String((e as { host?: unknown }).host)).join(', ')})`);
  vr.stats.load(entry);
}

const VIEWS = ['vif', 'rt', 'nh', 'mpls', 'vxlan', 'dropstats', 'flow'] as const;
type View = (typeof VIEWS)[number];

/** A fabric `--replay` feeds: finds a VIF by name, forwards a frame entering it (with the per-packet trace). */
interface CaptureSink {
  findVif(name: string): { host: string; vif: number };
  send(host: string, vif: number, frame: Uint8Array): { trace: string[] } | Promise<{ trace: string[] }>;
}

/** `--replay IN.pcap --from VIF [--trace]`: every packet of the capture into that VIF, traces on stderr. */
async function feedCapture(o: ViewOptions, fabric: CaptureSink): Promise<void> {
  if (!o.replay) return;
  if (!o.from) throw usageError('--replay needs --from VIF_NAME (the VM interface the capture enters on)');
  let at: { host: string; vif: number };
  try {
    at = fabric.findVif(o.from);
  } catch (err) {
    throw usageError(err);
  }
  const reader = await openCapture(o.replay);
  for await (const rec of reader.records()) {
    const d = await fabric.send(at.host, at.vif, rec.data);
    if (o.trace) for (const line of [`packet ${rec.index + 1}:`, ...d.trace.map((l) => `  ${l}`)]) process.stderr.write(`${line}\n`);
  }
}

/** `flow --datapath`: replay through the engine, print the host's megaflows. */
async function runDatapath(topo: string, o: ViewOptions): Promise<void> {
  let fabric: VrouterDatapathFabric;
  try {
    fabric = new VrouterDatapathFabric(loadVrouterHosts(topo));
  } catch (err) {
    throw usageError(err);
  }
  try {
    const hostName = o.host ?? fabric.hostNames()[0];
    if (!fabric.hasHost(hostName)) throw usageError(`expected --host among ${fabric.hostNames().join(', ')}, received "${hostName}"`);
    await feedCapture(o, fabric);
    for (const line of await fabric.flows(hostName)) if (!(await writeLine(line))) return;
  } finally {
    await fabric.close();
  }
}

async function run(view: View, topo: string, o: ViewOptions): Promise<void> {
  if (o.report && (o.replay || o.datapath)) throw usageError('--report shows the counters of a finished replay: it does not go with --replay or --datapath');
  if (o.datapath) {
    if (view !== 'flow') throw usageError('--datapath applies to the flow view only');
    await runDatapath(topo, o);
    return;
  }
  let fabric: VrouterFabric;
  try {
    fabric = new VrouterFabric(loadVrouterHosts(topo));
  } catch (err) {
    throw usageError(err);
  }
  const hostName = o.host ?? [...fabric.hosts.keys()][0];
  if (!fabric.hosts.has(hostName)) throw usageError(`expected --host among ${[...fabric.hosts.keys()].join(', ')}, received "${hostName}"`);
  await feedCapture(o, fabric);
  const vr = fabric.host(hostName);
  if (o.report) loadReportCounters(o.report, hostName, vr);
  const vrf = o.vrf === undefined ? 0 : Number(o.vrf);
  if (!Number.isInteger(vrf) || vrf < 0 || vrf > 65535) throw usageError(`expected a VRF id for --vrf, received "${o.vrf}"`);
  let text: string;
  switch (view) {
    case 'vif':
      text = vifList(vr);
      break;
    case 'rt': {
      const family = o.family ?? 'inet';
      if (family !== 'inet' && family !== 'inet6' && family !== 'bridge') throw usageError(`expected inet, inet6 or bridge for --family, received "${family}"`);
      text = rtDump(vr, vrf, family);
      break;
    }
    case 'nh':
      text = nhList(vr);
      break;
    case 'mpls':
      text = mplsDump(vr);
      break;
    case 'vxlan':
      text = vxlanDump(vr);
      break;
    case 'dropstats':
      text = dropstats(vr);
      break;
    case 'flow':
      text = flowList(vr);
      break;
  }
  for (const line of text.split('\n')) if (!(await writeLine(line))) return;
}

/** Registers `vrouter <view> TOPO`. */
export function registerVrouter(program: Command): void {
  const cmd = program.command('vrouter').description("vRouter views of a modelled compute node (vif --list, rt --dump, nh --list, mpls --dump, dropstats, flow -l)");
  for (const view of VIEWS) {
    const sub = cmd
      .command(`${view} <topology>`)
      .description(
        {
          vif: 'interfaces and their counters (vif --list)',
          rt: 'a VRF routing table (rt --dump VRF [--family inet|inet6|bridge])',
          nh: 'nexthops (nh --list)',
          mpls: 'the MPLS label table (mpls --dump)',
          vxlan: 'the VNI table (vxlan --dump)',
          dropstats: 'drop statistics (dropstats)',
          flow: 'the flow table (flow -l)',
        }[view],
      )
      .option('--host <name>', 'compute node (default: the first)')
      .option('--replay <pcap>', 'replay a capture first')
      .option('--from <vif>', 'VM interface name the replayed capture enters on (e.g. tap-vm1)')
      .option('--trace', 'print each replayed packet\'s trace on stderr')
      .option('--report <report.json>', 'show the counters of a `vswitch-sim replay` of this topology (its DIR/report.json)');
    if (view === 'flow') sub.option('--datapath', 'replay through the datapath engine and list its megaflows (dpctl/dump-flows)');
    if (view === 'rt') sub.option('--vrf <id>', 'VRF id', '0').option('--family <family>', 'inet, inet6 or bridge', 'inet');
    sub.action(async (topology: string, o: ViewOptions) => run(view, topology, o));
  }
}
