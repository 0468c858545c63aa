/**
 * Merges several captures into one stream in timestamp order (ties: the
 * input listed first, then file order), holding one pending packet per
 * input: memory stays bounded whatever the capture sizes.
 *
 * An input may select one interface of a pcapng capture (by `if_name` or by
 * index): it then yields only that interface's packets, so the interfaces of
 * one file mapped to different ports behave as separate inputs (each opens
 * the file; packets keep their index in the file).
 */
import type { PacketBatch } from '../datapath/batch.js';
import { openCapture, type BulkAppend, type CaptureInterface, type CaptureReader, type CaptureRecord } from '../pcap/index.js';
import { ReplayError } from './replay-error.js';
import { ifaceSuffix } from './replay-input.js';

/** One packet of the merged stream. */
export interface MergedRecord {
  /** Index of the input (in the order given). */
  input: number;
  record: CaptureRecord;
}

/** A capture file, or one interface of it (see ReplayInput.iface). */
export interface CaptureSelection {
  file: string;
  iface?: string | number;
}

/** Whether the selection `iface` (a name or an index) names interface `f`. */
function selects(iface: string | number, f: CaptureInterface): boolean {
  return typeof iface === 'number' ? f.id === iface : f.name === iface;
}

/** The file's interfaces, read until one that `iface` selects is described (or to the end). */
async function laterInterfaces(file: string, iface: string | number): Promise<readonly CaptureInterface[]> {
  const r = await openCapture(file);
  try {
    for await (const _ of r.records()) if (r.interfaces.some((f) => selects(iface, f))) break;
    return r.interfaces;
  } finally {
    await r.close();
  }
}

/** A head taken by next()/tryNext() whose successor is not read yet. */
const STALE = null;

export class InputMerge {
  /** Per input: its next packet, undefined at its end, STALE while its next packet is still to be read. */
  private readonly heads: (CaptureRecord | undefined | typeof STALE)[];
  /** Inputs whose head is STALE. */
  private stale = 0;
  /** Per input: file offset just past the last packet read (approximate for pcapng: block padding and options aside). */
  private readonly offsets: number[];
  /** Per input with an interface: whether each interface id is selected (filled as interfaces appear). */
  private readonly wanted: (Map<number, boolean> | undefined)[];

  private constructor(
    readonly readers: CaptureReader[],
    private readonly selections: CaptureSelection[],
    private readonly iterators: AsyncIterableIterator<CaptureRecord>[],
  ) {
    this.heads = readers.map(() => undefined);
    this.offsets = readers.map(() => 0);
    this.wanted = selections.map((s) => (s.iface === undefined ? undefined : new Map()));
  }

