/**
 * ByteSource: exact-length sequential reads over a stream of chunks, with the
 * absolute offset of every byte. Memory is bounded: it holds the chunk being
 * read plus whatever one ensure(n) call needs (n bytes and the chunk that
 * completed them).
 *
 * Views returned by take() point into chunks that are never written again,
 * so they stay valid after later reads.
 */
const EMPTY = new Uint8Array(0);

/**
 * A failure of the underlying stream (I/O error, corrupt compression),
 * thrown by a chunk iterator. The reader turns it into a CaptureError with
 * the index of the packet being read.
 */
export class SourceError extends Error {
  constructor(
    readonly code: string,
    /** Offset in the (decompressed) stream where it happened. */
    readonly offset: number,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'SourceError';
  }
}

export class ByteSource {
  private cur: Uint8Array = EMPTY;
  private pos = 0;
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private ended = false;
  private consumed = 0;

  /** `chunks` yields the stream's bytes in order; empty chunks are ignored. */
  constructor(private readonly chunks: AsyncIterator<Uint8Array>) {}

  /** Absolute offset of the next unread byte. */
  get offset(): number {
    return this.consumed;
  }

  /** Contiguous bytes readable now without waiting. */
  get available(): number {
    return this.cur.length - this.pos;
  }

  /**
   * Makes `n` contiguous bytes available, reading more chunks if needed.
   * Resolves to the contiguous bytes available: >= n, or fewer only when the
   * stream ended first (then it is everything left).
   */
  async ensure(n: number): Promise<number> {
    if (this.cur.length - this.pos >= n) return this.cur.length - this.pos;
    let total = this.cur.length - this.pos + this.queued;
    while (total < n && !this.ended) {
      const r = await this.chunks.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      if (r.value.length === 0) continue;
      this.queue.push(r.value);
      this.queued += r.value.length;
      total += r.value.length;
    }
    const want = Math.min(n, total);
    const have = this.cur.length - this.pos;
    if (have === 0 && this.queue.length > 0 && this.queue[0].length >= want) {
      // The next chunk alone is enough: use it in place.
      this.cur = this.shift();
      this.pos = 0;
      return this.cur.length;
    }
    if (have >= want) return have;
    // Straddling: copy exactly the bytes needed into one buffer.
    const merged = new Uint8Array(want);
    merged.set(this.cur.subarray(this.pos), 0);
    let filled = have;
    while (filled < want) {
      const head = this.queue[0];
      const k = Math.min(head.length, want - filled);
      merged.set(head.subarray(0, k), filled);
      filled += k;
      if (k === head.length) this.shift();
      else {
        this.queue[0] = head.subarray(k);
        this.queued -= k;
      }
    }
    this.cur = merged;
    this.pos = 0;
    return want;
  }

  /** Peeks at the next `n` bytes (a view; requires available >= n). */
  peek(n: number): Uint8Array {
    if (this.cur.length - this.pos < n) throw new RangeError(`peek(${n}) with ${this.available} bytes available`);
    return this.cur.subarray(this.pos, this.pos + n);
  }

  /** The contiguous bytes readable now without waiting (a view; see `available`). */
  buffered(): Uint8Array {
    return this.cur.subarray(this.pos);
  }

  /** The unsigned 32-bit value `at` bytes ahead (requires available >= at + 4); no view is made. */
  peekU32(at: number, le: boolean): number {
    if (this.cur.length - this.pos < at + 4) throw new RangeError(`peekU32(${at}) with ${this.available} bytes available`);
    return u32(this.cur, this.pos + at, le);
  }

  /** Consumes the next `n` bytes without returning them (requires available >= n). */
  advance(n: number): void {
    if (this.cur.length - this.pos < n) throw new RangeError(`advance(${n}) with ${this.available} bytes available`);
    this.pos += n;
    this.consumed += n;
  }

  /** Consumes the next `n` bytes and returns them (a view; requires available >= n). */
  take(n: number): Uint8Array {
    if (this.cur.length - this.pos < n) throw new RangeError(`take(${n}) with ${this.available} bytes available`);
    const view = this.cur.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.consumed += n;
    return view;
  }

  /** Discards up to `n` bytes without keeping them; resolves to the bytes discarded (< n only at the end). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      if (this.cur.length - this.pos === 0) {
        if (this.queue.length > 0) {
          this.cur = this.shift();
          this.pos = 0;
        } else if ((await this.ensure(1)) === 0) break;
      }
      const k = Math.min(left, this.cur.length - this.pos);
      this.pos += k;
      this.consumed += k;
      left -= k;
    }
    return n - left;
  }

  /** Stops the underlying chunk iterator (idempotent). */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    this.queued = 0;
    await this.chunks.return?.();
  }

  private shift(): Uint8Array {
    const c = this.queue.shift() as Uint8Array;
    this.queued -= c.length;
    return c;
  }
}

/** Little- or big-endian unsigned reads on byte arrays (no DataView per packet). */
export function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1];
}

export function u32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 0x1000000
    : b[o] * 0x1000000 + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

/** Unsigned 64-bit read as a BigInt. */
export function u64(b: Uint8Array, o: number, le: boolean): bigint {
  const first = BigInt(u32(b, o, le));
  const second = BigInt(u32(b, o + 4, le));
  return le ? (second << 32n) | first : (first << 32n) | second;
}
