/**
 * pcapng parser (draft-ietf-opsawg-pcapng): every section, in either byte
 * order, with any number of interfaces of their own link types and time
 * resolutions.
 *
 *   block: type (u32), total length (u32, multiple of 4, >= 12),
 *          body, total length again
 *   SHB 0x0A0D0D0A: byte-order magic 0x1A2B3C4D (gives the section's byte
 *       order), version major (1) / minor, section length (i64, ignored), options
 *   IDB 1: link type (u16), reserved, snaplen (u32, 0 = no limit), options
 *       (if_name 2, if_tsresol 9, if_tsoffset 14)
 *   EPB 6: interface id, timestamp high, low, caplen, wire length, data, options
 *   SPB 3: wire length, data (caplen = min(wire length, snaplen of interface 0));
 *       no timestamp: reported as 0 (tshark prints none)
 *   OPB 2 (obsolete Packet Block): interface id (u16), drops (u16), then as EPB
 *   anything else (NRB 4, ISB 5, DSB 10, custom 0xBAD / 0x40000BAD, ...) is
 *   skipped by its length, which is still checked.
 *
 * Interface ids in packet blocks are local to their section; records carry
 * the file-wide CaptureInterface.id.
 * Timestamps are computed with BigInt: sec = ts / units + if_tsoffset,
 * nsec = floor((ts % units) * 1e9 / units), exact for every resolution.
 * (tshark 4.0 computes (ts % units) * 1e9 in 64 bits, which overflows for
 * resolutions finer than about 10^-10 s and prints wrong fractions there.)
 *
 * Custom blocks (0xBAD, 0x40000BAD) are skipped; tshark 4.0 lists them as
 * frames of their own (protocol "PCAPNG"), which are not packets.
 */
import { CaptureError } from '../errors.js';
import { ByteSource, u16, u32, u64 } from './byte-source.js';
import { CaptureCode } from './capture-codes.js';
import type { CaptureParser } from './capture-parser.js';
import type { CaptureInterface, CaptureRecord, TsResolution } from './capture-types.js';
import { caplenProblem } from './caplen-policy.js';
import { canonicalLinkType, unsupportedLinkTypeDetail } from './link-types.js';

export const BLOCK_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_OPB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;

/** Minimum total lengths (an empty options list). */
const MIN_LENGTH: ReadonlyMap<number, number> = new Map([
  [BLOCK_SHB, 28],
  [BLOCK_IDB, 20],
  [BLOCK_OPB, 32],
  [BLOCK_SPB, 16],
  [BLOCK_EPB, 32],
]);
const MIN_BLOCK = 12;
/** Largest block of metadata (SHB, IDB) or options area of a packet block we buffer. */
const MAX_METADATA = 16 * 1024 * 1024;

const OPT_ENDOFOPT = 0;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

interface IfaceState {
  info: CaptureInterface;
  units: bigint;
  nsecPerUnit: bigint; // exact when units divides 1e9, else 0n (use the general formula)
  supported: boolean;
}

const pad4 = (n: number): number => (n + 3) & ~3;

export class PcapngParser implements CaptureParser {
  readonly interfaces: CaptureInterface[] = [];
  private readonly states: IfaceState[] = [];
  /** File-wide interface index of each interface of the current section. */
  private section: number[] = [];
  private sectionNumber = -1;
  private le = true;
  private index = 0;

  private constructor(
    private readonly src: ByteSource,
    private readonly path: string,
  ) {}

  /**
   * Reads the first section header and every block up to the first packet
   * block, so that `interfaces` is filled; the source must be at offset 0.
   */
  static async open(src: ByteSource, path: string): Promise<PcapngParser> {
    const p = new PcapngParser(src, path);
    for (;;) {
      const got = await src.ensure(8);
      if (got === 0) break;
      if (got >= 4 && p.src.offset > 0) {
        const type = u32(src.peek(4), 0, p.le);
        if (type === BLOCK_EPB || type === BLOCK_SPB || type === BLOCK_OPB) break;
      }
      const rec = await p.block();
      if (rec !== undefined) throw new Error('unreachable: a packet block read while priming interfaces');
    }
    return p;
  }

