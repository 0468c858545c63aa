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
  tsSec?: number;
  tsNsec?: number;
  inPort?: number;
}

const LAYER_COLUMNS: ColumnName[] = ['L2', 'L2_5', 'L3', 'L4', 'TNL', 'INNER_L2', 'INNER_L3', 'INNER_L4'];

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
  private readonly columnViews: Map<ColumnName, Uint32Array | Uint16Array>;
  /** The header as 32-bit words (count and data_used are read per append). */
  private readonly headerWords: Uint32Array;
  /** Columns by element size, and the layer-offset ones, for append's per-packet reset. */
  private readonly wideColumns: Uint32Array[];
  private readonly narrowColumns: Uint16Array[];
  private readonly layerColumns: Uint16Array[];
  private readonly keyWords: Uint32Array;
  /** Slots [0, dirtySlots) may hold an earlier packet's column values and key; slots after it are all zeros. */
  private dirtySlots: number;

  private constructor(buffer: ArrayBuffer, fresh = false) {
    this.buffer = buffer;
    this.header = new DataView(buffer, 0, BATCH_HEADER_SIZE);
    const h = this.header;
    this.capacity = h.getUint32(HEADER.capacity, true);
    this.dataSize = h.getUint32(HEADER.dataSize, true);
    this.headroom = h.getUint32(HEADER.headroom, true);
    this.tailroom = h.getUint32(HEADER.tailroom, true);
    this.layout = computeBatchLayout(this.capacity, this.dataSize);
    this.columnViews = new Map();
    for (const col of this.layout.columns) {
      const view =
        col.elementSize === 4
          ? new Uint32Array(buffer, col.offset, this.capacity)
          : new Uint16Array(buffer, col.offset, this.capacity);
      this.columnViews.set(col.name, view);
    }
    const u32 = (n: ColumnName): Uint32Array => this.columnViews.get(n) as Uint32Array;
    const u16 = (n: ColumnName): Uint16Array => this.columnViews.get(n) as Uint16Array;
    this.offset = u32('OFFSET');
    this.length = u32('LENGTH');
    this.wireLength = u32('WIRE_LENGTH');
    this.slotStart = u32('SLOT_START');
    this.slotEnd = u32('SLOT_END');
    this.tsSec = u32('TS_SEC');
    this.tsNsec = u32('TS_NSEC');
    this.flags = u32('FLAGS');
    this.hash = u32('HASH');
    this.inPort = u32('IN_PORT');
    this.tunId = u32('TUN_ID');
    this.next = u32('NEXT');
    this.drop = u16('DROP');
    this.l2 = u16('L2');
    this.l2_5 = u16('L2_5');
    this.l3 = u16('L3');
    this.l4 = u16('L4');
    this.tnl = u16('TNL');
    this.innerL2 = u16('INNER_L2');
    this.innerL3 = u16('INNER_L3');
    this.innerL4 = u16('INNER_L4');
    this.gsoType = u16('GSO_TYPE');
    this.gsoSize = u16('GSO_SIZE');
    this.csumStart = u16('CSUM_START');
    this.csumOffset = u16('CSUM_OFFSET');
    this.headerWords = new Uint32Array(buffer, 0, BATCH_HEADER_SIZE / 4);
    this.wideColumns = this.layout.columns.filter((c) => c.elementSize === 4).map((c) => u32(c.name));
    this.narrowColumns = this.layout.columns.filter((c) => c.elementSize === 2).map((c) => u16(c.name));
    this.layerColumns = LAYER_COLUMNS.map(u16);
    this.keyWords = new Uint32Array(buffer, this.layout.keyOffset, (this.capacity * FLOW_KEY_SIZE) / 4);
    this.keys = new Uint8Array(buffer, this.layout.keyOffset, this.capacity * FLOW_KEY_SIZE);
    this.data = new Uint8Array(buffer, this.layout.dataOffset, this.dataSize);
    this.dirtySlots = fresh ? 0 : this.capacity;
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
    const layout = computeBatchLayout(capacity, dataSize);
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
    const view = this.columnViews.get(name);
    if (!view) throw new RangeError(`unknown batch column ${name}`);
    return view;
  }

  /**
   * Copies a packet in, with the batch's headroom and tailroom. Returns false
   * when the batch is full (no slot or no data room); the caller starts a new batch.
   */
  append(bytes: Uint8Array, meta: PacketMeta = {}): boolean {
    const i = this.count;
    if (i >= this.capacity) return false;
    const start = this.dataUsed;
    const slot = this.headroom + bytes.length + this.tailroom;
    if (start + slot > this.dataSize) {
      if (i === 0) throw new RangeError(`a ${bytes.length}-byte packet does not fit a batch with ${this.dataSize} data bytes`);
      return false;
    }
    const off = start + this.headroom;
    this.data.set(bytes, off);
    if (i < this.dirtySlots) {
      const wide = this.wideColumns;
      for (let c = 0; c < wide.length; c++) wide[c][i] = 0;
      const narrow = this.narrowColumns;
      for (let c = 0; c < narrow.length; c++) narrow[c][i] = 0;
      const keyWords = this.keyWords;
      for (let w = (i * FLOW_KEY_SIZE) / 4, end = w + FLOW_KEY_SIZE / 4; w < end; w++) keyWords[w] = 0;
    }
    this.offset[i] = off;
    this.length[i] = bytes.length;
    this.wireLength[i] = meta.wireLength ?? bytes.length;
    this.slotStart[i] = start;
    const end = Math.min(Math.ceil((start + slot) / 8) * 8, this.dataSize);
    this.slotEnd[i] = end;
    this.tsSec[i] = meta.tsSec ?? 0;
    this.tsNsec[i] = meta.tsNsec ?? 0;
    this.inPort[i] = meta.inPort ?? 0;
    const layers = this.layerColumns;
    for (let c = 0; c < layers.length; c++) layers[c][i] = ABSENT;
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
