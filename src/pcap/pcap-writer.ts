/**
 * PcapWriter: writes a classic pcap file with nanosecond timestamps (magic
 * a1b23c4d, little-endian, version 2.4), as `tcpdump --time-stamp-precision
 * nano -w` does.
 *
 * The file is written under a temporary name in the target directory and
 * renamed over the target by close(), so a reader never sees a half-written
 * file under the final name, and a run that fails or is killed leaves only
 * temporary files; abort() (or a failed write) removes the temporary file.
 * close() does not fsync (as tcpdump -w does not): the file is complete for
 * every reader once close() resolves, and durable when the kernel writes it
 * back; syncing 100 MB of output costs a replay about as long as encapsulating
 * it. Memory is bounded: packets are copied into a buffer of
 * `bufferSize` bytes that is written out when full, and write() resolves
 * once at most one full buffer is still being written, so awaiting each
 * write keeps at most two buffers in memory.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { PacketBatch } from '../datapath/batch.js';
import { native } from '../datapath/native.js';
import { CaptureError } from '../errors.js';
import { CaptureCode } from './capture-codes.js';
import { PCAP_MAGIC_NSEC, PCAP_RECORD_HEADER } from './classic-pcap-parser.js';
import { LinkType } from './link-types.js';

export interface PcapWriterOptions {
  /** LINKTYPE_* value written in the header (default ETHERNET 1). */
  linkType?: number;
  /** Snapshot length (default 262144); longer packets are cut to it, keeping their wire length. */
  snaplen?: number;
  /** Bytes buffered before a write to the file (default 1 MiB). */
  bufferSize?: number;
}

const DEFAULT_SNAPLEN = 262144;
const DEFAULT_BUFFER = 1 << 20;
const GLOBAL_HEADER = 24;

/** Packets of batches to write: packet index[k] of batches[chunk[k]] (of batches[0] when chunk is null), for k < count. */
export interface BatchPackets {
  batches: readonly PacketBatch[];
  chunk: Uint32Array | null;
  index: Uint32Array;
  count: number;
}

export class PcapWriter {
  /** The final path (what close() renames the temporary file to). */
  readonly path: string;
  /** The temporary file written until close(). */
  readonly tempPath: string;
  readonly linkType: number;
  readonly snaplen: number;
  private buf: Uint8Array;
  private view: DataView;
  /** The buffer of the last flush, once its write is done: the next flush's buffer (no allocation and zeroing per flush). */
  private spare: Uint8Array | undefined;
  private used = 0;
  private offset = 0; // file bytes handed to flushes so far
  private packets = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private failure: unknown;
  private state: 'open' | 'closed' | 'aborted' = 'open';

