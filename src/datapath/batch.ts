/**
 * PacketBatch: the TypeScript view of one batch buffer (native/batch.h).
 * Appending and reading packets happen here without crossing into native
 * code; native operations take the whole buffer in one call.
 */
import {
  ABSENT,
  BATCH_HEADER_SIZE,
  BATCH_MAGIC,
  BATCH_VERSION,
  COLUMNS,
  FLOW_KEY_SIZE,
  HEADER,
  computeBatchLayout,
  type BatchLayout,
  type ColumnName,
} from './batch-layout.js';
import { NativeError } from '../errors.js';

export interface BatchOptions {
  /** Packets the batch holds (default 256). */
  capacity?: number;
  /** Bytes of packet data, headroom and tailroom included (default capacity x 2 KiB). */
  dataSize?: number;
  /** Bytes reserved in front of each packet for encapsulation (default 128). */
  headroom?: number;
  /** Bytes reserved after each packet (default 0). */
  tailroom?: number;
}

export interface PacketMeta {
  /** Original length on the wire (default: the bytes given). */
  wireLength?: number;
  /** Timestamp: seconds in [0, 2^32), nanoseconds in [0, 10^9) (what a pcap record holds). */
  tsSec?: number;
  tsNsec?: number;
  inPort?: number;
}

/** Column index by name (layout order). */
const COLUMN_INDEX = Object.fromEntries(COLUMNS.map(([name], i) => [name, i])) as Record<ColumnName, number>;

/** Layouts by capacity and data size: batches of a few sizes are viewed over and over (every worker round trip). */
const layouts = new Map<string, BatchLayout>();
const MAX_LAYOUTS = 256;

function layoutOf(capacity: number, dataSize: number): BatchLayout {
  const k = `${capacity}/${dataSize}`;
  let l = layouts.get(k);
  if (!l) {
    if (layouts.size >= MAX_LAYOUTS) layouts.clear();
    layouts.set(k, (l = computeBatchLayout(capacity, dataSize)));
  }
  return l;
}

export class PacketBatch {
  readonly buffer: ArrayBuffer;
  readonly layout: BatchLayout;
  readonly capacity: number;
  readonly dataSize: number;
  readonly headroom: number;
  readonly tailroom: number;
  /** The data area; OFFSET values index into it. */
  readonly data: Uint8Array;
  /** Flow keys, FLOW_KEY_SIZE bytes per packet. */
  readonly keys: Uint8Array;
  readonly offset: Uint32Array;
  readonly length: Uint32Array;
  readonly wireLength: Uint32Array;
  readonly slotStart: Uint32Array;
  readonly slotEnd: Uint32Array;
  readonly tsSec: Uint32Array;
  readonly tsNsec: Uint32Array;
  readonly flags: Uint32Array;
  readonly hash: Uint32Array;
  readonly inPort: Uint32Array;
  readonly tunId: Uint32Array;
  readonly next: Uint32Array;
  readonly drop: Uint16Array;
  readonly l2: Uint16Array;
  readonly l2_5: Uint16Array;
  readonly l3: Uint16Array;
  readonly l4: Uint16Array;
  readonly tnl: Uint16Array;
  readonly innerL2: Uint16Array;
  readonly innerL3: Uint16Array;
  readonly innerL4: Uint16Array;
  readonly gsoType: Uint16Array;
  readonly gsoSize: Uint16Array;
  readonly csumStart: Uint16Array;
  readonly csumOffset: Uint16Array;
  private readonly header: DataView;
  /** Column views in layout order (COLUMNS). */
  private readonly columnViews: (Uint32Array | Uint16Array)[];
  /** The header as 32-bit words (count and data_used are read per append). */
  private readonly headerWords: Uint32Array;
  private readonly keyWords: Uint32Array;
  /** Slots [0, dirtySlots) may hold an earlier packet's column values and key; slots after it are all zeros. */
  private dirtySlots: number;

