/**
 * The datapath engine: receive-side RSS sharding onto PMDs, the upcall round
 * trip through the slow path, and the deterministic merge of outputs.
 *
 * Per batch k:
 *  1. With more than one PMD, every packet is hashed (Toeplitz over the
 *     port's inner or outer headers, straight from the bytes where the
 *     parser's short path applies) and goes to the PMD owning its rx queue
 *     (RETA -> rx queue -> PMD): the PMD with the most packets gets the input
 *     batch itself with a shard filter, the others copies of their packets.
 *     With one PMD the batch itself is handed over (no copy). Packets per rx
 *     queue are counted here (the load of `cycles` / `group` assignment).
 *  2. Every PMD gets one task per batch (so installs reach all of them at the
 *     same point) and classifies its packets.
 *  3. Misses of all PMDs are translated on this thread in input order, after
 *     batch k-1's; answers go back to the PMDs, which execute their whole
 *     batch in input order. A PMD executes batches in batch order: while an
 *     earlier batch waits for answers, later ones are only classified.
 *  4. Outputs are merged by input position: the result is the same for any
 *     number of PMDs (per-port and per-flow order included).
 * Flows installed from batch k's upcalls reach the PMDs with batch k+W (W =
 * `pipeline`, the number of batches in flight), whatever the timing: cache
 * contents, hit counts and upcall counts are deterministic too. Until then
 * the upcall handler answers the misses they cover without translating.
 *
 * A PMD worker that dies fails the batch and every later call with
 * ERR_VS_PMD_CRASHED (never a hang). A slow path that throws drops the packet
 * as upcall_failed and the run goes on.
 */
import { PacketBatch } from './batch.js';
import { DROP_REASONS } from './drop-reasons.js';
import { native, type NativeDatapathStats, type NativeFlowDump } from './native.js';
import { createPmd, type PmdRunner } from './pmd-pool.js';
import { assignRxqs, defaultReta, RETA_SIZE, type RssLayer, type RxqAssign } from './rss.js';
import type { InstallSet, OutputChunk, PmdResult, RecircPending } from './worker/protocol.js';
import { NativeError } from '../errors.js';
import { answerSet, UpcallHandler, type SlowPath, type Upcall, type UpcallAnswer, type UpcallStats } from '../xlate/upcall.js';

export interface EngineOptions {
  slowPath: SlowPath;
  /** PMD threads (default 1). */
  pmds?: number;
  /** Run the PMDs on the calling thread instead of worker threads (default false). */
  inProcess?: boolean;
  /** false: no flow cache, every packet goes through the slow path (--no-cache). */
  cache?: boolean;
  /** Receive queues (default: one per PMD). */
  rxqs?: number;
  /** other_config:pmd-rxq-assign (default cycles, as OVS). */
  rxqAssign?: RxqAssign;
  /**
   * Measured load of each rx queue (e.g. `rxqStats()` packets of an earlier
   * run) for the first assignment; without it every queue counts as 0.
   */
  rxqLoad?: readonly number[];
  /**
   * Reassign rx queues every N batches from the packets each queue received
   * in the last N batches (as OVS reassigns from its last intervals' cycles;
   * counted on the receive side, so the assignment is deterministic). 0
   * (default): never. With several PMDs a queue that moves changes PMD (its
   * flows' EMC entries and per-PMD tunnel IP ID counters stay behind).
   */
  rebalanceInterval?: number;
  /** Headers the RSS hash covers (default outer). */
  rssLayer?: RssLayer;
  /** Per-port RSS setting (in_port -> layer), overriding rssLayer for those ports. */
  rssLayerByPort?: Readonly<Record<number, RssLayer>>;
  /** pcap link type of the input (default 1, Ethernet). */
  linkType?: number;
  maxFlows?: number;
  emcEntries?: number;
  /** Batches in flight (default 2). */
  pipeline?: number;
  /** Test hook: PMD `pmd`'s worker exits when it receives batch `batch`. */
  crashPmdAtBatch?: { pmd: number; batch: number };
}

