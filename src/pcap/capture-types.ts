/**
 * The shapes a capture reader hands out: interfaces and packet records.
 * Shared by the classic pcap and the pcapng readers.
 */

import type { PacketBatch } from '../datapath/batch.js';

/** The file format found by its magic number. */
export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * A timestamp unit: 1 / base^exponent seconds. Classic pcap is 10^-6 (magic
 * a1b2c3d4) or 10^-9 (magic a1b23c4d); pcapng says it per interface with
 * `if_tsresol` (default 10^-6; high bit set means a power of 2).
 */
export interface TsResolution {
  base: 10 | 2;
  exponent: number;
}

/** One capture interface (classic pcap has exactly one, id 0). */
export interface CaptureInterface {
  /**
   * Index of the interface in the file, counted across pcapng sections in the
   * order the Interface Description Blocks appear. Classic pcap: 0.
   */
  id: number;
  /** Section the interface belongs to, from 0 (tshark's frame.section_number - 1). */
  section: number;
  /** Index within its section, as packet blocks name it (tshark 4.0's frame.interface_id). */
  localId: number;
  /**
   * The link type, canonical (DLT_RAW values 12 and 14 become RAW 101). A
   * value the simulator does not read stays as found; reading a packet of
   * such an interface throws ERR_CAPTURE_LINKTYPE.
   */
  linkType: number;
  /** The link type exactly as written in the file (classic: FCS bits masked off). */
  fileLinkType: number;
  /** Snapshot length; 0 means "no limit" (pcapng) or "not set" (classic). */
  snaplen: number;
  tsResolution: TsResolution;
  /** pcapng `if_tsoffset`: seconds added to every timestamp (0 when absent). */
  tsOffset: bigint;
  /** pcapng `if_name`, when present. */
  name?: string;
}

/** One captured packet. */
export interface CaptureRecord {
  /** 0-based packet index in the file (tshark's frame.number is index + 1). */
  index: number;
  /** CaptureInterface.id of the interface the packet was captured on. */
  interfaceId: number;
  /** The interface's canonical link type (always a supported one). */
  linkType: number;
  /** Timestamp: whole seconds since the epoch (exact; may exceed 2^32 in pcapng). */
  tsSec: number;
  /** Timestamp: nanoseconds within the second, [0, 1e9). Sub-nanosecond units are truncated. */
  tsNsec: number;
  /** Bytes captured (data.length). */
  caplen: number;
  /** Length of the packet on the wire, >= caplen. */
  wireLength: number;
  /**
   * The captured bytes: a view into a read chunk that the reader never
   * reuses, so it stays valid; it keeps that chunk (about 1 MiB) alive, so
   * copy (`slice()`) packets you keep for long.
   */
  data: Uint8Array;
  /** File offset of the record header (classic) or the block (pcapng) holding the packet. */
  byteOffset: number;
}

/** Limits of a bulk append (CaptureReader.appendBuffered). */
export interface BulkAppendOptions {
  /** in_port written for every packet appended. */
  inPort: number;
  /** Append at most this many packets. */
  maxPackets: number;
  /** Stop at the first packet later than this time (or as late, unless `inclusive`). */
  limit?: { sec: number; nsec: number; inclusive: boolean };
}

/** What a bulk append added to the batch. */
export interface BulkAppend {
  /** Packets appended (at the batch's end, in file order). */
  packets: number;
  /** Index of the first of them in the file. */
  firstIndex: number;
  /** The read chunk holding their captured bytes (never reused by the reader). */
  chunk: Uint8Array;
  /** Where each one's captured bytes start in `chunk` (its length is its batch LENGTH). */
  dataOffsets: Uint32Array;
  /** File offset just past the last packet appended. */
  endOffset: number;
}

/** A capture file being read. Obtained from openCapture(). */
export interface CaptureReader {
  readonly path: string;
  readonly format: CaptureFormat;
  /**
   * Interfaces known so far: all those described before the first packet
   * when openCapture() resolves; a pcapng file may add more later (a new
   * section, an IDB between packets), and they are appended as they are read.
   */
  readonly interfaces: readonly CaptureInterface[];
  /**
   * The packets in file order. Can be iterated once; the file is closed when
   * the iteration ends, breaks or throws. Throws CaptureError (src/errors.ts)
   * with a code from CaptureCode on bad input.
   */
  records(): AsyncIterableIterator<CaptureRecord>;
  /**
   * Fast path beside records(), for hot loops: the next packet when it is
   * already buffered (no I/O, no Promise), else undefined: then take the
   * next one from records(), which goes on after it. Also undefined before
   * records() was called and after the end. Throws CaptureError on bad input.
   */
  nextBuffered(): CaptureRecord | undefined;
  /**
   * Bulk path beside nextBuffered(): appends the packets that follow and are
   * already buffered straight to `batch` (natively, no record objects), as
   * far as they are well formed, fit the batch and come before
   * `options.limit`; the first packet it does not take is read as usual
   * (nextBuffered()/records() go on with it and raise any problem it has).
   * Undefined when the format has no bulk path (pcapng) or before
   * records() was called and after the end.
   */
  appendBuffered(batch: PacketBatch, options: BulkAppendOptions): BulkAppend | undefined;
  /** Closes the file (idempotent; also done when records() finishes). */
  close(): Promise<void>;
}