  private constructor(buffer: ArrayBuffer, fresh = false) {
    this.buffer = buffer;
    this.headerWords = new Uint32Array(buffer, 0, BATCH_HEADER_SIZE / 4);
    this.header = new DataView(buffer, 0, BATCH_HEADER_SIZE);
    const hw = this.headerWords;
    this.capacity = hw[HEADER.capacity / 4];
    this.dataSize = hw[HEADER.dataSize / 4];
    this.headroom = hw[HEADER.headroom / 4];
    this.tailroom = hw[HEADER.tailroom / 4];
    this.layout = layoutOf(this.capacity, this.dataSize);
    const n = this.capacity;
    const views = this.layout.columns.map((col) => (col.elementSize === 4 ? new Uint32Array(buffer, col.offset, n) : new Uint16Array(buffer, col.offset, n)));
    this.columnViews = views;
    const u32 = views as Uint32Array[];
    const u16 = views as Uint16Array[];
    this.offset = u32[COLUMN_INDEX.OFFSET];
    this.length = u32[COLUMN_INDEX.LENGTH];
    this.wireLength = u32[COLUMN_INDEX.WIRE_LENGTH];
    this.slotStart = u32[COLUMN_INDEX.SLOT_START];
    this.slotEnd = u32[COLUMN_INDEX.SLOT_END];
    this.tsSec = u32[COLUMN_INDEX.TS_SEC];
    this.tsNsec = u32[COLUMN_INDEX.TS_NSEC];
    this.flags = u32[COLUMN_INDEX.FLAGS];
    this.hash = u32[COLUMN_INDEX.HASH];
    this.inPort = u32[COLUMN_INDEX.IN_PORT];
    this.tunId = u32[COLUMN_INDEX.TUN_ID];
    this.next = u32[COLUMN_INDEX.NEXT];
    this.drop = u16[COLUMN_INDEX.DROP];
    this.l2 = u16[COLUMN_INDEX.L2];
    this.l2_5 = u16[COLUMN_INDEX.L2_5];
    this.l3 = u16[COLUMN_INDEX.L3];
    this.l4 = u16[COLUMN_INDEX.L4];
    this.tnl = u16[COLUMN_INDEX.TNL];
    this.innerL2 = u16[COLUMN_INDEX.INNER_L2];
    this.innerL3 = u16[COLUMN_INDEX.INNER_L3];
    this.innerL4 = u16[COLUMN_INDEX.INNER_L4];
    this.gsoType = u16[COLUMN_INDEX.GSO_TYPE];
    this.gsoSize = u16[COLUMN_INDEX.GSO_SIZE];
    this.csumStart = u16[COLUMN_INDEX.CSUM_START];
    this.csumOffset = u16[COLUMN_INDEX.CSUM_OFFSET];
    this.keyWords = new Uint32Array(buffer, this.layout.keyOffset, (n * FLOW_KEY_SIZE) / 4);
    this.keys = new Uint8Array(buffer, this.layout.keyOffset, n * FLOW_KEY_SIZE);
    this.data = new Uint8Array(buffer, this.layout.dataOffset, this.dataSize);
    this.dirtySlots = fresh ? 0 : n;
  }

