/**
 * `replay()`: streams captures into modelled hosts (OVS hosts and vRouter
 * compute nodes, each behind a HostRuntime) and writes what every port
 * transmits.
 *
 * - Inputs are merged in timestamp order (InputMerge: one pending packet per
 *   capture, so memory is bounded whatever the sizes).
 * - Consecutive packets for the same host form a batch (up to `batchSize`)
 *   that goes through that host's datapath engine (parse, flow cache,
 *   upcalls to the host's model as slow path). Packets the engine cannot express
 *   run through the model's own per-packet path, counted.
 * - Every packet's outcome is handed to its host's runtime (`settle`): a
 *   vRouter stamps its outer IPv4 IDs and counts vifs, drops and flows
 *   (the report's `vrouters[]`).
 * - Frames sent out of a host's underlay NIC are carried by the underlay
 *   switch to the host owning the destination IP and replayed there, before
 *   the next captured packet (so causality holds across hosts).
 * - With at most one host on the underlay (and no `linux` stack answering its
 *   own guests) nothing can come back from the fabric, so the next batch is handed to the engine while the previous
 *   one's outputs are written (pipelined); otherwise batches run one by one.
 * - `trace` selects packets whose trace is taken at every host they (or
 *   frames made from them) enter; a traced packet starts a new batch after
 *   everything before it has run, so its trace sees its translation's state.
 * - Output frames keep the timestamp of the captured packet they came from.
 * - `signal` stops the run between batches: the files written so far are
 *   closed complete and the report says `interrupted`.
 */
import { mkdirSync, statSync } from 'node:fs';

import { PacketBatch } from '../datapath/batch.js';
import type { BatchResult } from '../datapath/engine.js';
import { PacketFlag } from '../datapath/batch-layout.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';
import { pmdStatsJson } from '../datapath/stats.js';
import { loadTopology } from '../model/load-topology.js';
import { createParser, type Parser } from '../packet/parse.js';
import { LinkType } from '../pcap/index.js';
import { vrouterHostsOf } from '../vrouter/topology.js';
import type { VrouterCountersJson } from '../vrouter/stats.js';
import { Fabric } from './fabric.js';
import type { HostOutput, HostRuntime, ModelOutcome } from './host-runtime.js';
import { InputMerge } from './merge-inputs.js';
import { OvsRuntime, type RuntimeOptions } from './ovs-runtime.js';
import { PortEdges } from './port-edges.js';
import { PortOutputs } from './port-outputs.js';
import { ReplayError } from './replay-error.js';
import { ifaceSuffix, type ReplayInput } from './replay-input.js';
import type { DropCount, PacketOrigin, PacketTrace, PortCounters, ReplayReport, TunnelUse } from './replay-report.js';
import { parseTraceFilter } from './trace-filter.js';
import { tunnelOf } from './tunnel-of.js';
import { VrouterRuntime } from './vrouter-runtime.js';

export interface ReplayOptions {
  topology: string;
  inputs: readonly ReplayInput[];
  outDir: string;
  /** PMD threads per host (default 1). */
  pmds?: number;
  /** false: no flow cache (every packet through the slow path). */
  cache?: boolean;
  /**
   * Every packet through the host model's own per-packet path instead of
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
  /**
   * `--trace FILTER` (src/replay/trace-filter.ts): the selected captured
   * packets are traced at every host they cross, as the host is at that
   * moment of the run (the packet's translation sees the same state).
   */
  trace?: string;
  /** Called with each trace as it is made (the report keeps the first MAX_TRACES). */
  onTrace?: (t: PacketTrace) => void;
}

/** The report keeps this many traces; more are counted in `tracesOmitted` (onTrace sees them all). */
const MAX_TRACES = 1000;

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
  /** Selected by --trace: traced at every host it (or a frame made from it) enters. */
  traced?: boolean;
}