/** The outcome of one input batch. */
export class BatchResult {
  /**
   * Output packets in merged order: chunk index, packet index in the chunk,
   * input position. A chunk is an output batch or an input batch whose
   * packets were executed in place: not every packet of a chunk is an
   * output, so read them through outIndex / forEachOutput.
   */
  readonly chunks: PacketBatch[];
  readonly outChunk: Uint32Array;
  readonly outIndex: Uint32Array;
  readonly outOrigin: Uint32Array;

  constructor(
    /** Batch sequence number (0-based). */
    readonly seq: number,
    /** Engine-wide position of the batch's first packet. */
    readonly firstPacket: number,
    /** Drop reason of each input packet (0 = not dropped). */
    readonly drops: Uint16Array,
    chunks: PacketBatch[],
    outChunk: Uint32Array,
    outIndex: Uint32Array,
    outOrigin: Uint32Array,
    /** userspace() cookies. */
    readonly cookies: Uint32Array,
  ) {
    this.chunks = chunks;
    this.outChunk = outChunk;
    this.outIndex = outIndex;
    this.outOrigin = outOrigin;
  }

  get outputCount(): number {
    return this.outChunk.length;
  }

  /** Visits outputs in merged order; `bytes` is a view valid during the call. */
  forEachOutput(fn: (port: number, bytes: Uint8Array, origin: number, batch: PacketBatch, index: number) => void): void {
    for (let j = 0; j < this.outChunk.length; j++) {
      const b = this.chunks[this.outChunk[j]];
      const i = this.outIndex[j];
      fn(b.next[i], b.packet(i), this.outOrigin[j], b, i);
    }
  }

  /** Output packets per port (copies), in order. */
  byPort(): Map<number, Uint8Array[]> {
    const m = new Map<number, Uint8Array[]>();
    this.forEachOutput((port, bytes) => {
      let list = m.get(port);
      if (!list) m.set(port, (list = []));
      list.push(bytes.slice());
    });
    return m;
  }
}

export interface PmdStats extends NativeDatapathStats {
  pmd: number;
  /** Misses translated by the slow path, with a valid answer or not. */
  upcallsOk: number;
  upcallsFailed: number;
  /** Misses answered from a megaflow translated in a recent batch that had not reached the PMDs yet. */
  upcallsReused: number;
  busyNs: number;
  tasks: number;
}

/** One rx queue, as `ovs-appctl dpif-netdev/pmd-rxq-show` lists it. */
export interface RxqStat {
  queue: number;
  pmd: number;
  /** Packets received in the current interval (since the last assignment). */
  packets: number;
  /** Packets of the interval the current assignment was computed from (its load). */
  load: number;
  total: number;
}

export interface EngineStats {
  wallNs: number;
  packets: number;
  batches: number;
  pmds: PmdStats[];
  upcall: UpcallStats;
  /** Drops by stable reason name over every packet of the run. */
  drops: Record<string, number>;
}

interface Shard {
  pmd: number;
  buffer: ArrayBuffer | null;
  /** Input position of each packet of the shard; null = identity (the input batch itself). */
  index: Uint32Array | null;
  /** The input batch shared with other PMDs: this PMD's packets (input positions), sent as a shard filter. */
  own?: Uint32Array;
}

const EMPTY_U32 = new Uint32Array(0);
const NO_ANSWERS = { index: EMPTY_U32, offsets: new Uint32Array(1), bytes: new Uint8Array(0) };