  /** A new, empty batch. */
  static create(options: BatchOptions = {}): PacketBatch {
    const capacity = options.capacity ?? 256;
    const headroom = options.headroom ?? 128;
    const tailroom = options.tailroom ?? 0;
    const dataSize = options.dataSize ?? capacity * 2048;
    for (const [name, v] of Object.entries({ headroom, tailroom })) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`expected an integer in [0, 65535] for ${name}, received ${v}`);
    }
    const layout = layoutOf(capacity, dataSize);
    const buffer = new ArrayBuffer(layout.totalSize);
    const h = new DataView(buffer, 0, BATCH_HEADER_SIZE);
    h.setUint32(HEADER.magic, BATCH_MAGIC, true);
    h.setUint16(HEADER.version, BATCH_VERSION, true);
    h.setUint16(HEADER.headerSize, BATCH_HEADER_SIZE, true);
    h.setUint32(HEADER.capacity, capacity, true);
    h.setUint32(HEADER.count, 0, true);
    h.setUint32(HEADER.dataOffset, layout.dataOffset, true);
    h.setUint32(HEADER.dataSize, dataSize, true);
    h.setUint32(HEADER.dataUsed, 0, true);
    h.setUint32(HEADER.headroom, headroom, true);
    h.setUint32(HEADER.tailroom, tailroom, true);
    h.setUint32(HEADER.totalSize, layout.totalSize, true);
    h.setUint32(HEADER.keyOffset, layout.keyOffset, true);
    h.setUint32(HEADER.keySize, FLOW_KEY_SIZE, true);
    h.setUint32(HEADER.columnCount, COLUMNS.length, true);
    layout.columns.forEach((col, c) => h.setUint32(HEADER.columnOffsets + 4 * c, col.offset, true));
    return new PacketBatch(buffer, true);
  }

  /** Views a buffer that holds a batch (one that came back from a worker, say). */
  static wrap(buffer: ArrayBuffer): PacketBatch {
    if (buffer.byteLength < BATCH_HEADER_SIZE) throw new NativeError('ERR_VS_BAD_BATCH', 'buffer is smaller than a batch header');
    const h = new DataView(buffer, 0, BATCH_HEADER_SIZE);
    if (h.getUint32(HEADER.magic, true) !== BATCH_MAGIC || h.getUint16(HEADER.version, true) !== BATCH_VERSION)
      throw new NativeError('ERR_VS_BAD_BATCH', 'buffer is not a packet batch of this layout version');
    const batch = new PacketBatch(buffer);
    if (batch.layout.totalSize > buffer.byteLength || h.getUint32(HEADER.totalSize, true) !== batch.layout.totalSize)
      throw new NativeError('ERR_VS_BAD_BATCH', 'batch header sizes do not match its buffer');
    return batch;
  }

  get count(): number {
    return this.headerWords[HEADER.count / 4];
  }

  get dataUsed(): number {
    return this.headerWords[HEADER.dataUsed / 4];
  }

  /** Forgets every packet (the buffer is reused). */
  clear(): void {
    this.dirtySlots = Math.max(this.dirtySlots, this.count);
    this.header.setUint32(HEADER.count, 0, true);
    this.header.setUint32(HEADER.dataUsed, 0, true);
  }

  /** The column view for a column name. */
  column(name: ColumnName): Uint32Array | Uint16Array {
    const c = (COLUMN_INDEX as Record<string, number | undefined>)[name];
    if (c === undefined) throw new RangeError(`unknown batch column ${name}`);
    return this.columnViews[c];
  }

  /**
   * Copies a packet in, with the batch's headroom and tailroom. Returns false
   * when the batch is full (no slot or no data room); the caller starts a new batch.
   */
  append(bytes: Uint8Array, meta: PacketMeta = {}): boolean {
    const i = this.count;
    if (i >= this.capacity) return false;
    // Checked here, where they enter: the pcap writer copies them natively as they are.
    const tsSec = meta.tsSec ?? 0;
    const tsNsec = meta.tsNsec ?? 0;
    if (!Number.isInteger(tsSec) || tsSec < 0 || tsSec > 0xffffffff) throw new RangeError(`expected an integer in [0, 2^32) for tsSec, received ${tsSec}`);
    if (!Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec >= 1e9) throw new RangeError(`expected an integer in [0, 1e9) for tsNsec, received ${tsNsec}`);
    const start = this.dataUsed;
    const slot = this.headroom + bytes.length + this.tailroom;
    if (start + slot > this.dataSize) {
      if (i === 0) throw new RangeError(`a ${bytes.length}-byte packet does not fit a batch with ${this.dataSize} data bytes`);
      return false;
    }
    const off = start + this.headroom;
    this.data.set(bytes, off);
    if (i < this.dirtySlots) {
      const views = this.columnViews;
      for (let c = 0; c < views.length; c++) views[c][i] = 0;
      const keyWords = this.keyWords;
      for (let w = (i * FLOW_KEY_SIZE) / 4, end = w + FLOW_KEY_SIZE / 4; w < end; w++) keyWords[w] = 0;
    }
    this.offset[i] = off;
    this.length[i] = bytes.length;
    this.wireLength[i] = meta.wireLength ?? bytes.length;
    this.slotStart[i] = start;
    const end = Math.min(Math.ceil((start + slot) / 8) * 8, this.dataSize);
    this.slotEnd[i] = end;
    this.tsSec[i] = tsSec;
    this.tsNsec[i] = tsNsec;
    this.inPort[i] = meta.inPort ?? 0;
    this.l2[i] = ABSENT;
    this.l2_5[i] = ABSENT;
    this.l3[i] = ABSENT;
    this.l4[i] = ABSENT;
    this.tnl[i] = ABSENT;
    this.innerL2[i] = ABSENT;
    this.innerL3[i] = ABSENT;
    this.innerL4[i] = ABSENT;
    this.headerWords[HEADER.dataUsed / 4] = end;
    this.headerWords[HEADER.count / 4] = i + 1;
    return true;
  }

  /** A view (not a copy) of packet i's bytes. */
  packet(i: number): Uint8Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`packet index ${i} outside [0, ${this.count})`);
    const off = this.offset[i];
    const len = this.length[i];
    if (this.slotStart[i] > off || off + len > this.slotEnd[i] || this.slotEnd[i] > this.dataSize)
      throw new NativeError('ERR_VS_BAD_BATCH', `packet ${i} lies outside its slot`);
    return this.data.subarray(off, off + len);
  }

  /** Packet i's flow key bytes (a view). */
  key(i: number): Uint8Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`packet index ${i} outside [0, ${this.count})`);
    return this.keys.subarray(i * FLOW_KEY_SIZE, (i + 1) * FLOW_KEY_SIZE);
  }
}
