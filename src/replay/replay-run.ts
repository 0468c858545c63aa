/**
 * The packets `replay()` hands to one host's engine at a time (a run): the
 * batch being filled, and where its packets came from, their timestamps and
 * the bytes they entered with (the engine may rewrite the batch in place).
 * Packets are added one by one (a Pending: an underlay delivery, a captured
 * packet that needed a look) or many at once, natively, straight from a
 * capture's read buffer (addBulk: one segment, nothing per packet).
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
  /** Length on the wire (a captured packet's record says; a frame made here: its length). */
  wireLength: number;
  hops: number;
  /** Selected by --trace: traced at every host it (or a frame made from it) enters. */
  traced: boolean;
}

/** A drop example's or a trace's origin: the captured packet, and whether the underlay made the frame from it. */
export function originOf(src: Source, index: number): PacketOrigin {
  return { file: src.file, index, ...(src.viaUnderlay ? { viaUnderlay: true } : {}) };
}

/** Packet bytes a run's batch reserves per slot at first (a batch grows when its frames need more). */
const BYTES_PER_PACKET = 512;

/** The smallest batch a run starts with (runs as short as one packet are common when hosts alternate). */
const MIN_SLOTS = 8;

/** Packet bytes after which a run takes no more packets, whatever its count (runs of jumbo frames stay bounded). */
export const MAX_RUN_BYTES = 4 << 20;

/** Spare batches kept per capacity. */
const SPARES_PER_SIZE = 2;

/**
 * Batches for runs of up to `maxPackets` packets (and MAX_RUN_BYTES). A run starts with a batch
 * for the packets it expects and doubles it as it fills (copying what it
 * holds), so short runs cost little and long ones end at `maxPackets` as
 * they would with one large batch. A run's batch comes back from the engine
 * with its outputs; once those are written it is kept and reused, which
 * costs far less than a fresh buffer (zeroing, and the garbage collector's
 * work for large buffers).
 */
export class RunBatches {
  private readonly spare = new Map<number, PacketBatch[]>();

  constructor(readonly maxPackets: number) {}

  /** Slots of the first batch of a run expecting `packets` packets. */
  slotsFor(packets: number): number {
    let n = MIN_SLOTS;
    while (n < packets && n < this.maxPackets) n *= 2;
    return Math.min(n, this.maxPackets);
  }

  /** An empty batch of `slots` packets with at least `dataSize` data bytes. */
  take(slots: number, dataSize: number): PacketBatch {
    const list = this.spare.get(slots);
    const k = list ? list.findIndex((b) => b.dataSize >= dataSize) : -1;
    if (list && k >= 0) {
      const b = list.splice(k, 1)[0];
      b.clear();
      return b;
    }
    return PacketBatch.create({ capacity: slots, dataSize: Math.max(dataSize, slots * BYTES_PER_PACKET) });
  }

  /**
   * Takes back batches nothing reads any more (a finished run's result
   * chunks, a batch a run outgrew); returns those it does not keep.
   */
  give(batches: readonly PacketBatch[]): PacketBatch[] {
    const rest: PacketBatch[] = [];
    for (const b of batches) {
      // only the sizes take() asks for (engine output and shard batches have others)
      let list = this.spare.get(b.capacity);
      if (list?.some((s) => s.buffer === b.buffer)) continue; // kept already
      if (this.slotsFor(b.capacity) === b.capacity && b.headroom === DEFAULT_HEADROOM && (list?.length ?? 0) < SPARES_PER_SIZE) {
        if (!list) this.spare.set(b.capacity, (list = []));
        list.push(b);
      } else rest.push(b);
    }
    return rest;
  }
}

/** The headroom of run batches (PacketBatch.create's default). */
const DEFAULT_HEADROOM = 128;

/**
 * Consecutive packets of a run with one origin: captured packets
 * firstIndex, firstIndex + 1, ... of src.file (a bulk append), or one frame.
 */
export interface Segment {
  /** Its first packet's position in the run. */
  from: number;
  count: number;
  src: Source;
  firstIndex: number;
  hops: number;
  traced: boolean;
  /** Packet from + k entered with the bytes of `chunk` from starts[k] (its LENGTH when the run was sealed). */
  chunk: Uint8Array;
  starts: Uint32Array | readonly number[];
}

export class Run {
  /** The packets by origin, in batch order. */
  readonly segments: Segment[] = [];
  /** Per packet, from seal() on: timestamp and the length it entered with. */
  tsSec: Uint32Array = EMPTY_U32;
  tsNsec: Uint32Array = EMPTY_U32;
  private lengths: Uint32Array = EMPTY_U32;
  private packets = 0;
  private batchNow: PacketBatch;