export class DatapathEngine {
  private readonly opts: Required<Omit<EngineOptions, 'crashPmdAtBatch' | 'slowPath' | 'rxqLoad' | 'rssLayerByPort'>>;
  /** rssLayerByPort as (port, layer) pairs; null when none. */
  private readonly rssPorts: Uint32Array | null;
  private readonly pmds: PmdRunner[];
  private readonly handler: UpcallHandler;
  /** Indirection table entry -> PMD (the RETA composed with the rx queue assignment). */
  private readonly table = new Uint8Array(RETA_SIZE);
  private readonly reta: Uint16Array;
  private readonly pmdOfRxq: Uint8Array;
  /** Packets per rx queue: this interval, the interval the assignment used, and in all. */
  private readonly rxqPackets: Float64Array;
  private readonly rxqLoad: Float64Array;
  private readonly rxqTotal: Float64Array;
  /** Buffers handed back by recycle(), for the receive side's shard batches. */
  private spares: ArrayBuffer[] = [];
  /** Batch sequence from which a requested rebalance applies. */
  private rebalanceAt = -1;
  private seq = 0;
  private packets = 0;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly dispatched = new Map<number, Promise<void>>();
  private readonly translated = new Map<number, Promise<void>>();
  /**
   * The slow path's version once batch k's upcalls were translated: what the
   * PMDs get with batch k + W, with batch k's installs (at dispatch the
   * slow path may be further on or not, depending on timing).
   */
  private readonly versionAfter = new Map<number, number>();
  private readonly startVersion: number;
  private installLog: { batch: number; set: InstallSet }[] = [];
  private deliveredUpTo = -1;
  private failure: Error | undefined;
  private readonly perPmdUpcalls: Record<UpcallAnswer['outcome'], number>[];
  private readonly drops = new Float64Array(DROP_REASONS.length);
  private readonly started = process.hrtime.bigint();

  private constructor(readonly options: EngineOptions) {
    const pmds = options.pmds ?? 1;
    if (!Number.isInteger(pmds) || pmds < 1 || pmds > 64) throw new RangeError(`expected an integer in [1, 64] for pmds, received ${pmds}`);
    this.opts = {
      pmds,
      inProcess: options.inProcess ?? false,
      cache: options.cache ?? true,
      rxqs: options.rxqs ?? pmds,
      rxqAssign: options.rxqAssign ?? 'cycles',
      rssLayer: options.rssLayer ?? 'outer',
      linkType: options.linkType ?? 1,
      maxFlows: options.maxFlows ?? 65536,
      emcEntries: options.emcEntries ?? 8192,
      pipeline: options.pipeline ?? 2,
      rebalanceInterval: options.rebalanceInterval ?? 0,
    };
    if (!Number.isInteger(this.opts.pipeline) || this.opts.pipeline < 1) throw new RangeError(`expected a positive integer for pipeline, received ${this.opts.pipeline}`);
    const ri = this.opts.rebalanceInterval;
    if (!Number.isInteger(ri) || ri < 0) throw new RangeError(`expected a non-negative integer for rebalanceInterval, received ${ri}`);
    this.reta = defaultReta(this.opts.rxqs);
    this.pmdOfRxq = new Uint8Array(this.opts.rxqs);
    this.rxqPackets = new Float64Array(this.opts.rxqs);
    this.rxqTotal = new Float64Array(this.opts.rxqs);
    this.rxqLoad = new Float64Array(this.opts.rxqs);
    const load = options.rxqLoad;
    if (load !== undefined) {
      if (load.length !== this.opts.rxqs || load.some((v) => !(Number.isFinite(v) && v >= 0)))
        throw new RangeError(`expected ${this.opts.rxqs} non-negative numbers for rxqLoad, received ${JSON.stringify(load)}`);
      this.rxqLoad.set(load);
    }
    this.assign();
    const byPort = Object.entries(options.rssLayerByPort ?? {});
    for (const [port, layer] of byPort) {
      if (!/^\d+$/.test(port) || Number(port) > 0xffffffff || (layer !== 'inner' && layer !== 'outer'))
        throw new RangeError(`expected port numbers mapped to 'inner' or 'outer' for rssLayerByPort, received ${port}: ${String(layer)}`);
    }
    this.rssPorts = byPort.length ? Uint32Array.from(byPort.flatMap(([port, layer]) => [Number(port), layer === 'inner' ? 1 : 0])) : null;
    this.handler = new UpcallHandler(options.slowPath, this.opts.cache);
    this.startVersion = options.slowPath.version;
    this.perPmdUpcalls = Array.from({ length: pmds }, () => ({ ok: 0, failed: 0, reused: 0 }));
    this.pmds = Array.from({ length: pmds }, (_, pmd) =>
      createPmd(
        {
          pmd,
          datapath: {
            linkType: this.opts.linkType,
            cache: this.opts.cache,
            maxFlows: this.opts.maxFlows,
            emcEntries: this.opts.emcEntries,
            rssLayer: this.opts.rssLayer === 'inner' ? 1 : 0,
            ...(this.rssPorts ? { rssPorts: this.rssPorts } : {}),
            // the modelled datapath's rule for packets failing the parser's checks
            ...(options.slowPath.malformed ? { malformed: options.slowPath.malformed } : {}),
          },
          ...(options.crashPmdAtBatch?.pmd === pmd ? { crashAtBatch: options.crashPmdAtBatch.batch } : {}),
        },
        this.opts.inProcess,
      ),
    );
  }

