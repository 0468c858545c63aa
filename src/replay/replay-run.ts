/**
 * The packets `replay()` hands to one host's engine at a time (a run): the
 * batch being filled, and per packet where it came from, its timestamp and
 * the bytes it entered with (the engine may rewrite the batch in place).
 * Packets are added one by one (a Pending: an underlay delivery, a captured
 * packet that needed a look) or many at once, natively, straight from a
 * capture's read buffer (addBulk: no object per packet).
 */
import { PacketBatch } from '../datapath/batch.js';
import type { BulkAppend } from '../pcap/index.js';
import type { HostRuntime } from './host-runtime.js';
import type { PacketOrigin, PortCounters } from './replay-report.js';

/** Where packets come from: a capture input at its port, or frames the underlay delivered to a port. */
export interface Source {
  host: string;
  port: string;
  dpPort: number;
  /** The capture the packets (or the frames they were made from) came from. */
  file: string;
  viaUnderlay: boolean;
  ctx: HostRuntime;
  counters: PortCounters;
  /** False when the port's ingress edge passes frames unchanged (PortEdges.passesIngress). */
  ingressEdge: boolean;
}

/** A frame waiting to enter its source's host. */
export interface Pending {
  src: Source;
  frame: Uint8Array;
  /** 0-based index of the captured packet it is (or was made from) in src.file. */
  index: number;
  tsSec: number;
  tsNsec: number;
  hops: number;
  /** Selected by --trace: traced at every host it (or a frame made from it) enters. */
  traced: boolean;
}

/** A drop example's or a trace's origin: the captured packet, and whether the underlay made the frame from it. */
export function originOf(src: Source, index: number): PacketOrigin {
  return { file: src.file, index, ...(src.viaUnderlay ? { viaUnderlay: true } : {}) };
}

/** Packet bytes a run's batch reserves per slot (larger frames fill it with fewer packets). */
const BYTES_PER_PACKET = 512;

/** Finished runs' batches kept for reuse, at most this many. */
const SPARE_BATCHES = 4;

/**
 * Batches for runs of `capacity` packets. A run's batch comes back from the
 * engine with its outputs; once those are written it is cleared and reused,
 * which costs far less than a fresh buffer per run (zeroing it, and the
 * garbage collector's work for large buffers).
 */
export class RunBatches {
  private readonly spare: PacketBatch[] = [];
  private readonly dataSize: number;

  constructor(readonly capacity: number) {
    this.dataSize = capacity * BYTES_PER_PACKET + 65536;
  }

  /** An empty batch with room for `firstFrame` bytes at least. */
  take(firstFrame: number): PacketBatch {
    if (firstFrame + 256 <= this.capacity * BYTES_PER_PACKET) {
      const b = this.spare.pop();
      if (b) {
        b.clear();
        return b;
      }
    }
    return PacketBatch.create({ capacity: this.capacity, dataSize: Math.max(this.capacity * BYTES_PER_PACKET, firstFrame + 256) + 65536 });
  }

  /** Takes back the chunks of a finished run's result (call when nothing reads them any more). */
  give(chunks: readonly PacketBatch[]): void {
    for (const c of chunks) {
      if (this.spare.length >= SPARE_BATCHES) return;
      if (c.capacity === this.capacity && c.dataSize === this.dataSize && !this.spare.some((s) => s.buffer === c.buffer)) this.spare.push(c);
    }
  }
}

export class Run {
  /** Per packet, in batch order. */
  readonly sources: Source[] = [];
  readonly index: number[] = [];
  readonly tsSec: number[] = [];
  readonly tsNsec: number[] = [];
  readonly hops: number[] = [];
  readonly traced: boolean[] = [];
  /** The bytes each packet entered with: `length` bytes of `chunk` from `start`. */
  private readonly chunks: Uint8Array[] = [];
  private readonly starts: number[] = [];
  private readonly lengths: number[] = [];

  constructor(
    readonly ctx: HostRuntime,
    /** An empty batch (RunBatches.take). */
    readonly batch: PacketBatch,
    /** Packets read from captures (counted when malformed), not delivered by the underlay. */
    readonly fromCapture: boolean,
  ) {}

  get count(): number {
    return this.sources.length;
  }

  /** Slots left. */
  get room(): number {
    return this.batch.capacity - this.sources.length;
  }

  /** Appends a packet; false when the batch is full (slots or bytes). */
  add(p: Pending): boolean {
    if (!this.batch.append(p.frame, { inPort: p.src.dpPort, tsSec: p.tsSec, tsNsec: p.tsNsec })) return false;
    this.push(p.src, p.index, p.tsSec, p.tsNsec, p.hops, p.traced, p.frame, 0, p.frame.length);
    p.src.counters.rx++;
    return true;
  }

  /** Takes note of packets a capture reader appended to the batch itself (InputMerge.appendFollowing). */
  addBulk(src: Source, bulk: BulkAppend): void {
    const b = this.batch;
    for (let k = 0, slot = this.count; k < bulk.packets; k++, slot++)
      this.push(src, bulk.firstIndex + k, b.tsSec[slot], b.tsNsec[slot], 0, false, bulk.chunk, bulk.dataOffsets[k], b.length[slot]);
    src.counters.rx += bulk.packets;
  }

  /** The bytes packet i entered with (a view). */
  frame(i: number): Uint8Array {
    return this.chunks[i].subarray(this.starts[i], this.starts[i] + this.lengths[i]);
  }

  pending(i: number): Pending {
    return { src: this.sources[i], frame: this.frame(i), index: this.index[i], tsSec: this.tsSec[i], tsNsec: this.tsNsec[i], hops: this.hops[i], traced: this.traced[i] };
  }

  private push(src: Source, index: number, tsSec: number, tsNsec: number, hops: number, traced: boolean, chunk: Uint8Array, start: number, length: number): void {
    this.sources.push(src);
    this.index.push(index);
    this.tsSec.push(tsSec);
    this.tsNsec.push(tsNsec);
    this.hops.push(hops);
    this.traced.push(traced);
    this.chunks.push(chunk);
    this.starts.push(start);
    this.lengths.push(length);
  }
}
