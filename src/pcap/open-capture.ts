/**
 * openCapture(): opens a classic pcap or pcapng file by its magic number and
 * streams its packets with bounded memory (one read chunk, about 1 MiB, plus
 * the packet or block being read), whatever the file size.
 *
 * A gzip-compressed capture (.pcap.gz, .pcapng.gz, as tshark reads them) is
 * decompressed on the fly; byte offsets then count decompressed bytes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

import type { PacketBatch } from '../datapath/batch.js';
import { CaptureError } from '../errors.js';
import { ByteSource, SourceError, u32 } from './byte-source.js';
import { CaptureCode } from './capture-codes.js';
import type { CaptureParser } from './capture-parser.js';
import type { BulkAppend, BulkAppendOptions, CaptureFormat, CaptureInterface, CaptureReader, CaptureRecord } from './capture-types.js';
import { ClassicPcapParser, PCAP_MAGIC_NSEC, PCAP_MAGIC_USEC } from './classic-pcap-parser.js';
import { BLOCK_SHB, PcapngParser } from './pcapng-parser.js';

export interface OpenCaptureOptions {
  /** Bytes read from the file at a time (default 1 MiB). */
  chunkSize?: number;
}

const DEFAULT_CHUNK = 1 << 20;

/**
 * Opens a capture file and reads its header (pcapng: every block before the
 * first packet, so `interfaces` is known). Rejects with a CaptureError:
 * ERR_CAPTURE_NOT_FOUND / ERR_CAPTURE_OPEN when the file cannot be read,
 * ERR_CAPTURE_BAD_MAGIC when it is not pcap or pcapng, ERR_CAPTURE_VERSION,
 * ERR_CAPTURE_TRUNCATED, ERR_CAPTURE_BAD_BLOCK, ERR_CAPTURE_LINKTYPE (classic
 * pcap of a link type the simulator does not read).
 */
export async function openCapture(path: string, options: OpenCaptureOptions = {}): Promise<CaptureReader> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`expected a non-empty string for path, received ${String(path)}`);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkSize) || chunkSize < 16 || chunkSize > 1 << 30)
    throw new RangeError(`expected an integer in [16, 2^30] for chunkSize, received ${chunkSize}`);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw openError(path, err);
  }
  let src: ByteSource | undefined;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new CaptureError(CaptureCode.OPEN, path, 0, 0, 'is a directory, not a capture file');
    src = new ByteSource(await maybeGunzip(fileChunks(fh, chunkSize)));
    const got = await src.ensure(4);
    if (got < 4) throw new CaptureError(CaptureCode.TRUNCATED, path, 0, 0, got === 0 ? 'file is empty' : `file ends after ${got} bytes, inside the magic number`);
    const m = src.peek(4);
    const magicLe = u32(m, 0, true);
    const magicBe = u32(m, 0, false);
    let parser: CaptureParser;
    let format: CaptureFormat;
    if ([PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC].includes(magicLe) || [PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC].includes(magicBe)) {
      parser = await ClassicPcapParser.open(src, path);
      format = 'pcap';
    } else if (magicLe === BLOCK_SHB) {
      parser = await PcapngParser.open(src, path);
      format = 'pcapng';
    } else {
      throw new CaptureError(CaptureCode.BAD_MAGIC, path, 0, 0, badMagicDetail(m));
    }
    return new FileCaptureReader(path, format, fh, src, parser);
  } catch (err) {
    await src?.close().catch(() => undefined);
    await fh.close().catch(() => undefined);
    throw err instanceof SourceError ? new CaptureError(err.code, path, err.offset, 0, err.detail) : err;
  }
}

class FileCaptureReader implements CaptureReader {
  private started = false;
  private closed = false;

  constructor(
    readonly path: string,
    readonly format: CaptureFormat,
    private readonly fh: FileHandle,
    private readonly src: ByteSource,
    private readonly parser: CaptureParser,
  ) {}

  get interfaces(): readonly CaptureInterface[] {
    return this.parser.interfaces;
  }

  records(): AsyncIterableIterator<CaptureRecord> {
    if (this.started) throw new Error(`records() of ${this.path} can be iterated only once; open the file again`);
    this.started = true;
    return this.iterate();
  }