  static create(options: EngineOptions): DatapathEngine {
    return new DatapathEngine(options);
  }

  /** Assigns rx queues to PMDs from rxqLoad (pmd-rxq-assign) and rebuilds the table. */
  private assign(): void {
    const refs = Array.from(this.rxqLoad, (load, queue) => ({ port: 0, queue, load }));
    assignRxqs(refs, this.opts.pmds, this.opts.rxqAssign).forEach((qs, p) => qs.forEach((q) => (this.pmdOfRxq[q.queue] = p)));
    for (let i = 0; i < RETA_SIZE; i++) this.table[i] = this.pmdOfRxq[this.reta[i]];
  }

  /** Reassigns from the packets each queue received since the last assignment. */
  private rebalanceNow(): void {
    this.rxqLoad.set(this.rxqPackets);
    this.rxqPackets.fill(0);
    this.assign();
  }

  /**
   * Reassigns rx queues from the load measured since the last assignment
   * (`ovs-appctl dpif-netdev/pmd-rxq-rebalance`), from the next batch passed
   * to process() on: batches already passed keep their PMDs.
   */
  rebalance(): void {
    this.rebalanceAt = this.seq;
  }

  /**
   * Rx queues: PMD, packets this interval, the load the assignment used and
   * the total. Counted on the receive side, which runs with more than one PMD
   * (with one PMD every queue is on it and nothing is counted).
   */
  rxqStats(): RxqStat[] {
    return Array.from(this.pmdOfRxq, (pmd, queue) => ({
      queue,
      pmd,
      packets: this.rxqPackets[queue],
      load: this.rxqLoad[queue],
      total: this.rxqTotal[queue],
    }));
  }

  /**
   * Hands back batches of finished results the caller no longer reads (nor
   * keeps views of): with more than one PMD, the receive side copies shards
   * into them instead of into fresh buffers (whose page faults, zeroing and
   * collection cost about as much as the copy). Keeps a few; ignores the rest.
   */
  recycle(batches: readonly PacketBatch[]): void {
    if (this.pmds.length === 1) return;
    for (const b of batches) {
      if (this.spares.length >= 2 * this.pmds.length) return;
      if (b.buffer.byteLength > 0 && !this.spares.includes(b.buffer)) this.spares.push(b.buffer);
    }
  }

  /** Translation listener (explain / trace). */
  set onTranslate(fn: UpcallHandler['onTranslate']) {
    this.handler.onTranslate = fn;
  }

