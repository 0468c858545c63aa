/**
 * batches(): packs a capture's records into PacketBatches for the datapath.
 */
import { PacketBatch } from '../datapath/batch.js';
import type { CaptureReader, CaptureRecord } from './capture-types.js';

export interface CaptureBatchOptions {
  /** Packets per batch (default 256). */
  capacity?: number;
  /** Data bytes per batch (default 1 MiB); a batch grows to hold a single larger packet. */
  dataSize?: number;
  /** Headroom reserved in front of each packet (default 128, PacketBatch's default). */
  headroom?: number;
  /** Tailroom reserved after each packet (default 0). */
  tailroom?: number;
  /** Start a new batch when the interface changes (default false: only the link type splits). */
  splitByInterface?: boolean;
  /** The datapath in-port of a record (default 0). */
  inPort?: (record: CaptureRecord) => number;
}

/** One batch of consecutive packets of one link type. */
export interface CaptureBatch {
  /** A fresh batch (never reused by batches(): it may be transferred to a worker). */
  batch: PacketBatch;
  /** The link type of every packet in the batch. */
  linkType: number;
  /** The interface of every packet in the batch, when they share one. */
  interfaceId?: number;
  /** CaptureRecord.index of the batch's first packet. */
  firstIndex: number;
}

const DEFAULT_CAPACITY = 256;
const DEFAULT_DATA_SIZE = 1 << 20;
const DEFAULT_HEADROOM = 128;
const SLOT_ALIGN = 8;

/**
 * Reads every record of `reader` into batches, in file order. A batch ends
 * when it is full (capacity or data bytes) or when the next packet has another
 * link type (or interface, with splitByInterface). Each packet keeps its
 * caplen bytes, wire length and timestamp; TS_SEC is a 32-bit column, so
 * pcapng seconds beyond 2^32 wrap there (the record keeps them exact).
 * Throws what reader.records() throws, after yielding the batch of the
 * packets read before the fault (so a truncated file still shows them).
 */
export async function* batches(reader: CaptureReader, options: CaptureBatchOptions = {}): AsyncGenerator<CaptureBatch> {
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  const dataSize = options.dataSize ?? DEFAULT_DATA_SIZE;
  const headroom = options.headroom ?? DEFAULT_HEADROOM;
  const tailroom = options.tailroom ?? 0;
  const split = options.splitByInterface ?? false;
  const inPort = options.inPort ?? (() => 0);
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`expected a positive integer for capacity, received ${capacity}`);
  if (!Number.isInteger(dataSize) || dataSize < 1) throw new RangeError(`expected a positive integer for dataSize, received ${dataSize}`);

  let current: CaptureBatch | undefined;
  const fresh = (rec: CaptureRecord): CaptureBatch => {
    const need = Math.ceil((headroom + rec.caplen + tailroom) / SLOT_ALIGN) * SLOT_ALIGN;
    return {
      batch: PacketBatch.create({ capacity, dataSize: Math.max(dataSize, need), headroom, tailroom }),
      linkType: rec.linkType,
      interfaceId: rec.interfaceId,
      firstIndex: rec.index,
    };
  };
  let fault: unknown;
  try {
    for await (const rec of reader.records()) {
      const meta = { wireLength: rec.wireLength, tsSec: rec.tsSec >>> 0, tsNsec: rec.tsNsec, inPort: inPort(rec) };
      if (current !== undefined) {
        const sameLink = current.linkType === rec.linkType;
        const sameIface = current.interfaceId === rec.interfaceId;
        if (sameLink && (sameIface || !split) && current.batch.append(rec.data, meta)) {
          if (!sameIface) delete current.interfaceId;
          continue;
        }
        yield current;
      }
      current = fresh(rec);
      current.batch.append(rec.data, meta);
    }
  } catch (err) {
    fault = err;
  }
  if (current !== undefined) yield current;
  if (fault !== undefined) throw fault;
}
