/**
 * Output frames `replay()` writes in bulk: consecutive outputs to one port
 * (from any of an engine result's batches) are collected and written with
 * one native call (PortOutputs.writePackets) instead of frame by frame.
 *
 * Contract: a port's file gets its frames in the order add() saw them, as
 * long as every other write goes after flush(); the batches given to add()
 * stay unchanged until flush() (or an add() that returned a Promise) settled.
 */
import type { PacketBatch } from '../datapath/batch.js';
import type { PortOutputs } from './port-outputs.js';

export class BulkWrites {
  private host = '';
  private port = '';
  private count = 0;
  private batches: readonly PacketBatch[] = [];
  private chunk: Uint32Array<ArrayBuffer> = new Uint32Array(256);
  private index: Uint32Array<ArrayBuffer> = new Uint32Array(256);

  constructor(private readonly outputs: PortOutputs) {}

  /**
   * Queues packets index[k] of batches[chunk[k]], k in [from, to), for
   * `host:port` (each stamped with its TS columns). Returns a Promise to
   * await when the frames queued before (for another port, or from other
   * batches) had to be written first.
   */
  add(host: string, port: string, batches: readonly PacketBatch[], chunk: Uint32Array, index: Uint32Array, from: number, to: number): Promise<void> | undefined {
    const wait = this.count > 0 && (port !== this.port || host !== this.host || batches !== this.batches) ? this.flush() : undefined;
    const n = to - from;
    if (this.count + n > this.index.length) {
      this.chunk = grown(this.chunk, this.count + n);
      this.index = grown(this.index, this.count + n);
    }
    if (n === 1) {
      this.chunk[this.count] = chunk[from];
      this.index[this.count] = index[from];
    } else {
      this.chunk.set(chunk.subarray(from, to), this.count);
      this.index.set(index.subarray(from, to), this.count);
    }
    this.host = host;
    this.port = port;
    this.batches = batches;
    this.count += n;
    return wait;
  }

  /** Writes what is queued; a Promise to await when the file is being created or flushed. */
  flush(): Promise<void> | undefined {
    if (this.count === 0) return undefined;
    const n = this.count;
    const batches = this.batches;
    this.count = 0;
    this.batches = [];
    const w = this.outputs.writePackets(this.host, this.port, {
      batches,
      chunk: batches.length > 1 ? this.chunk : null,
      index: this.index,
      count: n,
    });
    if (w) {
      // The arrays are replaced, not reused, while the write may still read them.
      this.chunk = new Uint32Array(this.chunk.length);
      this.index = new Uint32Array(this.index.length);
    }
    return w;
  }
}

/** A copy of `a` with room for at least `need` elements. */
function grown(a: Uint32Array<ArrayBuffer>, need: number): Uint32Array<ArrayBuffer> {
  let size = a.length * 2;
  while (size < need) size *= 2;
  const b = new Uint32Array(size);
  b.set(a);
  return b;
}