  /**
   * Processes one batch. The engine takes the batch's buffer (it moves to a
   * worker); do not use `batch` afterwards. Up to `pipeline` calls may be in
   * flight; results are the same whatever the timing.
   */
  async process(batch: PacketBatch): Promise<BatchResult> {
    if (this.failure) throw this.failure;
    const seq = this.seq++;
    const firstPacket = this.packets;
    this.packets += batch.count;
    const W = this.opts.pipeline;
    const order = {
      prevDispatched: this.dispatched.get(seq - 1) ?? DONE,
      gate: this.translated.get(seq - W) ?? DONE,
      prevTranslated: this.translated.get(seq - 1) ?? DONE,
      dispatched: deferred(),
      translated: deferred(),
    };
    this.dispatched.set(seq, order.dispatched.promise);
    this.translated.set(seq, order.translated.promise);
    this.dispatched.delete(seq - W - 2);
    this.translated.delete(seq - W - 2);
    this.versionAfter.delete(seq - W - 2);
    const run = this.runBatch(seq, firstPacket, batch, order);
    this.inFlight.add(run);
    try {
      return await run;
    } catch (err) {
      this.failure ??= err instanceof Error ? err : new Error(String(err));
      throw this.failure;
    } finally {
      this.inFlight.delete(run);
    }
  }

  /**
   * Receive side (batches in sequence order): RSS hash, rx queue, PMD. Runs
   * a due rebalance first, and counts packets per rx queue.
   */
  private shard(seq: number, batch: PacketBatch): { shards: Shard[]; invalid: Uint32Array } {
    const ri = this.opts.rebalanceInterval;
    if ((ri > 0 && seq > 0 && seq % ri === 0) || (this.rebalanceAt >= 0 && seq >= this.rebalanceAt)) {
      this.rebalanceAt = -1;
      this.rebalanceNow();
    }
    if (this.pmds.length === 1) return { shards: [{ pmd: 0, buffer: batch.buffer, index: null }], invalid: EMPTY_U32 };
    // The PMD with the most packets works on the input batch itself (filtered
    // by the hash); only the other PMDs' packets are copied.
    const r = native().rssShard(batch.buffer, this.opts.linkType, this.opts.rssLayer === 'inner' ? 1 : 0, this.table, this.pmds.length, true, this.rssPorts, this.spares);
    if (r.spares.length > 0) {
      const used = new Set(r.spares);
      this.spares = this.spares.filter((_, k) => !used.has(k));
    }
    for (let b = 0; b < RETA_SIZE; b++) {
      const n = r.buckets[b];
      if (n) {
        this.rxqPackets[this.reta[b]] += n;
        this.rxqTotal[this.reta[b]] += n;
      }
    }
    return {
      shards: this.pmds.map((_, p) =>
        p === r.kept ? { pmd: p, buffer: batch.buffer, index: null, own: r.index[p] } : { pmd: p, buffer: r.buffers[p], index: r.index[p] },
      ),
      invalid: r.invalid,
    };
  }

  private installsFor(seq: number): InstallSet[] {
    const upTo = seq - this.opts.pipeline;
    if (upTo <= this.deliveredUpTo) return [];
    const sets = this.installLog.filter((e) => e.batch > this.deliveredUpTo && e.batch <= upTo).map((e) => ({ ...e.set, epoch: e.batch + 1 }));
    this.installLog = this.installLog.filter((e) => e.batch > upTo);
    this.deliveredUpTo = upTo;
    return sets;
  }