  nextBuffered(): CaptureRecord | undefined {
    const src = this.src;
    if (src.available < 28) return undefined;
    const h = src.peek(8);
    if (u32(h, 0, this.le) !== BLOCK_EPB) return undefined;
    const len = u32(h, 4, this.le);
    // Only a plausible, fully buffered EPB; anything else takes the checked path.
    if (len % 4 !== 0 || len < 32 || src.available < len) return undefined;
    const caplen = u32(src.peek(28), 20, this.le);
    if (28 + pad4(caplen) + 4 > len || len - 28 - pad4(caplen) - 4 > MAX_METADATA) return undefined;
    return this.epb(src.offset, len);
  }

  async next(): Promise<CaptureRecord | null> {
    for (;;) {
      if (this.src.available === 0 && (await this.src.ensure(1)) === 0) return null;
      const rec = await this.block();
      if (rec !== undefined) return rec;
    }
  }

  /** Reads one block; resolves to its packet when it is a packet block. */
  private async block(): Promise<CaptureRecord | undefined> {
    const src = this.src;
    const at = src.offset;
    const got = await src.ensure(8);
    if (got < 8) throw this.error(CaptureCode.TRUNCATED, at, `file ends ${got} bytes into a block header`);
    let type = u32(src.peek(8), 0, this.le);
    if (type === BLOCK_SHB) {
      const g = await src.ensure(12);
      if (g < 12) throw this.error(CaptureCode.TRUNCATED, at, `file ends ${g} bytes into a section header block`);
      const bom = src.peek(12);
      if (u32(bom, 8, true) === BYTE_ORDER_MAGIC) this.le = true;
      else if (u32(bom, 8, false) === BYTE_ORDER_MAGIC) this.le = false;
      else
        throw this.error(
          CaptureCode.BAD_MAGIC,
          at,
          `section header block has byte-order magic 0x${u32(bom, 8, false).toString(16).padStart(8, '0')}, expected 0x1a2b3c4d in either byte order`,
        );
      type = BLOCK_SHB;
    }
    const len = u32(src.peek(8), 4, this.le);
    const min = MIN_LENGTH.get(type) ?? MIN_BLOCK;
    if (len % 4 !== 0) throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(type)} has total length ${len}, not a multiple of 4`);
    if (len < min) throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(type)} has total length ${len}, smaller than its minimum ${min}`);

    switch (type) {
      case BLOCK_SHB:
      case BLOCK_IDB: {
        if (len > MAX_METADATA) throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(type)} has implausible total length ${len}`);
        const b = await this.whole(at, type, len);
        if (type === BLOCK_SHB) this.sectionHeader(b, at);
        else this.interfaceDescription(b, at);
        return undefined;
      }
      case BLOCK_EPB:
      case BLOCK_OPB:
        return this.packetBlock(at, type, len);
      case BLOCK_SPB:
        return this.simplePacket(at, len);
      default: {
        // Unknown or unused block: skip its body, check its trailer.
        src.take(8);
        const skipped = await src.skip(len - 12);
        if (skipped < len - 12) throw this.error(CaptureCode.TRUNCATED, at, `file ends ${8 + skipped} bytes into a ${len}-byte ${blockName(type)}`);
        const g = await src.ensure(4);
        if (g < 4) throw this.error(CaptureCode.TRUNCATED, at, `file ends ${len - 4 + g} bytes into a ${len}-byte ${blockName(type)}`);
        const trailer = u32(src.take(4), 0, this.le);
        if (trailer !== len) throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(type)} has total length ${len} but trailing length ${trailer}`);
        return undefined;
      }
    }
  }

  /** Buffers and consumes a whole block, checking truncation and the trailing length. */
  private async whole(at: number, type: number, len: number): Promise<Uint8Array> {
    const got = await this.src.ensure(len);
    if (got < len) throw this.error(CaptureCode.TRUNCATED, at, `file ends ${got} bytes into a ${len}-byte ${blockName(type)}`);
    const b = this.src.take(len);
    const trailer = u32(b, len - 4, this.le);
    if (trailer !== len) throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(type)} has total length ${len} but trailing length ${trailer}`);
    return b;
  }

  private sectionHeader(b: Uint8Array, at: number): void {
    const major = u16(b, 12, this.le);
    const minor = u16(b, 14, this.le);
    if (major !== 1) throw this.error(CaptureCode.VERSION, at, `pcapng version ${major}.${minor} is not supported (expected 1.x)`);
    this.section = [];
    this.sectionNumber++;
  }

  private interfaceDescription(b: Uint8Array, at: number): void {
    const le = this.le;
    const fileLinkType = u16(b, 8, le);
    const snaplen = u32(b, 12, le);
    let tsResolution: TsResolution = { base: 10, exponent: 6 };
    let tsOffset = 0n;
    let name: string | undefined;
    for (const opt of this.options(b, 16, at)) {
      if (opt.code === OPT_IF_TSRESOL && opt.value.length >= 1) {
        const v = opt.value[0];
        tsResolution = v & 0x80 ? { base: 2, exponent: v & 0x7f } : { base: 10, exponent: v };
      } else if (opt.code === OPT_IF_TSOFFSET && opt.value.length >= 8) {
        tsOffset = BigInt.asIntN(64, u64(opt.value, 0, le));
      } else if (opt.code === OPT_IF_NAME) {
        name = new TextDecoder().decode(opt.value).replace(/\0+$/, '');
      }
    }
    const canonical = canonicalLinkType(fileLinkType);
    const info: CaptureInterface = {
      id: this.interfaces.length,
      section: this.sectionNumber,
      localId: this.section.length,
      linkType: canonical ?? fileLinkType,
      fileLinkType,
      snaplen,
      tsResolution,
      tsOffset,
    };
    if (name !== undefined) info.name = name;
    const units = BigInt(tsResolution.base) ** BigInt(tsResolution.exponent);
    this.section.push(info.id);
    this.interfaces.push(info);
    this.states.push({ info, units, nsecPerUnit: 1_000_000_000n % units === 0n ? 1_000_000_000n / units : 0n, supported: canonical !== undefined });
  }

  /** The options of a buffered block, from `start` to its trailer. */
  private *options(b: Uint8Array, start: number, at: number): Generator<{ code: number; value: Uint8Array }> {
    const end = b.length - 4;
    let o = start;
    while (o + 4 <= end) {
      const code = u16(b, o, this.le);
      const olen = u16(b, o + 2, this.le);
      if (code === OPT_ENDOFOPT) return;
      if (o + 4 + olen > end) throw this.error(CaptureCode.BAD_BLOCK, at, `option ${code} at block offset ${o} with length ${olen} overruns its block`);
      yield { code, value: b.subarray(o + 4, o + 4 + olen) };
      o += 4 + pad4(olen);
    }
  }

  private iface(localId: number, at: number): IfaceState {
    const id = this.section[localId];
    if (id === undefined)
      throw this.error(
        CaptureCode.INTERFACE,
        at,
        `packet block names interface ${localId} but its section describes ${this.section.length} interface(s)`,
      );
    const st = this.states[id];
    if (!st.supported) throw this.error(CaptureCode.LINKTYPE, at, `interface ${id}: ${unsupportedLinkTypeDetail(st.info.fileLinkType)}`);
    return st;
  }

  private async packetBlock(at: number, type: number, len: number): Promise<CaptureRecord> {
    const src = this.src;
    const fixed = 28; // through the wire length
    const g = await src.ensure(fixed);
    if (g < fixed) throw this.error(CaptureCode.TRUNCATED, at, `file ends ${g} bytes into a ${len}-byte ${blockName(type)}`);
    const h = src.peek(fixed);
    const le = this.le;
    const st = this.iface(type === BLOCK_EPB ? u32(h, 8, le) : u16(h, 8, le), at);
    const caplen = u32(h, 20, le);
    const wireLength = u32(h, 24, le);
    const problem = caplenProblem(caplen, wireLength, st.info.snaplen);
    if (problem !== undefined) throw this.error(CaptureCode.CAPLEN, at, problem);
    if (fixed + pad4(caplen) + 4 > len)
      throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(type)} of total length ${len} cannot hold its ${caplen} captured bytes`);
    if (len - fixed - pad4(caplen) - 4 > MAX_METADATA)
      throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(type)} has implausible total length ${len} for ${caplen} captured bytes`);
    const b = await this.whole(at, type, len);
    return this.packet(at, b, st, caplen, wireLength);
  }

  /** A fully buffered EPB at `at` of total length `len` (the fast path; same checks as packetBlock). */
  private epb(at: number, len: number): CaptureRecord {
    const h = this.src.peek(28);
    const le = this.le;
    const st = this.iface(u32(h, 8, le), at);
    const caplen = u32(h, 20, le);
    const wireLength = u32(h, 24, le);
    const problem = caplenProblem(caplen, wireLength, st.info.snaplen);
    if (problem !== undefined) throw this.error(CaptureCode.CAPLEN, at, problem);
    const b = this.src.take(len);
    const trailer = u32(b, len - 4, le);
    if (trailer !== len) throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(BLOCK_EPB)} has total length ${len} but trailing length ${trailer}`);
    return this.packet(at, b, st, caplen, wireLength);
  }

  /** The record of a buffered EPB or OPB (same layout from the timestamp on). */
  private packet(at: number, b: Uint8Array, st: IfaceState, caplen: number, wireLength: number): CaptureRecord {
    const fixed = 28;
    const le = this.le;
    const ts = (BigInt(u32(b, 12, le)) << 32n) | BigInt(u32(b, 16, le));
    const [tsSec, tsNsec] = timestamp(ts, st);
    return {
      index: this.index++,
      interfaceId: st.info.id,
      linkType: st.info.linkType,
      tsSec,
      tsNsec,
      caplen,
      wireLength,
      data: b.subarray(fixed, fixed + caplen),
      byteOffset: at,
    };
  }

  private async simplePacket(at: number, len: number): Promise<CaptureRecord> {
    const src = this.src;
    const g = await src.ensure(12);
    if (g < 12) throw this.error(CaptureCode.TRUNCATED, at, `file ends ${g} bytes into a ${len}-byte ${blockName(BLOCK_SPB)}`);
    const st = this.iface(0, at);
    const wireLength = u32(src.peek(12), 8, this.le);
    const snaplen = st.info.snaplen;
    const caplen = snaplen !== 0 && wireLength > snaplen ? snaplen : wireLength;
    const problem = caplenProblem(caplen, wireLength, snaplen);
    if (problem !== undefined) throw this.error(CaptureCode.CAPLEN, at, problem);
    if (12 + pad4(caplen) + 4 > len)
      throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(BLOCK_SPB)} of total length ${len} cannot hold its ${caplen} captured bytes`);
    if (len - 16 - pad4(caplen) > MAX_METADATA)
      throw this.error(CaptureCode.BAD_BLOCK, at, `${blockName(BLOCK_SPB)} has implausible total length ${len} for ${caplen} captured bytes`);
    const b = await this.whole(at, BLOCK_SPB, len);
    return {
      index: this.index++,
      interfaceId: st.info.id,
      linkType: st.info.linkType,
      tsSec: 0,
      tsNsec: 0,
      caplen,
      wireLength,
      data: b.subarray(12, 12 + caplen),
      byteOffset: at,
    };
  }

  private error(code: string, at: number, detail: string): CaptureError {
    return new CaptureError(code, this.path, at, this.index, detail);
  }
}

/** [seconds, nanoseconds] of a pcapng timestamp on an interface. */
function timestamp(ts: bigint, st: IfaceState): [number, number] {
  const sec = ts / st.units + st.info.tsOffset;
  const rem = ts % st.units;
  const nsec = st.nsecPerUnit !== 0n ? rem * st.nsecPerUnit : (rem * 1_000_000_000n) / st.units;
  return [Number(sec), Number(nsec)];
}

function blockName(type: number): string {
  switch (type) {
    case BLOCK_SHB:
      return 'section header block';
    case BLOCK_IDB:
      return 'interface description block';
    case BLOCK_OPB:
      return 'packet block (obsolete)';
    case BLOCK_SPB:
      return 'simple packet block';
    case 4:
      return 'name resolution block';
    case 5:
      return 'interface statistics block';
    case BLOCK_EPB:
      return 'enhanced packet block';
    case 10:
      return 'decryption secrets block';
    default:
      return `block of type 0x${type.toString(16).padStart(8, '0')}`;
  }
}
