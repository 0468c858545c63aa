/**
 * The work of one PMD: owns a native datapath, applies flow installs, runs
 * classify/execute on the batches it is given and returns their outputs. The
 * same class serves a worker thread (pmd-worker.ts) and in-process PMDs.
 */
import { PacketBatch } from '../batch.js';
import { native, type NativeDatapath } from '../native.js';
import type { AnswerSet, OutputChunk, PmdConfig, PmdResult, PmdTask } from './protocol.js';

const EMPTY_U32 = new Uint32Array(0);
const EMPTY_U8 = new Uint8Array(0);

export class PmdCore {
  readonly config: PmdConfig;
  private readonly dp: NativeDatapath;
  private busyNs = 0;
  private tasks = 0;
  /** Batches classified but not yet executed: later batches wait (execution stays in batch order). */
  private waiting = 0;

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
        for (const set of task.installs) this.dp.install(set.keys, set.masks, set.offsets, set.programs, set.version);
        this.dp.setVersion(task.version);
        if (!task.buffer) return { kind: 'processed', seq: task.seq, buffer: null, ticket: 0, misses: EMPTY_U32, outputs: [], cookies: EMPTY_U32, busyNs: 0 };
        const input = PacketBatch.wrap(task.buffer);
        if (this.waiting > 0) {
          const c = this.dp.classify(task.buffer);
          this.waiting++;
          return { kind: 'processed', seq: task.seq, buffer: task.buffer, ticket: c.ticket, misses: c.misses, outputs: [], cookies: EMPTY_U32, busyNs: 0 };
        }
        const out = outputBatchFor(input);
        const r = this.dp.process(task.buffer, out.buffer);
        if (r.misses.length > 0) {
          this.waiting++;
          return { kind: 'processed', seq: task.seq, buffer: task.buffer, ticket: r.ticket, misses: r.misses, outputs: [], cookies: EMPTY_U32, busyNs: 0 };
        }
        const outputs: OutputChunk[] = [{ buffer: out.buffer, origin: r.origin ?? EMPTY_U32 }];
        let cookies: Uint32Array = r.cookies ?? EMPTY_U32;
        if (r.ticket !== 0) {
          // The output batch filled up: go on with fresh ones.
          const rest = this.executeRest(r.ticket, task.buffer, r.next ?? 0, { index: EMPTY_U32, offsets: new Uint32Array(1), bytes: EMPTY_U8 });
          outputs.push(...rest.outputs);
          cookies = concat(cookies, rest.cookies);
        }
        return { kind: 'processed', seq: task.seq, buffer: task.buffer, ticket: 0, misses: EMPTY_U32, outputs, cookies, busyNs: 0 };
      }
      case 'execute': {
        this.waiting = Math.max(0, this.waiting - 1);
        const rest = this.executeRest(task.ticket, task.buffer, 0, task.answers);
        return { kind: 'executed', seq: task.seq, buffer: task.buffer, outputs: rest.outputs, cookies: rest.cookies, busyNs: 0 };
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

  private executeRest(ticket: number, buffer: ArrayBuffer, start: number, answers: AnswerSet): { outputs: OutputChunk[]; cookies: Uint32Array } {
    const input = PacketBatch.wrap(buffer);
    const outputs: OutputChunk[] = [];
    let cookies: Uint32Array = EMPTY_U32;
    let next = start;
    let scale = 1;
    for (;;) {
      const out = outputBatchFor(input, scale);
      const r = this.dp.execute(ticket, buffer, out.buffer, next, answers.index, answers.offsets, answers.bytes);
      if (r.origin.length > 0) outputs.push({ buffer: out.buffer, origin: r.origin });
      cookies = concat(cookies, r.cookies);
      if (r.next >= input.count) break;
      // No progress: one packet's outputs exceed a batch; try a larger one.
      scale = r.next === next && r.origin.length === 0 ? scale * 4 : 1;
      if (scale > 4096) throw new RangeError(`packet ${next}'s outputs do not fit an output batch`);
      next = r.next;
    }
    return { outputs, cookies };
  }
}

const OUT_HEADROOM = 128; // covers a tunnel header plus tags: such programs run in place in the output batch
const OUT_GROWTH = 160; // room per packet for pushed headers (a tunnel plus tags)

/**
 * An output batch for one output per input packet, with room for pushed
 * headers; packets that do not fit go to the next batch (execute resumes).
 */
function outputBatchFor(input: PacketBatch, scale = 1): PacketBatch {
  const n = Math.max(input.count, 16) * scale;
  const bytes = Math.max(0, input.dataUsed - input.count * input.headroom);
  return PacketBatch.create({ capacity: n, dataSize: bytes + n * (OUT_HEADROOM + OUT_GROWTH) + 65536, headroom: OUT_HEADROOM });
}

function concat(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = new Uint32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
