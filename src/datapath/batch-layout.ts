/**
 * The packet batch layout, computed in TypeScript exactly as native/batch.h
 * computes it. native.ts checks the two agree when the addon loads.
 */

export const BATCH_MAGIC = 0x31425356; // "VSB1"
export const BATCH_VERSION = 1;
export const BATCH_HEADER_SIZE = 192;
export const FLOW_KEY_SIZE = 144;
/** Layer offset meaning "absent". */
export const ABSENT = 0xffff;

/** Columns in layout order, with element sizes (native/batch.h VS_BATCH_COLUMNS). */
export const COLUMNS = [
  ['OFFSET', 4],
  ['LENGTH', 4],
  ['WIRE_LENGTH', 4],
  ['SLOT_START', 4],
  ['SLOT_END', 4],
  ['TS_SEC', 4],
  ['TS_NSEC', 4],
  ['FLAGS', 4],
  ['HASH', 4],
  ['IN_PORT', 4],
  ['TUN_ID', 4],
  ['NEXT', 4],
  ['DROP', 2],
  ['L2', 2],
  ['L2_5', 2],
  ['L3', 2],
  ['L4', 2],
  ['TNL', 2],
  ['INNER_L2', 2],
  ['INNER_L3', 2],
  ['INNER_L4', 2],
  ['GSO_TYPE', 2],
  ['GSO_SIZE', 2],
  ['CSUM_START', 2],
  ['CSUM_OFFSET', 2],
] as const;

export type ColumnName = (typeof COLUMNS)[number][0];

/** Byte offsets of BatchHeader fields. */
export const HEADER = {
  magic: 0,
  version: 4,
  headerSize: 6,
  capacity: 8,
  count: 12,
  dataOffset: 16,
  dataSize: 20,
  dataUsed: 24,
  headroom: 28,
  tailroom: 32,
  totalSize: 36,
  keyOffset: 40,
  keySize: 44,
  columnCount: 48,
  columnOffsets: 64,
} as const;

/** PacketFlag bits (native/batch.h). */
export const PacketFlag = {
  PARSED: 1 << 0,
  TRUNCATED: 1 << 1,
  MALFORMED: 1 << 2,
  VLAN: 1 << 3,
  QINQ: 1 << 4,
  MPLS: 1 << 5,
  TUNNEL: 1 << 6,
  IP_FRAGMENT: 1 << 7,
  IP_LENGTH_FROM_FRAME: 1 << 8,
  L4_CSUM_PARTIAL: 1 << 9,
  NEEDS_CSUM: 1 << 10,
  DATA_VALID: 1 << 11,
  FAULT: 1 << 12,
  CSUM_VERIFIED: 1 << 13,
  IP_CSUM_BAD: 1 << 14,
  L4_CSUM_BAD: 1 << 15,
} as const;

export interface BatchLayout {
  version: number;
  headerSize: number;
  keySize: number;
  keyOffset: number;
  dataOffset: number;
  totalSize: number;
  columns: { name: ColumnName; offset: number; elementSize: number }[];
}

const align8 = (v: number): number => Math.ceil(v / 8) * 8;

/** Layout for `capacity` packets and a `dataSize`-byte data area. */
export function computeBatchLayout(capacity: number, dataSize: number): BatchLayout {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`expected a positive integer for capacity, received ${capacity}`);
  if (!Number.isInteger(dataSize) || dataSize < 0) throw new RangeError(`expected a non-negative integer for dataSize, received ${dataSize}`);
  let pos = BATCH_HEADER_SIZE;
  const columns = COLUMNS.map(([name, elementSize]) => {
    const col = { name, offset: pos, elementSize };
    pos = align8(pos + capacity * elementSize);
    return col;
  });
  const keyOffset = pos;
  pos = align8(pos + capacity * FLOW_KEY_SIZE);
  const dataOffset = pos;
  const totalSize = pos + dataSize;
  if (totalSize > 0xffffffff) throw new RangeError(`batch of ${capacity} packets and ${dataSize} data bytes exceeds 4 GiB`);
  return { version: BATCH_VERSION, headerSize: BATCH_HEADER_SIZE, keySize: FLOW_KEY_SIZE, keyOffset, dataOffset, totalSize, columns };
}