  constructor(
    readonly ctx: HostRuntime,
    private readonly batches: RunBatches,
    /** Packets the run expects (its first batch's size) and the first one's length. */
    expected: number,
    firstFrame: number,
  ) {
    this.batchNow = batches.take(batches.slotsFor(expected), batches.slotsFor(expected) * BYTES_PER_PACKET + firstFrame + 256);
  }

  /** The batch holding the run's packets (replaced when the run outgrows it). */
  get batch(): PacketBatch {
    return this.batchNow;
  }

  get count(): number {
    return this.packets;
  }

  /** Packets the run may still take. */
  get room(): number {
    return this.batchNow.dataUsed >= MAX_RUN_BYTES ? 0 : this.batches.maxPackets - this.packets;
  }

  /** Slots left in the current batch. */
  get slots(): number {
    return this.batchNow.capacity - this.batchNow.count;
  }

  /** True when the current batch has no slot, or too few bytes for another full-size frame. */
  get batchFull(): boolean {
    const b = this.batchNow;
    return b.count >= b.capacity || b.dataSize - b.dataUsed < b.headroom + 2048;
  }

  /** Appends a packet; false when the run holds maxPackets packets. */
  add(p: Pending): boolean {
    if (this.room === 0) return false;
    const b = this.batchNow;
    if (b.count >= b.capacity || b.dataUsed + b.headroom + p.frame.length + b.tailroom > b.dataSize) this.grow(p.frame.length);
    this.batchNow.append(p.frame, { inPort: p.src.dpPort, tsSec: p.tsSec, tsNsec: p.tsNsec, wireLength: p.wireLength });
    this.segments.push({ from: this.packets, count: 1, src: p.src, firstIndex: p.index, hops: p.hops, traced: p.traced, chunk: p.frame, starts: ONE_START });
    this.packets++;
    p.src.counters.rx++;
    return true;
  }

  /** Takes note of packets a capture reader appended to the batch itself (InputMerge.appendFollowing). */
  addBulk(src: Source, bulk: BulkAppend): void {
    this.segments.push({ from: this.packets, count: bulk.packets, src, firstIndex: bulk.firstIndex, hops: 0, traced: false, chunk: bulk.chunk, starts: bulk.dataOffsets });
    this.packets += bulk.packets;
    src.counters.rx += bulk.packets;
  }

  /** Moves the packets to a batch with twice the slots (when full) and room for `frame` more bytes. */
  grow(frame: number): void {
    const old = this.batchNow;
    const slots = old.count >= old.capacity ? Math.min(old.capacity * 2, this.batches.maxPackets) : old.capacity;
    const nb = this.batches.take(slots, Math.max(old.dataSize * 2, old.dataUsed + frame + 2 * (old.headroom + 8)));
    for (let i = 0; i < old.count; i++) nb.append(old.packet(i), { wireLength: old.wireLength[i], tsSec: old.tsSec[i], tsNsec: old.tsNsec[i], inPort: old.inPort[i] });
    this.batchNow = nb;
    this.batches.give([old]);
  }

  /**
   * Keeps what the run needs of its batch's columns (timestamps, lengths)
   * and returns the batch, to be handed to the engine (which may rewrite it).
   */
  seal(): PacketBatch {
    const b = this.batchNow;
    this.tsSec = b.tsSec.slice(0, this.packets);
    this.tsNsec = b.tsNsec.slice(0, this.packets);
    this.lengths = b.length.slice(0, this.packets);
    return b;
  }

  /** The segment holding packet i. */
  segmentOf(i: number): Segment {
    const segs = this.segments;
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid].from <= i) lo = mid;
      else hi = mid - 1;
    }
    return segs[lo];
  }

  source(i: number): Source {
    return this.segmentOf(i).src;
  }

  /** 0-based index in its source's capture of packet i (or of the packet it was made from). */
  index(i: number): number {
    const s = this.segmentOf(i);
    return s.firstIndex + (i - s.from);
  }

  hops(i: number): number {
    return this.segmentOf(i).hops;
  }

  traced(i: number): boolean {
    return this.segmentOf(i).traced;
  }

  /** The bytes packet i entered with (a view; after seal()). */
  frame(i: number): Uint8Array {
    if (i >= this.lengths.length) throw new RangeError(`Run.frame(${i}) before seal() or past the run's ${this.packets} packets`);
    const s = this.segmentOf(i);
    const start = s.starts[i - s.from];
    return s.chunk.subarray(start, start + this.lengths[i]);
  }
}

const EMPTY_U32 = new Uint32Array(0);
const ONE_START: readonly number[] = [0];
