/**
 * The work of one PMD: owns a native datapath, applies flow installs, runs
 * classify/execute on the batches it is given and returns their outputs. The
 * same class serves a worker thread (pmd-worker.ts) and in-process PMDs.
 */
import { PacketBatch } from '../batch.js';
import { native, type NativeDatapath } from '../native.js';
import type { AnswerSet, OutputChunk, PmdConfig, PmdResult, PmdTask, RecircPending } from './protocol.js';

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_U8 = new Uint8Array(0);
const NO_ANSWERS: AnswerSet = { index: EMPTY_U32, offsets: new Uint32Array(1), bytes: EMPTY_U8 };

/** Outputs, cookies and recirculation state of one executed batch. */
interface Executed {
  outputs: OutputChunk[];
  cookies: Uint32Array;
  recirc?: RecircPending;
  recircDrops?: Uint32Array;
  recirculated?: boolean;
}

/** A recirculation batch waiting for upcall answers. */
interface RecircWait {
  seq: number;
  depth: number;
  epoch: number;
  index: Uint32Array;
}

export class PmdCore {
  readonly config: PmdConfig;
  private readonly dp: NativeDatapath;
  private busyNs = 0;
  private tasks = 0;
  /** Batches classified but not yet executed: later batches wait (execution stays in batch order). */
  private waiting = 0;
  /** Highest install epoch received, and its value when each batch was classified. */
  private maxEpoch = 0;
  private readonly epochAt = new Map<number, number>();
  private readonly recircWait = new Map<number, RecircWait>();

  constructor(config: PmdConfig) {
    this.config = config;
    this.dp = new (native().Datapath)(config.datapath);
  }

  handle(task: PmdTask): PmdResult {
    const t0 = process.hrtime.bigint();
    const result = this.run(task);
    const dt = Number(process.hrtime.bigint() - t0);
    this.busyNs += dt;
    this.tasks++;
    if (result.kind === 'processed' || result.kind === 'executed') result.busyNs = dt;
    return result;
  }

  private run(task: PmdTask): PmdResult {
    switch (task.kind) {
      case 'process': {
        if (this.config.crashAtBatch === task.seq) process.exit(70);
        // The version first: the installs that come with it are current when made at that version.
        this.dp.setVersion(task.version);
        for (const set of task.installs) {
          this.dp.install(set.keys, set.masks, set.offsets, set.programs, set.version, set.epoch ?? 0);
          this.maxEpoch = Math.max(this.maxEpoch, set.epoch ?? 0);
        }
        this.epochAt.set(task.seq, this.maxEpoch);
        if (!task.buffer) return { kind: 'processed', seq: task.seq, buffer: null, ticket: 0, misses: EMPTY_U32, outputs: [], cookies: EMPTY_U32, busyNs: 0 };
        const table = task.shard?.table ?? null;
        const self = task.shard?.self ?? 0;
        if (this.waiting > 0) {
          const c = this.dp.classify(task.buffer, table, self);
          this.waiting++;
          return { kind: 'processed', seq: task.seq, buffer: task.buffer, ticket: c.ticket, misses: c.misses, outputs: [], cookies: EMPTY_U32, busyNs: 0 };
        }
        // Single-output programs run in place in the input batch (no output
        // batch, no copy); an output batch is made only when a packet needs one.
        const r = this.dp.process(task.buffer, null, true, table, self);
        if (r.misses.length > 0) {
          this.waiting++;
          return { kind: 'processed', seq: task.seq, buffer: task.buffer, ticket: r.ticket, misses: r.misses, outputs: [], cookies: EMPTY_U32, busyNs: 0 };
        }
        const done: Executed = { outputs: [], cookies: r.cookies ?? EMPTY_U32 };
        const inplace = r.inplace ?? EMPTY_U32;
        if (r.ticket !== 0) {
          // A packet needs an output batch: go on with output batches from there.
          const rest = this.executeRest(r.ticket, task.buffer, r.next ?? 0, NO_ANSWERS, inplace);
          done.outputs.push(...rest.outputs);
          done.cookies = concat(done.cookies, rest.cookies);
        } else if (inplace.length > 0) {
          done.outputs.push({ buffer: task.buffer, origin: inplace, index: inplace });
        }
        this.recirculate(task.seq, 1, this.epochAt.get(task.seq) ?? this.maxEpoch, null, done);
        if (done.recirc) this.waiting++;
        return { kind: 'processed', seq: task.seq, buffer: task.buffer, ticket: 0, misses: EMPTY_U32, busyNs: 0, ...done };
      }
      case 'execute': {
        this.waiting = Math.max(0, this.waiting - 1);
        const wait = this.recircWait.get(task.ticket);
        this.recircWait.delete(task.ticket);
        const rest = this.executeRest(task.ticket, task.buffer, 0, task.answers);
        const done: Executed = { outputs: rest.outputs, cookies: rest.cookies };
        if (wait) {
          // A recirculation batch: outputs and drops belong to its input packets.
          done.recirculated = true;
          for (const o of done.outputs) o.origin = Uint32Array.from(o.origin, (l) => wait.index[l]);
          done.recircDrops = recircDrops(task.buffer, wait.index, EMPTY_U32);
          this.recirculate(wait.seq, wait.depth + 1, wait.epoch, wait.index, done);
        } else {
          this.recirculate(task.seq, 1, this.epochAt.get(task.seq) ?? this.maxEpoch, null, done);
        }
        if (done.recirc) this.waiting++;
        return { kind: 'executed', seq: task.seq, buffer: task.buffer, busyNs: 0, ...done };
      }
      case 'stats': {
        const stats = this.dp.stats();
        const busyNs = this.busyNs;
        const tasks = this.tasks;
        if (task.clear) {
          this.dp.clearStats();
          this.busyNs = 0;
          this.tasks = 0;
        }
        return { kind: 'stats', stats, busyNs, tasks };
      }
      case 'dump':
        return { kind: 'dump', flows: this.dp.dumpFlows() };
    }
  }