  /**
   * Opens every input (rejects with the first CaptureError, after closing
   * those already open). An interface selection that matches no interface
   * of the file rejects with ReplayError ERR_USAGE_REPLAY_IN listing the
   * interfaces there are (when the match is not among the interfaces
   * described before the first packet, the file is read ahead to find it).
   */
  static async open(inputs: readonly (string | CaptureSelection)[]): Promise<InputMerge> {
    const selections = inputs.map((i) => (typeof i === 'string' ? { file: i } : { file: i.file, ...(i.iface !== undefined ? { iface: i.iface } : {}) }));
    const readers: CaptureReader[] = [];
    try {
      for (const s of selections) {
        const r = await openCapture(s.file);
        readers.push(r);
        const iface = s.iface;
        if (iface !== undefined && !r.interfaces.some((f) => selects(iface, f))) {
          const all = await laterInterfaces(s.file, iface);
          if (all.some((f) => selects(iface, f))) continue;
          const list = all.map((f) => `#${f.id}${f.name !== undefined ? ` ${f.name}` : ''}`).join(', ');
          throw new ReplayError('ERR_USAGE_REPLAY_IN', `--in ${s.file}${ifaceSuffix(iface)}: no interface ${typeof iface === 'number' ? `#${iface}` : `named "${iface}"`} in ${s.file} (interfaces: ${list || 'none'})`);
        }
      }
    } catch (err) {
      await Promise.all(readers.map((r) => r.close()));
      throw err;
    }
    const m = new InputMerge(readers, selections, readers.map((r) => r.records()));
    for (let i = 0; i < readers.length; i++) {
      m.setHead(i, STALE);
      await m.refill(i);
    }
    return m;
  }

  /** File bytes consumed so far over all inputs (for progress; counts decompressed bytes of a gzip capture). */
  get bytes(): number {
    return this.offsets.reduce((a, b) => a + b, 0);
  }

  private keeps(i: number, rec: CaptureRecord): boolean {
    const w = this.wanted[i];
    if (!w) return true;
    let k = w.get(rec.interfaceId);
    if (k === undefined) {
      const f = this.readers[i].interfaces[rec.interfaceId];
      k = f !== undefined && selects(this.selections[i].iface as string | number, f);
      w.set(rec.interfaceId, k);
    }
    return k;
  }

  /** Reads input i's next packet (its head must be STALE). */
  private async refill(i: number): Promise<void> {
    if (this.refillBuffered(i)) return;
    for (;;) {
      const r = await this.iterators[i].next();
      if (r.done) {
        this.setHead(i, undefined);
        return;
      }
      this.offsets[i] = r.value.byteOffset + 16 + r.value.caplen;
      if (this.keeps(i, r.value)) {
        this.setHead(i, r.value);
        return;
      }
    }
  }

  /** Reads input i's next packet from what is buffered; false when that needs I/O (the head stays STALE). */
  private refillBuffered(i: number): boolean {
    for (;;) {
      const rec = this.readers[i].nextBuffered();
      if (rec === undefined) return false;
      this.offsets[i] = rec.byteOffset + 16 + rec.caplen;
      if (this.keeps(i, rec)) {
        this.setHead(i, rec);
        return true;
      }
    }
  }

  private setHead(i: number, h: CaptureRecord | undefined | typeof STALE): void {
    if (this.heads[i] === STALE) this.stale--;
    if (h === STALE) this.stale++;
    this.heads[i] = h;
  }

  /** Takes the earliest head (ties: the lowest input); undefined when every input ended. Every head must be read. */
  private take(): MergedRecord | undefined {
    let best = -1;
    let b: CaptureRecord | undefined;
    for (let i = 0; i < this.heads.length; i++) {
      const h = this.heads[i];
      if (!h) continue;
      if (!b || h.tsSec < b.tsSec || (h.tsSec === b.tsSec && h.tsNsec < b.tsNsec)) {
        best = i;
        b = h;
      }
    }
    if (!b) return undefined;
    this.setHead(best, STALE); // read again by the next tryNext()/next(), after any appendFollowing()
    return { input: best, record: b };
  }

  /** The next packet in timestamp order, or undefined at the end of every input. */
  async next(): Promise<MergedRecord | undefined> {
    if (this.stale > 0) for (let i = 0; i < this.heads.length; i++) if (this.heads[i] === STALE) await this.refill(i);
    return this.take();
  }

  /**
   * next() without a Promise, for hot loops: the next packet when it can be
   * had without reading the files, else undefined (then await next(), which
   * also says when every input ended). Same order as next().
   */
  tryNext(): MergedRecord | undefined {
    if (this.stale > 0) for (let i = 0; i < this.heads.length; i++) if (this.heads[i] === STALE && !this.refillBuffered(i)) return undefined;
    return this.take();
  }

  /**
   * Bulk path, right after tryNext()/next() returned a packet of input `i`:
   * appends to `batch` the packets of input `i` that come next in the
   * merged order and are already buffered (CaptureReader.appendBuffered:
   * natively, no record objects), up to `maxPackets`. Undefined when the
   * input has no bulk path, selects an interface, or another input's next
   * packet is not read yet (then go on with tryNext()).
   */
  appendFollowing(i: number, batch: PacketBatch, inPort: number, maxPackets: number): BulkAppend | undefined {
    if (this.heads[i] !== STALE || this.wanted[i] || maxPackets <= 0) return undefined;
    // Input i's packets go first while they are earlier than every other head (ties: the lower input).
    let limit: { sec: number; nsec: number; inclusive: boolean } | undefined;
    for (let j = 0; j < this.heads.length; j++) {
      if (j === i) continue;
      if (this.heads[j] === STALE && !this.refillBuffered(j)) return undefined;
      const h = this.heads[j];
      if (!h) continue;
      if (!limit || h.tsSec < limit.sec || (h.tsSec === limit.sec && h.tsNsec < limit.nsec)) limit = { sec: h.tsSec, nsec: h.tsNsec, inclusive: i < j };
    }
    const r = this.readers[i].appendBuffered(batch, { inPort, maxPackets, ...(limit ? { limit } : {}) });
    if (r && r.packets > 0) this.offsets[i] = r.endOffset;
    return r;
  }

  /** Closes every input (idempotent). */
  async close(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.close()));
  }
}
