/**
 * Merges several captures into one stream in timestamp order (ties: the
 * input listed first, then file order), holding one pending packet per
 * input: memory stays bounded whatever the capture sizes.
 */
import { openCapture, type CaptureReader, type CaptureRecord } from '../pcap/index.js';

/** One packet of the merged stream. */
export interface MergedRecord {
  /** Index of the input (in the order given). */
  input: number;
  record: CaptureRecord;
}

export class InputMerge {
  private readonly heads: (CaptureRecord | undefined)[];
  /** Per input: file offset just past the last packet read (approximate for pcapng: block padding and options aside). */
  private readonly offsets: number[];

  private constructor(
    readonly readers: CaptureReader[],
    private readonly iterators: AsyncIterableIterator<CaptureRecord>[],
  ) {
    this.heads = readers.map(() => undefined);
    this.offsets = readers.map(() => 0);
  }

  /** Opens every file (rejects with the first CaptureError, after closing those already open). */
  static async open(files: readonly string[]): Promise<InputMerge> {
    const readers: CaptureReader[] = [];
    try {
      for (const f of files) readers.push(await openCapture(f));
    } catch (err) {
      await Promise.all(readers.map((r) => r.close()));
      throw err;
    }
    const m = new InputMerge(readers, readers.map((r) => r.records()));
    for (let i = 0; i < readers.length; i++) await m.refill(i);
    return m;
  }

  /** File bytes consumed so far over all inputs (for progress; counts decompressed bytes of a gzip capture). */
  get bytes(): number {
    return this.offsets.reduce((a, b) => a + b, 0);
  }

  private async refill(i: number): Promise<void> {
    const r = await this.iterators[i].next();
    this.heads[i] = r.done ? undefined : r.value;
    if (!r.done) this.offsets[i] = r.value.byteOffset + 16 + r.value.caplen;
  }

  /** The next packet in timestamp order, or undefined at the end of every input. */
  async next(): Promise<MergedRecord | undefined> {
    let best = -1;
    for (let i = 0; i < this.heads.length; i++) {
      const h = this.heads[i];
      if (!h) continue;
      const b = best >= 0 ? this.heads[best] : undefined;
      if (!b || h.tsSec < b.tsSec || (h.tsSec === b.tsSec && h.tsNsec < b.tsNsec)) best = i;
    }
    if (best < 0) return undefined;
    const record = this.heads[best] as CaptureRecord;
    await this.refill(best);
    return { input: best, record };
  }

  /** Closes every input (idempotent). */
  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close()));
  }
}
