/**
 * The contract between openCapture() and a format's parser.
 */
import type { PacketBatch } from '../datapath/batch.js';
import type { BulkAppend, BulkAppendOptions, CaptureInterface, CaptureRecord } from './capture-types.js';

/** A format parser positioned after the file header. */
export interface CaptureParser {
  /** Interfaces known so far (grows while reading pcapng). */
  readonly interfaces: CaptureInterface[];
  /** The next packet, or null at a clean end of file. Throws CaptureError on bad input. */
  next(): Promise<CaptureRecord | null>;
  /**
   * Fast path: the next packet when it is already buffered and needs no
   * other block first, else undefined (then call next()). Same checks and
   * errors as next().
   */
  nextBuffered(): CaptureRecord | undefined;
  /** Bulk path (CaptureReader.appendBuffered), for formats that have one. */
  appendBuffered?(batch: PacketBatch, options: BulkAppendOptions): BulkAppend;
}
