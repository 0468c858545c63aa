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
  private batches: PacketBatch[] = [];
  private chunk: Uint32Array<ArrayBuffer> = new Uint32Array(256);
  private index: Uint32Array<ArrayBuffer> = new Uint32Array(256);
  private tsSec: Uint32Array<ArrayBuffer> = new Uint32Array(256);
  private tsNsec: Uint32Array<ArrayBuffer> = new Uint32Array(256);

  constructor(private readonly outputs: PortOutputs) {}

  /**
   * Queues packet `i` of `batch` for `host:port` with its timestamp (seconds
   * in [0, 2^32): replay() refuses captures stamped outside). Returns a Promise to await when the frames queued before
   * (for another port) had to be written first.
   */
  add(host: string, port: string, batch: PacketBatch, i: number, tsSec: number, tsNsec: number): Promise<void> | undefined {
    const wait = this.count > 0 && (port !== this.port || host !== this.host) ? this.flush() : undefined;
    if (this.count === this.index.length) {
      this.chunk = grown(this.chunk);
      this.index = grown(this.index);
      this.tsSec = grown(this.tsSec);
      this.tsNsec = grown(this.tsNsec);
    }
    let c = this.batches.length - 1;
    while (c >= 0 && this.batches[c] !== batch) c--;
    if (c < 0) c = this.batches.push(batch) - 1;
    this.host = host;
    this.port = port;
    this.chunk[this.count] = c;
    this.index[this.count] = i;
    this.tsSec[this.count] = tsSec;
    this.tsNsec[this.count] = tsNsec;
    this.count++;
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
      tsSec: this.tsSec,
      tsNsec: this.tsNsec,
      count: n,
    });
    if (w) {
      // The arrays are replaced, not reused, while the write may still read them.
      this.chunk = new Uint32Array(this.chunk.length);
      this.index = new Uint32Array(this.index.length);
      this.tsSec = new Uint32Array(this.tsSec.length);
      this.tsNsec = new Uint32Array(this.tsNsec.length);
    }
    return w;
  }
}

function grown(a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}