  nextBuffered(): CaptureRecord | undefined {
    return this.started && !this.closed ? this.parser.nextBuffered() : undefined;
  }

  appendBuffered(batch: PacketBatch, options: BulkAppendOptions): BulkAppend | undefined {
    return this.started && !this.closed ? this.parser.appendBuffered?.(batch, options) : undefined;
  }

  private async *iterate(): AsyncGenerator<CaptureRecord> {
    let index = 0;
    try {
      const parser = this.parser;
      for (;;) {
        const rec = parser.nextBuffered() ?? (await parser.next());
        if (rec === null) return;
        index = rec.index + 1;
        yield rec;
      }
    } catch (err) {
      throw err instanceof SourceError ? new CaptureError(err.code, this.path, err.offset, index, err.detail) : err;
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.src.close().catch(() => undefined);
    await this.fh.close();
  }
}

/** The file's bytes in chunks of up to `chunkSize`, each a fresh buffer. */
async function* fileChunks(fh: FileHandle, chunkSize: number): AsyncGenerator<Uint8Array> {
  let position = 0;
  for (;;) {
    const buf = Buffer.allocUnsafeSlow(chunkSize);
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, 0, chunkSize, null));
    } catch (err) {
      throw new SourceError(CaptureCode.OPEN, position, `read failed: ${(err as Error).message}`);
    }
    if (bytesRead === 0) return;
    position += bytesRead;
    // A short read (a pipe, the end of the file) would pin a mostly empty buffer: copy it.
    const view = new Uint8Array(buf.buffer, buf.byteOffset, bytesRead); // plain Uint8Array, not Buffer
    yield bytesRead < chunkSize / 2 ? view.slice() : view;
  }
}

/** The chunks, decompressed when they start with the gzip magic 1f 8b. */
async function maybeGunzip(chunks: AsyncGenerator<Uint8Array>): Promise<AsyncIterator<Uint8Array>> {
  const first = await chunks.next();
  if (first.done) return chunks;
  async function* all(): AsyncGenerator<Uint8Array> {
    yield first.value as Uint8Array;
    yield* chunks;
  }
  const head = first.value;
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) return all();
  const gunzip = createGunzip({ chunkSize: 1 << 16 });
  const done = pipeline(Readable.from(all(), { objectMode: false }), gunzip);
  done.catch(() => undefined); // errors surface through the iteration below
  return (async function* inflated(): AsyncGenerator<Uint8Array> {
    let out = 0;
    try {
      for await (const c of gunzip as AsyncIterable<Buffer>) {
        out += c.length;
        yield new Uint8Array(c.buffer, c.byteOffset, c.length);
      }
      await done;
    } catch (err) {
      if (err instanceof SourceError) throw err;
      const code = (err as { code?: unknown }).code;
      const truncated = code === 'Z_BUF_ERROR' || /unexpected end/i.test((err as Error).message);
      throw new SourceError(
        truncated ? CaptureCode.TRUNCATED : CaptureCode.BAD_MAGIC,
        out,
        truncated ? `gzip stream ends early, after ${out} decompressed bytes` : `corrupt gzip data after ${out} decompressed bytes: ${(err as Error).message}`,
      );
    } finally {
      gunzip.destroy();
    }
  })();
}

function openError(path: string, err: unknown): CaptureError {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return new CaptureError(CaptureCode.NOT_FOUND, path, 0, 0, 'no such file');
  if (code === 'EACCES' || code === 'EPERM') return new CaptureError(CaptureCode.OPEN, path, 0, 0, 'permission denied');
  return new CaptureError(CaptureCode.OPEN, path, 0, 0, `cannot open: ${(err as Error).message}`);
}

function badMagicDetail(m: Uint8Array): string {
  const hex = [...m].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (hex === 'a1b2cd34' || hex === '34cdb2a1') return `modified pcap format (Kuznetzov patches, magic ${hex}) is not supported; convert it with editcap -F pcap`;
  return `not a pcap or pcapng file: magic ${hex}, expected a1b2c3d4 / a1b23c4d (pcap, either byte order) or 0a0d0d0a (pcapng)`;
}
