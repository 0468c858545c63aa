/**
 * Classic pcap (libpcap savefile) parser: magic a1b2c3d4 (microsecond
 * timestamps) or a1b23c4d (nanosecond), in either byte order, version 2.x.
 *
 *   global header (24 bytes): magic, version major/minor (u16), thiszone,
 *     sigfigs, snaplen, linktype (low 26 bits; FCS info in the top bits)
 *   per packet (16 bytes):    ts_sec, ts_usec|ts_nsec, caplen, wire length,
 *                             then caplen bytes
 *
 * Why not the pcap-parser package: it only knows the microsecond magic (a
 * nanosecond file is an "unknown magic number"), accepts any version whose
 * minor is 4 (its check is `major != 2 && minor != 4`), reads the stream in
 * flowing mode with no back-pressure (a slow consumer buffers the whole
 * file), ends silently on a truncated record, trusts caplen (a corrupt length
 * buffers the rest of the file) and reports no offsets. Wrapping it would
 * leave nothing of it on the path that matters, so this parser is ours; the
 * tests use pcap-parser as an independent decoder of microsecond files.
 *
 * Timestamps: tv_usec values >= 1e6 (seen in files from broken writers) are
 * carried into the seconds; tshark prints them unnormalised ("1.1500000000").
 */
import type { PacketBatch } from '../datapath/batch.js';
import { native } from '../datapath/native.js';
import { CaptureError } from '../errors.js';
import { ByteSource, u16, u32 } from './byte-source.js';
import { CaptureCode } from './capture-codes.js';
import type { CaptureParser } from './capture-parser.js';
import type { BulkAppend, BulkAppendOptions, CaptureInterface, CaptureRecord } from './capture-types.js';
import { caplenLimit, caplenProblem } from './caplen-policy.js';
import { canonicalLinkType, unsupportedLinkTypeDetail } from './link-types.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const GLOBAL_HEADER = 24;
/** Bytes of a classic pcap record header (ts_sec, ts_frac, caplen, wire length). */
export const PCAP_RECORD_HEADER = 16;

export class ClassicPcapParser implements CaptureParser {
  readonly interfaces: CaptureInterface[];
  private index = 0;

  private constructor(
    private readonly src: ByteSource,
    private readonly path: string,
    private readonly le: boolean,
    private readonly nsecPerUnit: number,
    private readonly iface: CaptureInterface,
  ) {
    this.interfaces = [iface];
  }

  /** Reads and checks the global header; the source must be at offset 0 with the magic recognised as classic pcap. */
  static async open(src: ByteSource, path: string): Promise<ClassicPcapParser> {
    const got = await src.ensure(GLOBAL_HEADER);
    if (got < GLOBAL_HEADER)
      throw new CaptureError(CaptureCode.TRUNCATED, path, 0, 0, `file ends after ${got} bytes, inside the ${GLOBAL_HEADER}-byte pcap global header`);
    const h = src.take(GLOBAL_HEADER);
    const le = u32(h, 0, true) === PCAP_MAGIC_USEC || u32(h, 0, true) === PCAP_MAGIC_NSEC;
    const magic = u32(h, 0, le);
    const nano = magic === PCAP_MAGIC_NSEC;
    const major = u16(h, 4, le);
    const minor = u16(h, 6, le);
    // libpcap refuses major < 2 ("archaic") and anything it does not know; 2.x minors (2.2, 2.3, 2.4) are read alike.
    if (major !== 2) throw new CaptureError(CaptureCode.VERSION, path, 0, 0, `pcap version ${major}.${minor} is not supported (expected 2.x)`);
    const snaplen = u32(h, 16, le);
    const fileLinkType = u32(h, 20, le) & 0x03ffffff; // LT_LINKTYPE(): the top bits carry FCS information
    const linkType = canonicalLinkType(fileLinkType);
    if (linkType === undefined) throw new CaptureError(CaptureCode.LINKTYPE, path, 0, 0, unsupportedLinkTypeDetail(fileLinkType));
    const iface: CaptureInterface = {
      id: 0,
      section: 0,
      localId: 0,
      linkType,
      fileLinkType,
      snaplen,
      tsResolution: { base: 10, exponent: nano ? 9 : 6 },
      tsOffset: 0n,
    };
    return new ClassicPcapParser(src, path, le, nano ? 1 : 1000, iface);
  }

