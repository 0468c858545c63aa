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
 *   run through the model's own per-packet path, counted. A classic pcap's
 *   packets that come next in the merged order are copied into the batch in
 *   bulk, natively (InputMerge.appendFollowing; a Run keeps their origins as
 *   one segment), and outputs to ports without an edge model are written
 *   in ranges straight from the engine's batches.
 * - A host that keeps per-packet state gets every packet's outcome
 *   (`settle`): a vRouter stamps its outer IPv4 IDs and counts vifs, drops
 *   and flows (the report's `vrouters[]`).
 * - Frames sent out of a host's underlay NIC are carried by the underlay
 *   switch to the host owning the destination IP and replayed there, before
 *   the next captured packet (so causality holds across hosts).
 * - With at most one host on the underlay (and no `linux` stack answering its
 *   own guests) nothing can come back from the fabric, so the next batch is handed to the engine while the previous
 *   one's outputs are written (pipelined, PMDs on worker threads); otherwise
 *   batches run one by one, with the PMDs on the replay's thread.
 * - `trace` selects packets whose trace is taken at every host they (or
 *   frames made from them) enter; a traced packet starts a new batch after
 *   everything before it has run, so its trace sees its translation's state.
 * - Output frames keep the timestamp of the captured packet they came from.
 * - `signal` stops the run between batches: the files written so far are
 *   closed complete and the report says `interrupted`.
 */
import { mkdirSync, statSync } from 'node:fs';

import type { BatchResult } from '../datapath/engine.js';
import type { PacketBatch } from '../datapath/batch.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';
import { pmdStatsJson } from '../datapath/stats.js';
import { loadTopology } from '../model/load-topology.js';
import { CaptureError } from '../errors.js';
import { CaptureCode, LinkType } from '../pcap/index.js';
import { vrouterHostsOf } from '../vrouter/topology.js';
import type { VrouterCountersJson } from '../vrouter/stats.js';
import { BulkWrites } from './bulk-writes.js';
import { Fabric } from './fabric.js';
import type { HostOutput, HostRuntime, ModelOutcome, RuntimeOptions } from './host-runtime.js';
import { InputMerge } from './merge-inputs.js';
import { OvsRuntime } from './ovs-runtime.js';
import { PortEdges } from './port-edges.js';
import { PortOutputs } from './port-outputs.js';
import { ReplayError } from './replay-error.js';
import { ifaceSuffix, type ReplayInput } from './replay-input.js';
import type { DropCount, PacketTrace, PortCounters, ReplayReport, TunnelUse } from './replay-report.js';
import { originOf, Run, RunBatches, type Pending, type Source } from './replay-run.js';
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
  /**
   * Packets per engine batch (default 2048, about 1 MiB of 64-byte frames
   * with their slots: a PMD task must be large, a worker round trip costs
   * tens of microseconds). Runs also end at MAX_RUN_BYTES of frames.
   */
  batchSize?: number;
  /**
   * Run PMDs on the calling thread. Default: only when batches run one by
   * one (more than one host on the underlay, or a `linux` stack), where a
   * worker round trip per batch would only add latency; otherwise on
   * worker threads, beside the replay loop.
   */
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

/**
 * Batches a pipelined replay keeps handed to the engine while it writes the
 * outputs of earlier ones (also the engine's `pipeline`): enough that a PMD
 * worker always has the next batch queued while this thread writes.
 */
const PIPELINE_DEPTH = 4;

/** Underlay frames may be carried this many times per captured packet (a loop guard). */
const MAX_HOPS = 8;

/** Where a host's datapath port sends: its name, counters, edge, fabric attachment. */
interface Sink {
  port: string;
  counters: PortCounters;
  /** False when the port's egress edge passes frames unchanged (PortEdges.passesEgress). */
  egressEdge: boolean;
  fabric: boolean;
  /** No edge, and nothing the fabric does but count: frames are written in bulk (BulkWrites). */
  bulk: boolean;
  /** Frames longer on the wire go one by one to a bulk sink (the fabric's link may drop them: longestFittingFrame). */
  bulkUpTo: number;
}

/** Packet i's length on the wire (a packet captured short keeps its own: the link's MTU judges that one). */
function onWire(b: PacketBatch, i: number): number {
  return Math.max(b.length[i], b.wireLength[i]);
}

/** Replays the inputs through the topology's hosts; writes DIR/HOST-PORT.pcap per transmitting port. */
export async function replay(opts: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  const topo = loadTopology(opts.topology);
  const batchSize = opts.batchSize ?? 2048;
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
  const ro: RuntimeOptions = { pmds, cache, modelOnly: opts.modelOnly === true, inProcess: opts.inProcess === true, pipeline: 1 };
  const ctxs = new Map<string, HostRuntime>();
  const closeAll = (): Promise<unknown> => Promise.all([...ctxs.values()].map((c) => c.close().catch(() => undefined)));
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
  // Otherwise each batch is waited for before the next one starts: a worker round trip per batch
  // would only add latency, so the PMDs run on this thread (same results; engines start on first use),
  // and a batch's flows and the slow path's version after it reach the PMDs with the next batch.
  if (!pipelined) ro.inProcess = true;
  else ro.pipeline = PIPELINE_DEPTH;
  const outputs = new PortOutputs(opts.outDir);
  const runBatches = new RunBatches(batchSize);
  const bulk = new BulkWrites(outputs);

  const ports = new Map<string, PortCounters>();
  const portOf = (host: string, port: string): PortCounters => {
    const k = `${host}:${port}`;
    let c = ports.get(k);
    if (!c) ports.set(k, (c = { host, port, rx: 0, tx: 0, drops: 0 }));
    return c;
  };
  const sourceOf = (ctx: HostRuntime, port: string, dpPort: number, file: string, viaUnderlay: boolean): Source => ({
    host: ctx.name,
    port,
    dpPort,
    file,
    viaUnderlay,
    ctx,
    counters: portOf(ctx.name, port),
    ingressEdge: !edges.passesIngress(ctx.name, port),
  });
  const inputSources = resolved.map((r) => sourceOf(ctxs.get(r.host) as HostRuntime, r.port, r.dpPort, r.file, false));
  /** Sources of underlay deliveries, by host, port and the capture the frames came from. */
  const underlaySources = new Map<string, Source>();
  const underlaySource = (ctx: HostRuntime, port: string, file: string): Source => {
    const k = `${ctx.name}\n${port}\n${file}`;
    let s = underlaySources.get(k);
    if (!s) underlaySources.set(k, (s = sourceOf(ctx, port, ctx.dpPort(port) ?? -1, file, true)));
    return s;
  };
  /** Sinks by host runtime and datapath port. */
  const sinks = new Map<HostRuntime, Map<number, Sink>>();
  const sinkOf = (ctx: HostRuntime, dpPort: number): Sink => {
    let byPort = sinks.get(ctx);
    if (!byPort) sinks.set(ctx, (byPort = new Map()));
    let s = byPort.get(dpPort);
    if (!s) {
      const port = ctx.portName(dpPort);
      const egressEdge = !edges.passesEgress(ctx.name, port);
      const onFabric = fabric.isFabricPort(ctx.name, port);
      const bulk = !egressEdge && (!onFabric || fabric.carriesNothingFrom(ctx.name));
      const bulkUpTo = onFabric ? fabric.longestFittingFrame(ctx.name) : Infinity;
      byPort.set(dpPort, (s = { port, counters: portOf(ctx.name, port), egressEdge, fabric: onFabric, bulk, bulkUpTo }));
    }
    return s;
  };
  const drops = new Map<string, DropCount>();
  /** Counts a drop of a packet from `src` (captured packet `index` of src.file, or a frame made from it). */
  const countDrop = (reason: string, src: Source, index: number): void => {
    src.counters.drops++;
    const d = drops.get(reason);
    if (d) d.count++;
    else {
      const text = DROP_REASONS.find((r) => r[0] === reason)?.[1] ?? reason;
      drops.set(reason, { reason, text, count: 1, example: { ...originOf(src, index), host: src.host, port: src.port } });
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
    let text: string;
    try {
      text = p.src.ctx.trace(p.src.port, p.frame);
    } catch (err) {
      text = `(no trace: ${err instanceof Error ? err.message : String(err)})`;
    }
    const t: PacketTrace = { ...originOf(p.src, p.index), host: p.src.host, port: p.src.port, text };
    opts.onTrace?.(t);
    if (traces.length < MAX_TRACES) traces.push(t);
    else tracesOmitted++;
  };

  /**
   * Writes and carries one frame the host of packet i of `run` sent out of
   * `dpPort` (`sent` is read before this returns); returns a Promise only
   * when the caller must wait (a file being created or flushed).
   */
  const emit = (run: Run, i: number, dpPort: number, sent: Uint8Array, wireLength = sent.length): Promise<void> | undefined => {
    const sink = sinkOf(run.ctx, dpPort);
    if (!sink.egressEdge) return send(run, i, sink, sent, wireLength);
    const edge = edges.egress(run.ctx.name, sink.port, sent);
    for (const reason of edge.drops) countDrop(reason, run.source(i), run.index(i));
    let wait: Promise<void> | undefined;
    for (const frame of edge.frames) {
      const w = send(run, i, sink, frame, frame === sent ? wireLength : frame.length);
      if (w) wait = wait ? wait.then(() => w) : w;
    }
    return wait;
  };
  /** Writes one frame to its port's file and hands it to the fabric when the port is on the underlay. */
  const send = (run: Run, i: number, sink: Sink, frame: Uint8Array, wireLength: number): Promise<void> | undefined => {
    const host = run.ctx.name;
    const tsSec = run.tsSec[i];
    const tsNsec = run.tsNsec[i];
    sink.counters.tx++;
    const wait = outputs.write(host, sink.port, frame, tsSec, tsNsec, Math.max(wireLength, frame.length));
    if (!sink.fabric) return wait;
    const carried = fabric.carry(host, sink.port, frame, tsSec * 1e9 + tsNsec, Math.max(wireLength, frame.length));
    if (carried.drops.length === 0 && carried.deliveries.length === 0) return wait;
    const src = run.source(i);
    const index = run.index(i);
    const hops = run.hops(i) + 1;
    for (const reason of carried.drops) countDrop(reason, src, index);
    for (const to of carried.deliveries) {
      if (hops > MAX_HOPS) {
        countDrop('underlay_loop', src, index);
        continue;
      }
      if (to.host !== host) noteTunnel(host, to.host, to.frame);
      const target = ctxs.get(to.host) as HostRuntime;
      queue.push({
        src: underlaySource(target, to.port, src.file),
        // `frame` may be a view into an engine batch: the queue keeps its own bytes
        frame: to.frame === frame ? frame.slice() : to.frame,
        index,
        tsSec,
        tsNsec,
        wireLength: to.wireLength,
        hops,
        traced: run.traced(i),
      });
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
    run: Run;
    result: Promise<BatchResult>;
  }
  // Fallback positions and packet-outs by engine position: with a batch in flight, take() may return the next batch's too.
  const fallbacks = new Map<HostRuntime, Map<number, string>>();
  const packetOutsOf = new Map<HostRuntime, Map<number, HostOutput[]>>();
  /** Hands a run's batch to its host's engine. */
  const submit = (run: Run): Submitted => {
    const result = run.ctx.engine.process(run.seal());
    result.catch(() => undefined); // awaited by complete(); a failure surfaces there
    return { run, result };
  };
  /** Runs packet i of `run` through its host model's per-packet path (the engine left it to the model). */
  const viaModel = async (run: Run, i: number, why: string): Promise<void> => {
    const ctx = run.ctx;
    const src = run.source(i);
    const index = run.index(i);
    const frame = run.frame(i);
    counts.modelFallback++;
    fallbackReasons.set(why, (fallbackReasons.get(why) ?? 0) + 1);
    let r: ModelOutcome;
    try {
      r = ctx.modelReceive(src.port, src.dpPort, frame);
    } catch {
      countDrop('upcall_failed', src, index);
      return;
    }
    ctx.settle(src.dpPort, frame, r.outputs, r.drop, true);
    if (r.drop !== undefined) countDrop(r.drop, src, index);
    else if (r.outputs.length === 0) countDrop(ctx.noOutputReason, src, index);
    for (const o of r.outputs) {
      const w = emit(run, i, o.dpPort, o.frame);
      if (w) await w;
    }
  };
  /** The name of an engine drop code (0: not dropped). */
  const dropName = (code: number): string | undefined => (code === 0 ? undefined : (DROP_REASONS[code]?.[0] ?? `drop_${code}`));
  /** Counts packet `index` of `src` as dropped when the engine dropped it, or when it sent nothing. */
  const countOutcome = (ctx: HostRuntime, src: Source, index: number, dropCode: number, sent: boolean): void => {
    const drop = dropName(dropCode);
    if (drop !== undefined) countDrop(drop, src, index);
    else if (!sent) countDrop(ctx.noOutputReason, src, index);
  };
  /**
   * Writes outputs [from, to) of `result` (of the packets of `run`) in
   * order: consecutive ones to a bulk port with one call, the others frame
   * by frame (emit: edges, fabric; frames a bulk port's link may refuse too).
   */
  const writeOutputs = async (run: Run, result: BatchResult, from: number, to: number): Promise<void> => {
    const { chunks, outChunk, outIndex, outOrigin } = result;
    for (let k = from; k < to; ) {
      const b = chunks[outChunk[k]];
      const at = outIndex[k];
      const port = b.next[at];
      const sink = sinkOf(run.ctx, port);
      if (!sink.bulk || onWire(b, at) > sink.bulkUpTo) {
        await bulk.flush();
        const w = emit(run, outOrigin[k], port, b.packet(at), b.wireLength[at]);
        if (w) await w;
        k++;
        continue;
      }
      const upTo = sink.bulkUpTo;
      let end = k + 1;
      while (end < to && chunks[outChunk[end]].next[outIndex[end]] === port && onWire(chunks[outChunk[end]], outIndex[end]) <= upTo) end++;
      sink.counters.tx += end - k;
      if (sink.fabric) fabric.countUncarried(end - k);
      const w = bulk.add(run.ctx.name, sink.port, chunks, outChunk, outIndex, k, end);
      if (w) await w;
      k = end;
    }
  };
  /**
   * Waits for a submitted batch and writes, carries and counts its outcome
   * in input order (a packet's outputs are consecutive in the result, in the
   * order the host sent them). Packets the host handles itself (model
   * fallbacks, frames its slow path sent, hosts that settle every packet)
   * go one by one; a batch without any goes as a whole.
   */
  const complete = async (s: Submitted): Promise<void> => {
    const { run } = s;
    const ctx = run.ctx;
    const result = await s.result;
    let fallback = fallbacks.get(ctx);
    if (!fallback) fallbacks.set(ctx, (fallback = new Map()));
    for (const [k, v] of ctx.slow.take()) fallback.set(k, v);
    let packetOuts = packetOutsOf.get(ctx);
    if (!packetOuts) packetOutsOf.set(ctx, (packetOuts = new Map()));
    for (const [k, v] of ctx.takePacketOuts()) packetOuts.set(k, v);
    const { chunks, outChunk, outIndex, outOrigin, drops } = result;
    const outputCount = result.outputCount;
    if (fallback.size === 0 && packetOuts.size === 0 && !ctx.settles) {
      let j = 0;
      for (const seg of run.segments) {
        for (let i = seg.from; i < seg.from + seg.count; i++) {
          const sent = j < outputCount && outOrigin[j] === i;
          while (j < outputCount && outOrigin[j] === i) j++;
          if (drops[i] !== 0 || !sent) countOutcome(ctx, seg.src, seg.firstIndex + (i - seg.from), drops[i], sent);
        }
      }
      await writeOutputs(run, result, 0, outputCount);
    } else {
      const output = (k: number): HostOutput => {
        const b = chunks[outChunk[k]];
        const at = outIndex[k];
        return { dpPort: b.next[at], frame: b.packet(at), wireLength: b.wireLength[at] };
      };
      let j = 0;
      for (let i = 0; i < run.count; i++) {
        const first = j;
        while (j < outputCount && outOrigin[j] === i) j++;
        const pos = result.firstPacket + i;
        const why = fallback.get(pos);
        if (why !== undefined) {
          fallback.delete(pos);
          await bulk.flush();
          await viaModel(run, i, why);
          continue;
        }
        const src = run.source(i);
        // Frames the slow path sent itself (vRouter proxy ARP, ECMP over ICMP, ...) count as outputs.
        const po = packetOuts.get(pos);
        if (po) packetOuts.delete(pos);
        if (!ctx.settles && !po) {
          countOutcome(ctx, src, run.index(i), drops[i], j > first);
          await writeOutputs(run, result, first, j);
          continue;
        }
        await bulk.flush();
        const outs: HostOutput[] = [];
        for (let k = first; k < j; k++) outs.push(output(k));
        if (po) outs.push(...po);
        const sentItself = po !== undefined && po.length > 0;
        const drop = dropName(drops[i]);
        ctx.settle(src.dpPort, run.frame(i), outs, sentItself ? undefined : drop, false);
        countOutcome(ctx, src, run.index(i), sentItself ? 0 : drops[i], outs.length > 0);
        for (const o of outs) {
          const w = emit(run, i, o.dpPort, o.frame, o.wireLength);
          if (w) await w;
        }
      }
    }
    await bulk.flush();
    ctx.engine.recycle(runBatches.give(chunks));
  };

  /** Replays the underlay queue until it is empty, in same-host runs. */
  const drainUnderlay = async (): Promise<void> => {
    while (queue.length > 0) {
      const head = queue[0];
      // a traced frame starts its own run, so its trace sees the state its translation sees
      if (head.traced) recordTrace(head);
      let n = 1;
      while (n < queue.length && n < batchSize && queue[n].src.ctx === head.src.ctx && !queue[n].traced) n++;
      const run = new Run(head.src.ctx, runBatches, n, head.frame.length);
      for (const p of queue.splice(0, n)) run.add(p);
      counts.underlay += n;
      await complete(submit(run));
    }
  };

  let interrupted = false;
  let completed = false;
  try {
    let run: Run | undefined;
    /** Batches handed to the engine whose outcome is not written yet (pipelined: up to PIPELINE_DEPTH). */
    const inflight: Submitted[] = [];
    /** Packets in each host's last captured run: its next run starts with a batch that size. */
    const lastRunLength = new Map<HostRuntime, number>();
    const flush = async (): Promise<void> => {
      if (!run) return;
      const r = run;
      run = undefined;
      lastRunLength.set(r.ctx, r.count);
      if (pipelined) {
        inflight.push(submit(r));
        if (inflight.length > PIPELINE_DEPTH) await complete(inflight.shift() as Submitted);
      } else {
        await complete(submit(r));
        await drainUnderlay();
      }
      opts.onProgress?.({ packets: counts.captured, bytes: merge.bytes, totalBytes });
    };
    /** Runs everything read so far to the end (every earlier packet translated, outputs written, underlay drained). */
    const settleAll = async (): Promise<void> => {
      await flush();
      for (let s = inflight.shift(); s; s = inflight.shift()) await complete(s);
      await drainUnderlay();
    };
    /** Adds a captured packet to the run of its host (after the earlier packets, when it is traced). */
    const enter = async (p: Pending): Promise<void> => {
      if (p.traced) {
        await settleAll();
        recordTrace(p);
      } else if (run && run.ctx !== p.src.ctx) await flush();
      if (run?.add(p)) return;
      await flush();
      run = new Run(p.src.ctx, runBatches, lastRunLength.get(p.src.ctx) ?? 1, p.frame.length);
      run.add(p);
    };
    for (;;) {
      if (opts.signal?.aborted) {
        interrupted = true;
        break;
      }
      const m = merge.tryNext() ?? (await merge.next());
      if (!m) break;
      const src = inputSources[m.input];
      const rec = m.record;
      counts.captured++;
      inputCounts[m.input]++;
      const traced =
        traceFilter?.matches({ input: src.file, frame: rec.index + 1, bytes: rec.data, port: { name: src.port, ofport: src.ctx.ofport(src.port) } }) === true;
      // rec.data is a view the reader never reuses
      if (rec.tsSec < 0 || rec.tsSec > 0xffffffff)
        throw new CaptureError(CaptureCode.TIMESTAMP, src.file, rec.byteOffset, rec.index, `timestamp ${rec.tsSec} s is outside what the pcap outputs can hold (0 to 2^32 - 1 s since 1970)`);
      const captured: Pending = { src, frame: rec.data, index: rec.index, tsSec: rec.tsSec, tsNsec: rec.tsNsec, wireLength: rec.wireLength, hops: 0, traced };
      if (!src.ingressEdge) {
        if (traced || run?.ctx !== src.ctx || !run.add(captured)) await enter(captured);
        // The packets that follow in this capture while it stays first in the merge: straight into the same batch.
        while (traceFilter === undefined && run?.ctx === src.ctx && run.room > 0) {
          if (run.batchFull) run.grow(0);
          const bulk = merge.appendFollowing(m.input, run.batch, src.dpPort, Math.min(run.room, run.slots));
          if (!bulk || bulk.packets === 0) break;
          run.addBulk(src, bulk);
          counts.captured += bulk.packets;
          inputCounts[m.input] += bulk.packets;
          if (!run.batchFull) break; // stopped at another input's packet, a read or a record to look at
        }
        continue;
      }
      const edge = edges.ingress(src.host, src.port, rec.data, rec.tsSec * 1e9 + rec.tsNsec);
      for (const reason of edge.drops) countDrop(reason, src, rec.index);
      for (const frame of edge.frames) await enter(frame === captured.frame ? captured : { ...captured, frame, wireLength: frame.length });
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
    // the PMDs' parser is the one that judges frames as they enter
    for (const p of raw.pmds) counts.malformed += p.malformed;
    await c.close();
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
