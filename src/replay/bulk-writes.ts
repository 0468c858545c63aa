/**
 * Output frames `replay()` writes in bulk: consecutive outputs of one engine
 * batch to one port are collected and written with one native call
 * (PortOutputs.writePackets) instead of frame by frame.
 *
 * Contract: a port's file gets its frames in the order add() saw them, as
 * long as every other write goes after flush(); the batches given to add()
 * stay unchanged until flush() (or an add() that returned a Promise) settled.
 */
import type { PacketBatch } from '../datapath/batch.js';
import type { PortOutputs } from './port-outputs.js';

export class BulkWrites {
  private batch: PacketBatch | undefined;
  private host = '';
  private port = '';
  private count = 0;
  private index: Uint32Array<ArrayBuffer> = new Uint32Array(256);
  private tsSec: Uint32Array<ArrayBuffer> = new Uint32Array(256);
  private tsNsec: Uint32Array<ArrayBuffer> = new Uint32Array(256);

  constructor(private readonly outputs: PortOutputs) {}

  /**
   * Queues packet `i` of `batch` for `host:port` with its timestamp (seconds
   * below 2^32). Returns a Promise to await when the frames queued before
   * had to be written first (another batch or port).
   */
  add(host: string, port: string, batch: PacketBatch, i: number, tsSec: number, tsNsec: number): Promise<void> | undefined {
    const wait = this.count > 0 && (batch !== this.batch || port !== this.port || host !== this.host) ? this.flush() : undefined;
    if (this.count === this.index.length) {
      this.index = grown(this.index);
      this.tsSec = grown(this.tsSec);
      this.tsNsec = grown(this.tsNsec);
    }
    this.batch = batch;
    this.host = host;
    this.port = port;
    this.index[this.count] = i;
    this.tsSec[this.count] = tsSec;
    this.tsNsec[this.count] = tsNsec;
    this.count++;
    return wait;
  }

  /** Writes what is queued; a Promise to await when the file is being created or flushed. */
  flush(): Promise<void> | undefined {
    if (this.count === 0 || !this.batch) return undefined;
    const n = this.count;
    this.count = 0;
    // The arrays are replaced, not reused, while a write may still read them.
    const w = this.outputs.writePackets(this.host, this.port, this.batch, this.index, this.tsSec, this.tsNsec, n);
    if (w) {
      this.index = new Uint32Array(this.index.length);
      this.tsSec = new Uint32Array(this.tsSec.length);
      this.tsNsec = new Uint32Array(this.tsNsec.length);
    }
    this.batch = undefined;
    return w;
  }
}

function grown(a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}