  nextBuffered(): CaptureRecord | undefined {
    const src = this.src;
    if (src.available < PCAP_RECORD_HEADER) return undefined;
    const caplen = this.checkedCaplen(src.offset);
    return src.available < PCAP_RECORD_HEADER + caplen ? undefined : this.record();
  }

  /**
   * The bulk path (native/pcap_records.h): whole, well-formed records of the
   * buffered bytes, straight into the batch. It stops before any record the
   * caplen policy would look at twice (caplen above caplenLimit or above
   * the wire length), so that record is read, and refused, by next().
   */
  appendBuffered(batch: PacketBatch, options: BulkAppendOptions): BulkAppend {
    const src = this.src;
    const chunk = src.buffered();
    const offsets = new Uint32Array(options.maxPackets);
    const r = native().appendPcapRecords(
      chunk,
      batch.buffer,
      {
        littleEndian: this.le,
        nanosecond: this.nsecPerUnit === 1,
        maxCaplen: caplenLimit(this.iface.snaplen),
        maxPackets: options.maxPackets,
        inPort: options.inPort,
        ...(options.limit ? { limit: options.limit } : {}),
      },
      offsets,
    );
    src.advance(r.bytes);
    const firstIndex = this.index;
    this.index += r.packets;
    return { packets: r.packets, firstIndex, chunk, dataOffsets: offsets.subarray(0, r.packets), endOffset: src.offset };
  }

  async next(): Promise<CaptureRecord | null> {
    const src = this.src;
    const at = src.offset;
    if (src.available < PCAP_RECORD_HEADER) {
      const got = await src.ensure(PCAP_RECORD_HEADER);
      if (got === 0) return null;
      if (got < PCAP_RECORD_HEADER)
        throw this.error(CaptureCode.TRUNCATED, at, `file ends ${got} bytes into a ${PCAP_RECORD_HEADER}-byte packet record header`);
    }
    const caplen = this.checkedCaplen(at);
    const need = PCAP_RECORD_HEADER + caplen;
    if (src.available < need) {
      const got = await src.ensure(need);
      if (got < need)
        throw this.error(CaptureCode.TRUNCATED, at, `file ends ${got - PCAP_RECORD_HEADER} bytes into a packet of captured length ${caplen}`);
    }
    return this.record();
  }

  /** The buffered record header's caplen, once it passed the caplen policy. */
  private checkedCaplen(at: number): number {
    const caplen = this.src.peekU32(8, this.le);
    const problem = caplenProblem(caplen, this.src.peekU32(12, this.le), this.iface.snaplen);
    if (problem !== undefined) throw this.error(CaptureCode.CAPLEN, at, problem);
    return caplen;
  }

  /** Consumes a checked, fully buffered record. */
  private record(): CaptureRecord {
    const src = this.src;
    const at = src.offset;
    const le = this.le;
    let tsSec = src.peekU32(0, le);
    let frac = src.peekU32(4, le);
    const caplen = src.peekU32(8, le);
    const wireLength = src.peekU32(12, le);
    src.advance(PCAP_RECORD_HEADER);
    const data = src.take(caplen);
    const perSec = this.nsecPerUnit === 1 ? 1e9 : 1e6;
    if (frac >= perSec) {
      tsSec += Math.floor(frac / perSec);
      frac %= perSec;
    }
    return {
      index: this.index++,
      interfaceId: 0,
      linkType: this.iface.linkType,
      tsSec,
      tsNsec: frac * this.nsecPerUnit,
      caplen,
      wireLength,
      data,
      byteOffset: at,
    };
  }

  private error(code: string, at: number, detail: string): CaptureError {
    return new CaptureError(code, this.path, at, this.index, detail);
  }
}
