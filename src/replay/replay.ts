/**
 * `replay()`: streams captures into modelled OVS hosts and writes what every
 * port transmits.
 *
 * - Inputs are merged in timestamp order (InputMerge: one pending packet per
 *   capture, so memory is bounded whatever the sizes).
 * - Consecutive packets for the same host form a batch (up to `batchSize`)
 *   that goes through that host's datapath engine (parse, flow cache,
 *   upcalls to the OVS model as slow path). Packets the engine cannot express
 *   (tunnel pop) run through the model's own per-packet slow path, counted.
 * - Frames sent out of a host's underlay NIC are carried by the underlay
 *   switch to the host owning the destination IP and replayed there, before
 *   the next captured packet (so causality holds across hosts).
 * - Output frames keep the timestamp of the captured packet they came from.
 * - `signal` stops the run between batches: the files written so far are
 *   closed complete and the report says `interrupted`.
 */
import { mkdirSync, statSync } from 'node:fs';

import { PacketBatch } from '../datapath/batch.js';
import { PacketFlag } from '../datapath/batch-layout.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';
import { DatapathEngine } from '../datapath/engine.js';
import { pmdStatsJson } from '../datapath/stats.js';
import { loadTopology } from '../model/load-topology.js';
import { TopologyError } from '../model/topology-error.js';
import { buildOvsHost } from '../ovs/build-host.js';
import type { OvsHost } from '../ovs/ovs-host.js';
import { OvsSlowPath } from '../ovs/ovs-slow-path.js';
import { createParser, type Parser } from '../packet/parse.js';
import { LinkType } from '../pcap/index.js';
import { FallbackSlowPath } from './fallback-slow-path.js';
import { Fabric, type FabricAttachment } from './fabric.js';
import { InputMerge } from './merge-inputs.js';
import { PortEdges } from './port-edges.js';
import { PortOutputs } from './port-outputs.js';
import { ReplayError } from './replay-error.js';
import type { ReplayInput } from './replay-input.js';
import type { DropCount, PacketOrigin, PortCounters, ReplayReport, TunnelUse } from './replay-report.js';

export interface ReplayOptions {
  topology: string;
  inputs: readonly ReplayInput[];
  outDir: string;
  /** PMD threads per host (default 1). */
  pmds?: number;
  /** false: no flow cache (every packet through the slow path). */
  cache?: boolean;
  /**
   * Every packet through the OVS model's own per-packet slow path instead of
   * the engine's programs (a reference run; default false). Without the
   * cache, so every packet reaches the slow path.
   */
  modelOnly?: boolean;
  /** Packets per engine batch (default 256). */
  batchSize?: number;
  /** Run PMDs on the calling thread (tests; default false). */
  inProcess?: boolean;
  /** Aborting stops the run between batches; outputs stay complete. */
  signal?: AbortSignal;
  /** Called after each batch with the packets read so far and the input bytes consumed / total. */
  onProgress?: (p: { packets: number; bytes: number; totalBytes: number }) => void;
}

/** Underlay frames may be carried this many times per captured packet (a loop guard). */
const MAX_HOPS = 8;

interface Pending {
  host: string;
  port: string;
  dpPort: number;
  frame: Uint8Array;
  tsSec: number;
  tsNsec: number;
  origin: PacketOrigin;
  hops: number;
}

interface HostCtx {
  host: OvsHost;
  slow: FallbackSlowPath;
  engine: DatapathEngine;
}