  private async runBatch(seq: number, firstPacket: number, batch: PacketBatch, order: BatchOrder): Promise<BatchResult> {
    try {
      // Dispatch in batch order, once batch seq - W's upcalls are translated.
      await order.prevDispatched;
      await order.gate;
      if (this.failure) throw this.failure;
      const count = batch.count;
      const drops = new Uint16Array(count);
      const { shards, invalid } = this.shard(seq, batch);
      for (const i of invalid) drops[i] = DROP_INDEX.truncated_capture;
      const installs = this.installsFor(seq);
      const version = this.versionAfter.get(seq - this.opts.pipeline) ?? this.startVersion;
      const tasks = shards.map((s) =>
        this.pmds[s.pmd].run({ kind: 'process', seq, buffer: s.buffer, installs, version, ...(s.own ? { shard: { table: this.table.slice(), self: s.pmd } } : {}) }),
      );
      order.dispatched.resolve();
      const processed = (await Promise.all(tasks)).map((r) => expectKind(r, 'processed'));
      // Upcalls of every PMD, translated in input order after the previous batch's.
      await order.prevTranslated;
      if (this.failure) throw this.failure;
      const answers = processed.some((r) => r.misses.length > 0) ? this.translate(seq, firstPacket, shards, processed) : [];
      // A ticket means the PMD waits for this execute (with or without answers).
      // Executes are queued before the next batch may dispatch or translate,
      // so every PMD executes batches in batch order.
      const executes = processed.map((r, p) =>
        r.ticket === 0 ? r : this.pmds[p].run({ kind: 'execute', seq, ticket: r.ticket, buffer: r.buffer!, answers: answers[p] ?? NO_ANSWERS }),
      );
      const finals: Final[] = (await Promise.all(executes)).map((r) => {
        const f = r.kind === 'processed' ? r : expectKind(r, 'executed');
        return { buffer: f.buffer, outputs: [...f.outputs], cookies: f.cookies, recirc: f.recirc, recircDrops: f.recircDrops ?? EMPTY_U32, recirculated: f.recirculated === true };
      });
      // Recirculated packets that missed: more upcall rounds, still before batch seq+1 translates.
      await this.recirculate(seq, firstPacket, shards, finals);
      this.versionAfter.set(seq, this.options.slowPath.version);
      order.translated.resolve();
      return this.merge(seq, firstPacket, count, drops, shards, finals);
    } finally {
      order.dispatched.resolve();
      order.translated.resolve();
    }
  }

  /**
   * Upcall rounds for recirculated packets (after tnl_pop + recirc): misses of
   * every PMD translated in input order, answers executed by their PMD, until
   * no PMD has recirculated packets waiting (the native depth limit ends it).
   */
  private async recirculate(seq: number, firstPacket: number, shards: Shard[], finals: Final[]): Promise<void> {
    let pending = finals.map((f) => f.recirc);
    while (pending.some((r) => r !== undefined)) {
      if (this.failure) throw this.failure;
      const items = pending.flatMap((r, p) => {
        if (!r) return [];
        const idx = shards[p].index;
        return [{ pmd: p, buffer: r.buffer, misses: r.misses, pos: (local: number) => (idx ? idx[r.index[local]] : r.index[local]) }];
      });
      const answers = this.translateMisses(seq, firstPacket, items, finals.length);
      const results = await Promise.all(
        pending.map((r, p) => (r ? this.pmds[p].run({ kind: 'execute', seq, ticket: r.ticket, buffer: r.buffer, answers: answers[p] ?? NO_ANSWERS }) : undefined)),
      );
      pending = results.map((r, p) => {
        if (!r) return undefined;
        const e = expectKind(r, 'executed');
        const f = finals[p];
        f.outputs.push(...e.outputs);
        f.cookies = concatU32(f.cookies, e.cookies);
        f.recircDrops = concatU32(f.recircDrops, e.recircDrops ?? EMPTY_U32);
        f.recirculated = true;
        return e.recirc;
      });
    }
  }

  private translate(seq: number, firstPacket: number, shards: Shard[], processed: Extract<PmdResult, { kind: 'processed' }>[]) {
    const items = processed.flatMap((r, p) => {
      if (!r.buffer || r.misses.length === 0) return [];
      const idx = shards[p].index;
      return [{ pmd: p, buffer: r.buffer, misses: r.misses, pos: (local: number) => (idx ? idx[local] : local) }];
    });
    return this.translateMisses(seq, firstPacket, items, processed.length);
  }