  /**
   * Runs the packets the last executed batch recirculated (and theirs, up to
   * the depth limit) while they hit the cache; stops at the first pass with
   * misses, which goes to the slow path as done.recirc. `index` maps the last
   * executed batch to the PMD's input batch (null: it is the input batch).
   */
  private recirculate(seq: number, depth: number, epoch: number, index: Uint32Array | null, done: Executed): void {
    let map = index;
    for (let d = depth; ; d++) {
      const r = this.dp.takeRecirc();
      if (!r.buffer) break;
      done.recirculated = true;
      const m = map;
      const toInput = m ? Uint32Array.from(r.origin, (o) => m[o]) : r.origin;
      const c = this.dp.classifyRecirc(r.buffer, d, epoch);
      if (c.misses.length > 0) {
        this.recircWait.set(c.ticket, { seq, depth: d, epoch, index: toInput });
        done.recirc = { buffer: r.buffer, ticket: c.ticket, misses: c.misses, index: toInput };
        return;
      }
      const rest = this.executeRest(c.ticket, r.buffer, 0, NO_ANSWERS);
      for (const o of rest.outputs) done.outputs.push({ ...o, origin: Uint32Array.from(o.origin, (l) => toInput[l]) });
      done.cookies = concat(done.cookies, rest.cookies);
      done.recircDrops = recircDrops(r.buffer, toInput, done.recircDrops ?? EMPTY_U32);
      map = toInput;
    }
    this.epochAt.delete(seq);
  }

  /**
   * Executes packets [start, count) of a classified batch: single-output
   * programs in place (outputs in the input batch itself), the rest into
   * output batches made as needed. `inplace` = packets before `start` already
   * executed in place. The in-place chunk comes first; merge() orders every
   * chunk by input position.
   */
  private executeRest(
    ticket: number,
    buffer: ArrayBuffer,
    start: number,
    answers: AnswerSet,
    inplace: Uint32Array = EMPTY_U32,
  ): { outputs: OutputChunk[]; cookies: Uint32Array } {
    const input = PacketBatch.wrap(buffer);
    const outputs: OutputChunk[] = [];
    const inPlace: Uint32Array[] = inplace.length ? [inplace] : [];
    let cookies: Uint32Array = EMPTY_U32;
    let next = start;
    let scale = 1;
    let out: PacketBatch | null = null;
    while (next < input.count) {
      const r = this.dp.execute(ticket, buffer, out?.buffer ?? null, next, answers.index, answers.offsets, answers.bytes, true);
      if (r.inplace && r.inplace.length) inPlace.push(r.inplace);
      const used = out !== null && out.count > 0;
      if (used) outputs.push({ buffer: out!.buffer, origin: r.origin });
      cookies = concat(cookies, r.cookies);
      if (r.next >= input.count) break;
      // Stopped: a packet needs an output batch (none given, or this one is full).
      // No progress with a batch: one packet's outputs exceed it; try a larger one.
      if (out !== null) scale = r.next === next && !used ? scale * 4 : 1;
      if (scale > 4096) throw new RangeError(`packet ${next}'s outputs do not fit an output batch`);
      next = r.next;
      out = outputBatchFor(input, scale, next);
    }
    if (inPlace.length) {
      const all = inPlace.length === 1 ? inPlace[0] : concatAll(inPlace);
      outputs.unshift({ buffer, origin: all, index: all });
    }
    return { outputs, cookies };
  }
}

const OUT_HEADROOM = 128; // covers a tunnel header plus tags: such programs run in place in the output batch
const OUT_GROWTH = 160; // room per packet for pushed headers (a tunnel plus tags)

/**
 * An output batch for one output per input packet from `from` on, with room
 * for pushed headers; packets that do not fit go to the next batch (execute
 * resumes).
 */
function outputBatchFor(input: PacketBatch, scale = 1, from = 0): PacketBatch {
  const rest = Math.max(0, input.count - from);
  const n = Math.max(rest, 16) * scale;
  const bytes = Math.ceil((Math.max(0, input.dataUsed - input.count * input.headroom) * rest) / Math.max(1, input.count)) * scale;
  return PacketBatch.create({ capacity: n, dataSize: bytes + n * (OUT_HEADROOM + OUT_GROWTH) + 65536, headroom: OUT_HEADROOM });
}

/** Appends (input index, reason) pairs for the dropped packets of a recirculation batch. */
function recircDrops(buffer: ArrayBuffer, index: Uint32Array, prev: Uint32Array): Uint32Array {
  const b = PacketBatch.wrap(buffer);
  const pairs: number[] = [];
  for (let i = 0; i < b.count; i++) if (b.drop[i] !== 0) pairs.push(index[i], b.drop[i]);
  return pairs.length ? concat(prev, Uint32Array.from(pairs)) : prev;
}

function concatAll(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function concat(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