/** Replays the inputs through the topology's OVS hosts; writes DIR/HOST-PORT.pcap per transmitting port. */
export async function replay(opts: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  const topo = loadTopology(opts.topology);
  const batchSize = opts.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 4096) throw new RangeError(`expected an integer in [1, 4096] for batchSize, received ${batchSize}`);
  if (opts.inputs.length === 0) throw new ReplayError('ERR_USAGE_REPLAY_IN', 'no --in given: name at least one HOST:PORT=FILE.pcap');
  const models = new Map<string, OvsHost>();
  topo.hosts.forEach((h, hi) => {
    if (h.kind === 'ovs') models.set(h.name, buildOvsHost(h, `hosts[${hi}]`));
  });
  const resolved = opts.inputs.map((inp) => {
    const hi = topo.hosts.findIndex((h) => h.name === inp.host);
    if (hi < 0) throw new ReplayError('ERR_USAGE_REPLAY_HOST', `--in ${inp.host}:${inp.port}: no host "${inp.host}" in ${opts.topology} (hosts: ${topo.hosts.map((h) => h.name).join(', ')})`);
    const m = models.get(inp.host);
    if (!m) throw new TopologyError('ERR_TOPOLOGY_REF', `hosts[${hi}]`, `host ${inp.host} is a ${topo.hosts[hi].kind}: replay takes OVS hosts only for now`, opts.topology);
    const p = m.port(inp.port);
    if (!p || p.dpPort < 0) throw new ReplayError('ERR_USAGE_REPLAY_HOST', `--in ${inp.host}:${inp.port}: host ${inp.host} has no port "${inp.port}" with a datapath port`);
    return { ...inp, dpPort: p.dpPort };
  });
  try {
    mkdirSync(opts.outDir, { recursive: true });
  } catch (err) {
    throw new ReplayError('ERR_USAGE_REPLAY_OUT', `--out ${opts.outDir}: ${(err as Error).message}`);
  }
  const merge = await InputMerge.open(resolved.map((r) => r.file));
  for (const [i, r] of merge.readers.entries()) {
    const bad = r.interfaces.find((f) => f.linkType !== LinkType.ETHERNET);
    if (bad) {
      await merge.close();
      throw new ReplayError('ERR_USAGE_REPLAY_LINKTYPE', `${resolved[i].file}: link type ${bad.linkType} is not Ethernet; replay injects Ethernet frames only`);
    }
  }
  const totalBytes = resolved.reduce((a, r) => a + statSync(r.file).size, 0);

  const pmds = opts.pmds ?? 1;
  const cache = opts.modelOnly ? false : (opts.cache ?? true);
  const ctxs = new Map<string, HostCtx>();
  for (const [name, host] of models) {
    const slow = new FallbackSlowPath(new OvsSlowPath(host), opts.modelOnly === true);
    ctxs.set(name, { host, slow, engine: DatapathEngine.create({ slowPath: slow, pmds, cache, ...(opts.inProcess ? { inProcess: true } : {}) }) });
  }
  const fabric = new Fabric(fabricAttachments(models));
  const edges = new PortEdges();
  const outputs = new PortOutputs(opts.outDir);
  const parser: Parser = createParser();

  const ports = new Map<string, PortCounters>();
  const portOf = (host: string, port: string): PortCounters => {
    const k = `${host}:${port}`;
    let c = ports.get(k);
    if (!c) ports.set(k, (c = { host, port, rx: 0, tx: 0, drops: 0 }));
    return c;
  };
  const drops = new Map<string, DropCount>();
  const countDrop = (reason: string, p: Pending): void => {
    portOf(p.host, p.port).drops++;
    const d = drops.get(reason);
    if (d) d.count++;
    else {
      const text = DROP_REASONS.find((r) => r[0] === reason)?.[1] ?? reason;
      drops.set(reason, { reason, text, count: 1, example: { ...p.origin, host: p.host, port: p.port } });
    }
  };
  const tunnels = new Map<string, TunnelUse>();
  const inputCounts = resolved.map(() => 0);
  const counts = { captured: 0, underlay: 0, malformed: 0, modelFallback: 0 };
  const fallbackReasons = new Map<string, number>();
  const queue: Pending[] = [];

  const emit = async (src: Pending, dpPort: number, sent: Uint8Array): Promise<void> => {
    const ctx = ctxs.get(src.host) as HostCtx;
    const port = ctx.host.portByDp(dpPort)?.name ?? `dp${dpPort}`;
    const edge = edges.egress(src.host, port, sent);
    for (const reason of edge.drops) countDrop(reason, src);
    for (const frame of edge.frames) {
      portOf(src.host, port).tx++;
      await outputs.write(src.host, port, frame, src.tsSec, src.tsNsec);
      if (!fabric.isFabricPort(src.host, port)) continue;
      const carried = fabric.carry(src.host, port, frame);
      for (const reason of carried.drops) countDrop(reason, src);
      for (const to of carried.deliveries) {
        if (src.hops + 1 > MAX_HOPS) {
          countDrop('underlay_loop', src);
          continue;
        }
        noteTunnel(src.host, to.host, to.frame);
        const target = ctxs.get(to.host) as HostCtx;
        queue.push({
          host: to.host,
          port: to.port,
          dpPort: target.host.port(to.port)?.dpPort ?? -1,
          frame: to.frame,
          tsSec: src.tsSec,
          tsNsec: src.tsNsec,
          origin: { file: src.origin.file, index: src.origin.index, viaUnderlay: true },
          hops: src.hops + 1,
        });
      }
    }
  };

  const noteTunnel = (from: string, to: string, frame: Uint8Array): void => {
    const vni = vxlanVni(frame);
    const k = `${from}>${to}>${vni ?? 'other'}`;
    const t = tunnels.get(k);
    if (t) t.packets++;
    else tunnels.set(k, { from, to, type: vni === undefined ? 'other' : 'vxlan', ...(vni !== undefined ? { vni } : {}), packets: 1 });
  };

  const runBatch = async (run: Pending[], fromCapture: boolean): Promise<void> => {
    const ctx = ctxs.get(run[0].host) as HostCtx;
    const dataSize = run.reduce((a, p) => a + p.frame.length + 256, 65536);
    const batch = PacketBatch.create({ capacity: run.length, dataSize });
    for (const p of run) {
      portOf(p.host, p.port).rx++;
      batch.append(p.frame, { inPort: p.dpPort, tsSec: p.tsSec, tsNsec: p.tsNsec });
    }
    if (fromCapture) {
      parser.parse(batch, LinkType.ETHERNET);
      for (let i = 0; i < run.length; i++) if ((batch.flags[i] & PacketFlag.MALFORMED) !== 0) counts.malformed++;
    }
    const result = await ctx.engine.process(batch);
    const fallback = ctx.slow.take();
    const byOrigin: Uint8Array[][] = run.map(() => []);
    const portsOut: number[][] = run.map(() => []);
    result.forEachOutput((port, bytes, origin) => {
      byOrigin[origin].push(bytes.slice());
      portsOut[origin].push(port);
    });
    for (let i = 0; i < run.length; i++) {
      const p = run[i];
      const why = fallback.get(result.firstPacket + i);
      if (why !== undefined) {
        counts.modelFallback++;
        fallbackReasons.set(why, (fallbackReasons.get(why) ?? 0) + 1);
        let r: ReturnType<OvsHost['receive']>;
        try {
          r = ctx.host.receive(p.port, p.frame);
        } catch {
          countDrop('upcall_failed', p);
          continue;
        }
        if (r.outputs.length === 0) countDrop(r.xlate.dropReason ?? 'ovs_rule_no_output', p);
        for (const o of r.outputs) await emit(p, o.port, o.frame);
        continue;
      }
      if (result.drops[i] !== 0) countDrop(DROP_REASONS[result.drops[i]]?.[0] ?? `drop_${result.drops[i]}`, p);
      else if (byOrigin[i].length === 0) countDrop('ovs_rule_no_output', p);
      for (let k = 0; k < byOrigin[i].length; k++) await emit(p, portsOut[i][k], byOrigin[i][k]);
    }
  };

  /** Replays the underlay queue until it is empty, in same-host runs. */
  const drainUnderlay = async (): Promise<void> => {
    while (queue.length > 0) {
      let n = 1;
      while (n < queue.length && n < batchSize && queue[n].host === queue[0].host) n++;
      const run = queue.splice(0, n);
      counts.underlay += run.length;
      await runBatch(run, false);
    }
  };

  let interrupted = false;
  let completed = false;
  try {
    let run: Pending[] = [];
    const flush = async (): Promise<void> => {
      if (run.length === 0) return;
      const r = run;
      run = [];
      await runBatch(r, true);
      await drainUnderlay();
      opts.onProgress?.({ packets: counts.captured, bytes: merge.bytes, totalBytes });
    };
    for (;;) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const m = await merge.next();
      if (!m) break;
      const inp = resolved[m.input];
      const rec = m.record;
      counts.captured++;
      inputCounts[m.input]++;
      const captured: Pending = {
        host: inp.host,
        port: inp.port,
        dpPort: inp.dpPort,
        frame: rec.data.slice(),
        tsSec: rec.tsSec,
        tsNsec: rec.tsNsec,
        origin: { file: inp.file, index: rec.index },
        hops: 0,
      };
      const edge = edges.ingress(inp.host, inp.port, captured.frame);
      for (const reason of edge.drops) countDrop(reason, captured);
      for (const frame of edge.frames) {
        if (run.length > 0 && (run[0].host !== captured.host || run.length >= batchSize)) await flush();
        run.push({ ...captured, frame });
      }
    }
    await flush();
    completed = true;
  } finally {
    await merge.close();
    if (!completed) {
      await outputs.abort();
      await Promise.all([...ctxs.values()].map((c) => c.engine.close().catch(() => undefined)));
    }
  }
  const files = await outputs.close();
  const engines: ReplayReport['engines'] = [];
  for (const [name, c] of ctxs) {
    const raw = await c.engine.stats();
    engines.push({ host: name, stats: pmdStatsJson(raw, DROP_REASONS), raw });
    await c.engine.close();
  }
  return {
    topology: opts.topology,
    inputs: resolved.map((r, i) => ({ host: r.host, port: r.port, file: r.file, packets: inputCounts[i] })),
    outDir: opts.outDir,
    pmds,
    cache,
    interrupted,
    wallMs: Date.now() - started,
    packets: counts,
    fallbackReasons: [...fallbackReasons].map(([reason, packets]) => ({ reason, packets })),
    underlay: { carried: counts.underlay, unrouted: fabric.counters.unrouted },
    ports: [...ports.values()].sort((a, b) => a.host.localeCompare(b.host) || a.port.localeCompare(b.port)),
    drops: [...drops.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    tunnels: [...tunnels.values()],
    outputs: files,
    engines,
  };
}

/** Each OVS host's underlay NICs (the `system` ports of its underlay bridge); the first receives. */
function fabricAttachments(models: ReadonlyMap<string, OvsHost>): FabricAttachment[] {
  const out: FabricAttachment[] = [];
  for (const [name, h] of models) {
    const u = h.underlay;
    const br = u ? h.bridges.get(u.bridge) : undefined;
    if (!u || !br) continue;
    for (const p of br.ports) if (p.cfg.type === 'system') out.push({ host: name, port: p.name, ip: u.ip });
  }
  return out;
}

/** VNI of an untagged Ethernet/IPv4/UDP(4789)/VXLAN frame, else undefined. */
function vxlanVni(f: Uint8Array): number | undefined {
  if (f.length < 14 + 20 + 8 + 8 || f[12] !== 0x08 || f[13] !== 0x00) return undefined;
  const ihl = (f[14] & 0x0f) * 4;
  const l4 = 14 + ihl;
  if (f[14 + 9] !== 17 || f.length < l4 + 16 || ((f[l4 + 2] << 8) | f[l4 + 3]) !== 4789) return undefined;
  return (f[l4 + 12] << 16) | (f[l4 + 13] << 8) | f[l4 + 14];
}