  private constructor(
    path: string,
    tempPath: string,
    private readonly fh: FileHandle,
    linkType: number,
    snaplen: number,
    private readonly bufferSize: number,
  ) {
    this.path = path;
    this.tempPath = tempPath;
    this.linkType = linkType;
    this.snaplen = snaplen;
    this.buf = new Uint8Array(bufferSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** Creates the temporary file and writes the global header (into the buffer). */
  static async create(path: string, options: PcapWriterOptions = {}): Promise<PcapWriter> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError(`expected a non-empty string for path, received ${String(path)}`);
    const linkType = options.linkType ?? LinkType.ETHERNET;
    const snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    const bufferSize = options.bufferSize ?? DEFAULT_BUFFER;
    checkU32('linkType', linkType);
    if (!Number.isInteger(snaplen) || snaplen < 1 || snaplen > 0xffffffff) throw new RangeError(`expected an integer in [1, 2^32) for snaplen, received ${snaplen}`);
    if (!Number.isInteger(bufferSize) || bufferSize < 64) throw new RangeError(`expected an integer >= 64 for bufferSize, received ${bufferSize}`);
    const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    let fh: FileHandle;
    try {
      fh = await open(tempPath, 'wx');
    } catch (err) {
      throw new CaptureError(CaptureCode.WRITE, path, 0, 0, `cannot create ${tempPath}: ${(err as Error).message}`);
    }
    const w = new PcapWriter(path, tempPath, fh, linkType, snaplen, bufferSize);
    const v = w.view;
    v.setUint32(0, PCAP_MAGIC_NSEC, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setInt32(8, 0, true); // thiszone
    v.setUint32(12, 0, true); // sigfigs
    v.setUint32(16, snaplen, true);
    v.setUint32(20, linkType, true);
    w.used = GLOBAL_HEADER;
    return w;
  }

  /** Packets written so far. */
  get count(): number {
    return this.packets;
  }

  /**
   * Appends one packet. `data` is copied before this returns. Bytes beyond
   * snaplen are cut (the record keeps wireLength, default data.length).
   * Await the result to bound memory; a write error rejects it (and every
   * later call) with ERR_CAPTURE_WRITE.
   */
  write(data: Uint8Array, tsSec: number, tsNsec: number, wireLength: number = data.length): Promise<void> {
    return this.append(data, tsSec, tsNsec, wireLength) ?? Promise.resolve();
  }

  /**
   * write() without a Promise per packet: returns undefined when the packet
   * is buffered and nothing needs waiting for, else the Promise write()
   * would return (a full buffer is being written: await it to bound memory;
   * it rejects with ERR_CAPTURE_WRITE on a write error). For hot loops.
   */
  append(data: Uint8Array, tsSec: number, tsNsec: number, wireLength: number = data.length): Promise<void> | undefined {
    this.checkOpen();
    if (!(data instanceof Uint8Array)) throw new TypeError(`expected a Uint8Array for data, received ${typeof data}`);
    checkU32('tsSec', tsSec);
    if (!Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec >= 1e9) throw new RangeError(`expected an integer in [0, 1e9) for tsNsec, received ${tsNsec}`);
    checkU32('wireLength', wireLength);
    if (wireLength < data.length) throw new RangeError(`expected wireLength >= data.length (${data.length}), received ${wireLength}`);
    const caplen = Math.min(data.length, this.snaplen);
    const need = PCAP_RECORD_HEADER + caplen;
    let wait: Promise<void> | undefined;
    if (this.used + need > this.buf.length) {
      wait = this.flush();
      if (need > this.buf.length) this.replaceBuffer(need);
    }
    const v = this.view;
    const o = this.used;
    v.setUint32(o, tsSec, true);
    v.setUint32(o + 4, tsNsec, true);
    v.setUint32(o + 8, caplen, true);
    v.setUint32(o + 12, wireLength, true);
    this.buf.set(caplen === data.length ? data : data.subarray(0, caplen), o + PCAP_RECORD_HEADER);
    this.used += need;
    this.packets++;
    if (this.failure !== undefined) return Promise.reject(this.writeError());
    if (wait === undefined) return undefined;
    return wait.then(() => {
      if (this.failure !== undefined) throw this.writeError();
    });
  }

  /**
   * append() of many packets in one native call per buffer
   * (native/pcap_write.h): the records append(packet, its TS_SEC, its
   * TS_NSEC, max(its WIRE_LENGTH, its length)) would write, in order. Same
   * Promise contract as append().
   */
  appendPackets(packets: BatchPackets): Promise<void> | undefined {
    const { batches, chunk, index, count } = packets;
    this.checkOpen();
    if (count > index.length || (chunk !== null && count > chunk.length)) throw new RangeError(`expected count <= the chunk and index lengths, received ${count}`);
    const buffers = batches.map((b) => b.buffer);
    let wait: Promise<void> | undefined;
    for (let done = 0; done < count; ) {
      const r = native().writePcapRecords(buffers, chunk && chunk.subarray(done), index.subarray(done), count - done, this.snaplen, this.buf, this.used);
      this.used += r.bytes;
      this.packets += r.records;
      done += r.records;
      if (done === count) break;
      // The buffer is full: hand it to the file (and make room for a record larger than a buffer).
      const flushed = this.flush();
      wait = wait ? wait.then(() => flushed) : flushed;
      const next = batches[chunk ? chunk[done] : 0];
      const need = PCAP_RECORD_HEADER + Math.min(next.length[index[done]], this.snaplen);
      if (need > this.buf.length) this.replaceBuffer(need);
    }
    if (this.failure !== undefined) return Promise.reject(this.writeError());
    if (wait === undefined) return undefined;
    return wait.then(() => {
      if (this.failure !== undefined) throw this.writeError();
    });
  }

  /**
   * Writes every packet of `batch` whose DROP column is 0, in order, with its
   * timestamp and wire length (at least its current length: an encapsulated
   * packet has grown since capture).
   */
  async writeBatch(batch: PacketBatch): Promise<void> {
    const index = Uint32Array.from({ length: batch.count }, (_, i) => i).filter((i) => batch.drop[i] === 0);
    await this.appendPackets({ batches: [batch], chunk: null, index, count: index.length });
  }

  /** Writes what is buffered, syncs, closes and renames the file to its final path. */
  async close(): Promise<void> {
    this.checkOpen();
    this.state = 'closed';
    try {
      await this.flush();
      await this.inFlight;
      if (this.failure !== undefined) throw this.writeError();
      await this.fh.close();
      await rename(this.tempPath, this.path);
    } catch (err) {
      await this.fh.close().catch(() => undefined);
      await unlink(this.tempPath).catch(() => undefined);
      throw err instanceof CaptureError ? err : new CaptureError(CaptureCode.WRITE, this.path, this.offset, this.packets, (err as Error).message);
    }
  }

  /** Discards the file: closes and removes the temporary file (idempotent; no-op after close()). */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.inFlight.catch(() => undefined);
    await this.fh.close().catch(() => undefined);
    await unlink(this.tempPath).catch(() => undefined);
  }

  /** Hands the buffered bytes to the file; resolves when at most this flush is still pending. */
  private flush(): Promise<void> {
    if (this.used === 0) return this.inFlight;
    const full = this.buf;
    const bytes = full.subarray(0, this.used);
    const position = this.offset;
    this.offset += this.used;
    if (this.spare) {
      this.buf = this.spare;
      this.view = new DataView(this.buf.buffer);
      this.spare = undefined;
    } else this.replaceBuffer(this.bufferSize);
    this.used = 0;
    const previous = this.inFlight;
    this.inFlight = previous
      .then(() => (this.failure === undefined ? this.writeAll(bytes, position) : undefined))
      .then(() => {
        if (full.length === this.bufferSize) this.spare = full;
      })
      .catch((err: unknown) => {
        this.failure ??= err;
      });
    // Back-pressure: the caller waits for the previous flush, so at most one is pending.
    return previous;
  }

  private async writeAll(bytes: Uint8Array, position: number): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, position + done);
      done += bytesWritten;
    }
  }

  private replaceBuffer(size: number): void {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new CaptureError(CaptureCode.WRITE, this.path, this.offset + this.used, this.packets, `writer is ${this.state}`);
  }

  private writeError(): CaptureError {
    return new CaptureError(CaptureCode.WRITE, this.path, this.offset, this.packets, `write failed: ${(this.failure as Error)?.message ?? String(this.failure)}`);
  }
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`expected an integer in [0, 2^32) for ${name}, received ${v}`);
}