/** Replays the inputs through the topology's hosts; writes DIR/HOST-PORT.pcap per transmitting port. */
export async function replay(opts: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  const topo = loadTopology(opts.topology);
  const batchSize = opts.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 4096) throw new RangeError(`expected an integer in [1, 4096] for batchSize, received ${batchSize}`);
  if (opts.inputs.length === 0) throw new ReplayError('ERR_USAGE_REPLAY_IN', 'no --in given: name at least one HOST:PORT=FILE.pcap');
  const traceFilter = opts.trace === undefined ? undefined : parseTraceFilter(opts.trace);
  // Host names first (OVS hosts, vRouter hosts and the controller's compute nodes), so --in errors come before any engine starts.
  const vrouters = topo.hosts.some((h) => h.kind === 'vrouter') || topo.vrouterController !== undefined ? vrouterHostsOf(topo) : [];
  const hostNames = [...topo.hosts.filter((h) => h.kind === 'ovs').map((h) => h.name), ...vrouters.map((v) => v.name)];
  for (const inp of opts.inputs)
    if (!hostNames.includes(inp.host)) throw new ReplayError('ERR_USAGE_REPLAY_HOST', `--in ${inp.host}:${inp.port}: no host "${inp.host}" in ${opts.topology} (hosts: ${hostNames.join(', ')})`);

  const pmds = opts.pmds ?? 1;
  const cache = opts.modelOnly ? false : (opts.cache ?? true);
  const ro: RuntimeOptions = { pmds, cache, modelOnly: opts.modelOnly === true, inProcess: opts.inProcess === true };
  const ctxs = new Map<string, HostRuntime>();
  const closeAll = (): Promise<unknown> => Promise.all([...ctxs.values()].map((c) => c.engine.close().catch(() => undefined)));
  let resolved: (ReplayInput & { dpPort: number })[];
  try {
    topo.hosts.forEach((h, hi) => {
      if (h.kind === 'ovs') ctxs.set(h.name, new OvsRuntime(h, `hosts[${hi}]`, ro));
    });
    for (const v of vrouters) ctxs.set(v.name, new VrouterRuntime(v, ro));
    resolved = opts.inputs.map((inp) => {
      const rt = ctxs.get(inp.host) as HostRuntime;
      const dpPort = rt.dpPort(inp.port);
      if (dpPort === undefined)
        throw new ReplayError('ERR_USAGE_REPLAY_HOST', `--in ${inp.host}:${inp.port}: host ${inp.host} has no ${rt.kind === 'vrouter' ? 'vif' : 'port'} "${inp.port}"${rt.kind === 'ovs' ? ' with a datapath port' : ' (vif names as vif --list shows them, e.g. tap-vm1)'}`);
      return { ...inp, dpPort };
    });
  } catch (err) {
    await closeAll();
    throw err;
  }
  let merge: InputMerge;
  try {
    try {
      mkdirSync(opts.outDir, { recursive: true });
    } catch (err) {
      throw new ReplayError('ERR_USAGE_REPLAY_OUT', `--out ${opts.outDir}: ${(err as Error).message}`);
    }
    merge = await InputMerge.open(resolved);
  } catch (err) {
    await closeAll();
    throw err;
  }
  for (const [i, r] of merge.readers.entries()) {
    const sel = resolved[i].iface;
    const bad = r.interfaces.find((f) => f.linkType !== LinkType.ETHERNET && (sel === undefined || (typeof sel === 'number' ? f.id === sel : f.name === sel)));
    if (bad) {
      await merge.close();
      await closeAll();
      throw new ReplayError('ERR_USAGE_REPLAY_LINKTYPE', `${resolved[i].file}: link type ${bad.linkType} is not Ethernet; replay injects Ethernet frames only`);
    }
  }
  const totalBytes = resolved.reduce((a, r) => a + statSync(r.file).size, 0);

  const fabric = Fabric.fromTopology(topo, [...ctxs.values()].flatMap((c) => c.fabricAttachments()));
  const edges = PortEdges.fromTopology(topo);
  // With at most one host on the underlay nothing is ever carried between hosts, so the next
  // batch may be handed to the engine before the outputs of the previous one are written.
  const pipelined = new Set([...ctxs.values()].flatMap((c) => c.fabricAttachments()).map((a) => a.host)).size <= 1 && !fabric.mayReturnToSender();
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
  const traces: PacketTrace[] = [];
  let tracesOmitted = 0;
  /** Traces `p` at its host now (call only when every earlier packet of that host has been translated). */
  const recordTrace = (p: Pending): void => {
    const ctx = ctxs.get(p.host) as HostRuntime;
    let text: string;
    try {
      text = ctx.trace(p.port, p.frame);
    } catch (err) {
      text = `(no trace: ${err instanceof Error ? err.message : String(err)})`;
    }
    const t: PacketTrace = { ...p.origin, host: p.host, port: p.port, text };
    opts.onTrace?.(t);
    if (traces.length < MAX_TRACES) traces.push(t);
    else tracesOmitted++;
  };

  /** Writes and carries one output frame; returns a Promise only when the caller must wait (a file being created or flushed). */
  const emit = (src: Pending, dpPort: number, sent: Uint8Array): Promise<void> | undefined => {
    const ctx = ctxs.get(src.host) as HostRuntime;
    const port = ctx.portName(dpPort);
    const edge = edges.egress(src.host, port, sent);
    for (const reason of edge.drops) countDrop(reason, src);
    let wait: Promise<void> | undefined;
    for (const frame of edge.frames) {
      portOf(src.host, port).tx++;
      const w = outputs.write(src.host, port, frame, src.tsSec, src.tsNsec);
      if (w) wait = wait ? wait.then(() => w) : w;
      if (!fabric.isFabricPort(src.host, port)) continue;
      const carried = fabric.carry(src.host, port, frame, src.tsSec * 1e9 + src.tsNsec);
      for (const reason of carried.drops) countDrop(reason, src);
      for (const to of carried.deliveries) {
        if (src.hops + 1 > MAX_HOPS) {
          countDrop('underlay_loop', src);
          continue;
        }
        if (to.host !== src.host) noteTunnel(src.host, to.host, to.frame);
        const target = ctxs.get(to.host) as HostRuntime;
        queue.push({
          host: to.host,
          port: to.port,
          dpPort: target.dpPort(to.port) ?? -1,
          frame: to.frame,
          tsSec: src.tsSec,
          tsNsec: src.tsNsec,
          origin: { file: src.origin.file, index: src.origin.index, viaUnderlay: true },
          hops: src.hops + 1,
          ...(src.traced ? { traced: true } : {}),
        });
      }
    }
    return wait;
  };

  const noteTunnel = (from: string, to: string, frame: Uint8Array): void => {
    const tun = tunnelOf(frame);
    const k = `${from}>${to}>${tun.type}>${tun.vni ?? tun.label ?? ''}`;
    const t = tunnels.get(k);
    if (t) t.packets++;
    else tunnels.set(k, { from, to, ...tun, packets: 1 });
  };

  interface Submitted {
    run: Pending[];
    ctx: HostRuntime;
    result: Promise<BatchResult>;
  }
  // Fallback positions and packet-outs by engine position: with a batch in flight, take() may return the next batch's too.
  const fallbacks = new Map<HostRuntime, Map<number, string>>();
  const packetOutsOf = new Map<HostRuntime, Map<number, HostOutput[]>>();
  /** Builds the batch and hands it to the host's engine. */
  const submit = (run: Pending[], fromCapture: boolean): Submitted => {
    const ctx = ctxs.get(run[0].host) as HostRuntime;
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
    const result = ctx.engine.process(batch);
    result.catch(() => undefined); // awaited by complete(); a failure surfaces there
    return { run, ctx, result };
  };
  /** Waits for a submitted batch and writes, carries and counts its outcome, packet by packet in input order. */
  const complete = async (s: Submitted): Promise<void> => {
    const { run, ctx } = s;
    const result = await s.result;
    let fallback = fallbacks.get(ctx);
    if (!fallback) fallbacks.set(ctx, (fallback = new Map()));
    for (const [k, v] of ctx.slow.take()) fallback.set(k, v);
    let packetOuts = packetOutsOf.get(ctx);
    if (!packetOuts) packetOutsOf.set(ctx, (packetOuts = new Map()));
    for (const [k, v] of ctx.takePacketOuts()) packetOuts.set(k, v);
    const byOrigin: HostOutput[][] = run.map(() => []);
    result.forEachOutput((port, bytes, origin) => {
      byOrigin[origin].push({ dpPort: port, frame: bytes.slice() });
    });
    for (let i = 0; i < run.length; i++) {
      const p = run[i];
      const why = fallback.get(result.firstPacket + i);
      if (why !== undefined) fallback.delete(result.firstPacket + i);
      if (why !== undefined) {
        counts.modelFallback++;
        fallbackReasons.set(why, (fallbackReasons.get(why) ?? 0) + 1);
        let r: ModelOutcome;
        try {
          r = ctx.modelReceive(p.port, p.dpPort, p.frame);
        } catch {
          countDrop('upcall_failed', p);
          continue;
        }
        ctx.settle(p.dpPort, p.frame, r.outputs, r.drop, true);
        if (r.drop !== undefined) countDrop(r.drop, p);
        else if (r.outputs.length === 0) countDrop(ctx.noOutputReason, p);
        for (const o of r.outputs) {
          const w = emit(p, o.dpPort, o.frame);
          if (w) await w;
        }
        continue;
      }
      // Frames the slow path sent itself (vRouter proxy ARP, ECMP over ICMP, ...) count as outputs.
      const po = packetOuts.get(result.firstPacket + i);
      if (po) packetOuts.delete(result.firstPacket + i);
      const outs = po ? [...byOrigin[i], ...po] : byOrigin[i];
      const dropCode = result.drops[i];
      const drop = dropCode !== 0 ? (DROP_REASONS[dropCode]?.[0] ?? `drop_${dropCode}`) : undefined;
      const sentItself = outs.length > byOrigin[i].length;
      ctx.settle(p.dpPort, p.frame, outs, sentItself ? undefined : drop, false);
      if (drop !== undefined && !sentItself) countDrop(drop, p);
      else if (outs.length === 0) countDrop(ctx.noOutputReason, p);
      for (const o of outs) {
        const w = emit(p, o.dpPort, o.frame);
        if (w) await w;
      }
    }
  };
  const runBatch = async (run: Pending[], fromCapture: boolean): Promise<void> => complete(submit(run, fromCapture));

  /** Replays the underlay queue until it is empty, in same-host runs. */
  const drainUnderlay = async (): Promise<void> => {
    while (queue.length > 0) {
      let n = 1;
      // a traced frame starts its own run, so its trace sees the state its translation sees
      while (n < queue.length && n < batchSize && queue[n].host === queue[0].host && !queue[n].traced) n++;
      const run = queue.splice(0, n);
      counts.underlay += run.length;
      if (run[0].traced) recordTrace(run[0]);
      await runBatch(run, false);
    }
  };

  let interrupted = false;
  let completed = false;
  try {
    let run: Pending[] = [];
    let inflight: Submitted | undefined;
    const flush = async (): Promise<void> => {
      if (run.length === 0) return;
      const r = run;
      run = [];
      if (pipelined) {
        const next = submit(r, true);
        if (inflight) await complete(inflight);
        inflight = next;
      } else {
        await runBatch(r, true);
        await drainUnderlay();
      }
      opts.onProgress?.({ packets: counts.captured, bytes: merge.bytes, totalBytes });
    };
    /** Runs everything read so far to the end (every earlier packet translated, outputs written, underlay drained). */
    const settleAll = async (): Promise<void> => {
      await flush();
      const s = inflight;
      inflight = undefined;
      if (s) await complete(s);
      await drainUnderlay();
    };
    for (;;) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const m = merge.tryNext() ?? (await merge.next());
      if (!m) break;
      const inp = resolved[m.input];
      const rec = m.record;
      counts.captured++;
      inputCounts[m.input]++;
      const captured: Pending = {
        host: inp.host,
        port: inp.port,
        dpPort: inp.dpPort,
        frame: rec.data, // a view the reader never reuses
        tsSec: rec.tsSec,
        tsNsec: rec.tsNsec,
        origin: { file: inp.file, index: rec.index },
        hops: 0,
      };
      const ctx = ctxs.get(inp.host) as HostRuntime;
      if (traceFilter?.matches({ input: inp.file, frame: rec.index + 1, bytes: rec.data, port: { name: inp.port, ofport: ctx.ofport(inp.port) } })) captured.traced = true;
      const edge = edges.ingress(inp.host, inp.port, captured.frame, rec.tsSec * 1e9 + rec.tsNsec);
      for (const reason of edge.drops) countDrop(reason, captured);
      for (const frame of edge.frames) {
        const p = frame === captured.frame ? captured : { ...captured, frame };
        if (p.traced) {
          await settleAll();
          recordTrace(p);
        } else if (run.length > 0 && (run[0].host !== captured.host || run.length >= batchSize)) await flush();
        run.push(p);
      }
    }
    await settleAll();
    completed = true;
  } finally {
    await merge.close();
    if (!completed) {
      await outputs.abort();
      await closeAll();
    }
  }
  const files = await outputs.close();
  const engines: ReplayReport['engines'] = [];
  const vrouterCounters: NonNullable<ReplayReport['vrouters']> = [];
  for (const [name, c] of ctxs) {
    const raw = await c.engine.stats();
    engines.push({ host: name, stats: pmdStatsJson(raw, DROP_REASONS), raw });
    await c.engine.close();
    if (c.kind === 'vrouter') vrouterCounters.push({ host: name, ...(c.counters() as VrouterCountersJson) });
  }
  return {
    topology: opts.topology,
    inputs: resolved.map((r, i) => ({ host: r.host, port: r.port, file: r.file + ifaceSuffix(r.iface), packets: inputCounts[i] })),
    outDir: opts.outDir,
    pmds,
    cache,
    interrupted,
    wallMs: Date.now() - started,
    packets: counts,
    fallbackReasons: [...fallbackReasons].map(([reason, packets]) => ({ reason, packets })),
    underlay: { ...fabric.counters },
    edges: { ...edges.counters, faults: { ...edges.counters.faults } },
    ports: [...ports.values()].sort((a, b) => a.host.localeCompare(b.host) || a.port.localeCompare(b.port)),
    drops: [...drops.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    tunnels: [...tunnels.values()],
    outputs: files,
    engines,
    ...(vrouterCounters.length > 0 ? { vrouters: vrouterCounters } : {}),
    ...(traceFilter ? { traces, tracesOmitted } : {}),
  };
}