  /** Translates the misses of several PMD batches in input order; answers per PMD. */
  private translateMisses(
    seq: number,
    firstPacket: number,
    items: { pmd: number; buffer: ArrayBuffer; misses: Uint32Array; pos: (local: number) => number }[],
    pmds: number,
  ) {
    // Gather (input position, pmd, local index), in input order (stable: a packet's copies keep their order).
    const list: { pos: number; pmd: number; local: number; view: PacketBatch }[] = [];
    for (const it of items) {
      const view = PacketBatch.wrap(it.buffer);
      for (const local of it.misses) list.push({ pos: it.pos(local), pmd: it.pmd, local, view });
    }
    list.sort((a, b) => a.pos - b.pos);
    const upcalls: Upcall[] = list.map((m) => ({
      seq: firstPacket + m.pos,
      inPort: m.view.inPort[m.local],
      key: m.view.key(m.local),
      packet: m.view.packet(m.local),
      wireLength: m.view.wireLength[m.local],
    }));
    // Batch seq was classified with the flows of batches <= seq - W
    // (installsFor); later ones are answered by the handler. Said here, per
    // batch translated, and not when installsFor runs (batch seq + 1 may be
    // dispatched before batch seq translates): reuse never depends on timing.
    this.handler.delivered(seq - this.opts.pipeline);
    const { answers, installs } = this.handler.translate(upcalls, seq);
    if (installs) this.installLog.push({ batch: seq, set: installs });
    const perPmd = Array.from({ length: pmds }, () => ({ index: [] as number[], programs: [] as Uint8Array[] }));
    list.forEach((m, k) => {
      perPmd[m.pmd].index.push(m.local);
      perPmd[m.pmd].programs.push(answers[k].program);
      this.perPmdUpcalls[m.pmd][answers[k].outcome]++;
    });
    return perPmd.map((x) => (x.index.length ? answerSet(Uint32Array.from(x.index), x.programs) : undefined));
  }

  private merge(
    seq: number,
    firstPacket: number,
    count: number,
    drops: Uint16Array,
    shards: Shard[],
    finals: Final[],
  ): BatchResult {
    const chunks: PacketBatch[] = [];
    // Every output chunk, PMD by PMD in production order: its packets' input
    // positions (non-decreasing within a chunk) and indices in the chunk.
    const runs: { pos: Uint32Array; index: Uint32Array | undefined }[] = [];
    let total = 0;
    let cookies: number[] = [];
    finals.forEach((f, p) => {
      const idx = shards[p].index;
      if (f.buffer) {
        const b = PacketBatch.wrap(f.buffer);
        const own = shards[p].own;
        if (own) for (let k = 0; k < own.length; k++) drops[own[k]] = b.drop[own[k]];
        else if (idx) for (let i = 0; i < b.count; i++) drops[idx[i]] = b.drop[i];
        else drops.set(b.drop.subarray(0, b.count));
      }
      // A recirculated copy's drop counts for its input packet when nothing else did.
      for (let k = 0; k + 1 < f.recircDrops.length; k += 2) {
        const pos = idx ? idx[f.recircDrops[k]] : f.recircDrops[k];
        if (drops[pos] === 0) drops[pos] = f.recircDrops[k + 1];
      }
      for (const o of f.outputs) {
        chunks.push(PacketBatch.wrap(o.buffer));
        runs.push({ pos: idx ? mapIndex(o.origin, idx) : o.origin, index: o.index });
        total += o.origin.length;
      }
      if (f.cookies.length) cookies = cookies.concat(Array.from(f.cookies));
    });
    const outChunk = new Uint32Array(total);
    let outIndex: Uint32Array;
    let outOrigin: Uint32Array;
    if (runs.length === 1) {
      // One chunk (a single PMD, everything in place or in one output batch): already in input order.
      outIndex = runs[0].index ?? iota(total);
      outOrigin = runs[0].pos;
    } else {
      outIndex = new Uint32Array(total);
      outOrigin = new Uint32Array(total);
      // A stable counting sort by input position: runs in chunk order, so a
      // packet's first-pass outputs come before those of its recirculated
      // copies, and each run keeps its own order.
      const next = new Uint32Array(count + 1);
      for (const r of runs) for (let k = 0; k < r.pos.length; k++) next[r.pos[k] + 1]++;
      for (let i = 1; i <= count; i++) next[i] += next[i - 1];
      runs.forEach((r, c) => {
        const { pos, index } = r;
        for (let k = 0; k < pos.length; k++) {
          const j = next[pos[k]]++;
          outChunk[j] = c;
          outIndex[j] = index ? index[k] : k;
          outOrigin[j] = pos[k];
        }
      });
    }
    for (let i = 0; i < count; i++) this.drops[drops[i]]++;
    return new BatchResult(seq, firstPacket, drops, chunks, outChunk, outIndex, outOrigin, Uint32Array.from(cookies));
  }

  /** Waits for every batch in flight. */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight].map((p) => p.catch(() => undefined)));
  }

  /** Statistics of every PMD, the upcall handler and the drops (optionally cleared). */
  async stats(clear = false): Promise<EngineStats> {
    if (this.failure) throw this.failure;
    const res = await Promise.all(this.pmds.map((p) => p.run({ kind: 'stats', clear })));
    const wallNs = Number(process.hrtime.bigint() - this.started);
    const pmds = res.map((r, p) => {
      const s = expectKind(r, 'stats');
      const u = this.perPmdUpcalls[p];
      return { ...s.stats, pmd: p, upcallsOk: u.ok, upcallsFailed: u.failed, upcallsReused: u.reused, busyNs: s.busyNs, tasks: s.tasks };
    });
    const drops: Record<string, number> = {};
    this.drops.forEach((n, r) => {
      if (r !== 0 && n > 0) drops[DROP_REASONS[r][0]] = n;
    });
    return { wallNs, packets: this.packets, batches: this.seq, pmds, upcall: { ...this.handler.stats, errors: [...this.handler.stats.errors] }, drops };
  }

  /** The megaflows of one PMD (all PMDs hold the same set). */
  async dumpFlows(pmd = 0): Promise<NativeFlowDump[]> {
    if (this.failure) throw this.failure;
    return expectKind(await this.pmds[pmd].run({ kind: 'dump' }), 'dump').flows;
  }

  async close(): Promise<void> {
    await this.drain();
    await Promise.all(this.pmds.map((p) => p.close()));
  }
}

/** A PMD's executed batch: outputs (all passes), cookies and recirculation state. */
interface Final {
  buffer: ArrayBuffer | null;
  outputs: OutputChunk[];
  cookies: Uint32Array;
  recirc: RecircPending | undefined;
  recircDrops: Uint32Array;
  /** Outputs may be out of input order (recirculation passes came after the first). */
  recirculated: boolean;
}

function mapIndex(local: Uint32Array, idx: Uint32Array): Uint32Array {
  const out = new Uint32Array(local.length);
  for (let k = 0; k < local.length; k++) out[k] = idx[local[k]];
  return out;
}

function iota(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let k = 0; k < n; k++) out[k] = k;
  return out;
}

function concatU32(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out = new Uint32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const DONE: Promise<void> = Promise.resolve();

interface BatchOrder {
  prevDispatched: Promise<void>;
  gate: Promise<void>;
  prevTranslated: Promise<void>;
  dispatched: Deferred;
  translated: Deferred;
}

const DROP_INDEX: Record<string, number> = Object.fromEntries(DROP_REASONS.map(([name], i) => [name, i]));

function expectKind<K extends PmdResult['kind']>(r: PmdResult, kind: K): Extract<PmdResult, { kind: K }> {
  if (r.kind !== kind) throw new NativeError('ERR_VS_PMD_PROTOCOL', `PMD answered ${r.kind} where ${kind} was expected`);
  return r as Extract<PmdResult, { kind: K }>;
}
