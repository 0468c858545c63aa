import { describe, expect, it } from 'vitest';

import { PacketBatch } from '../../src/datapath/batch.js';
import { ABSENT, computeBatchLayout } from '../../src/datapath/batch-layout.js';
import { native } from '../../src/datapath/native.js';

describe('PacketBatch', () => {
  it('uses the layout the addon reports', () => {
    const addon = native();
    for (const [cap, size] of [
      [1, 0],
      [7, 333],
      [256, 512 * 1024],
    ]) {
      const ours = computeBatchLayout(cap, size);
      const theirs = addon.batchLayout(cap, size);
      expect(theirs.totalSize).toBe(ours.totalSize);
      expect(theirs.columns.map((c) => [c.name, c.offset, c.elementSize])).toEqual(
        ours.columns.map((c) => [c.name, c.offset, c.elementSize]),
      );
    }
  });

  it('writes the same header as the native initBatch', () => {
    const batch = PacketBatch.create({ capacity: 16, dataSize: 4096, headroom: 64, tailroom: 8 });
    const buffer = new ArrayBuffer(batch.buffer.byteLength);
    native().initBatch(buffer, 16, 4096, 64, 8);
    expect(new Uint8Array(buffer, 0, batch.layout.dataOffset)).toEqual(new Uint8Array(batch.buffer, 0, batch.layout.dataOffset));
  });

  it('appends packets with headroom and absent layer offsets', () => {
    const batch = PacketBatch.create({ capacity: 2, dataSize: 400, headroom: 100 });
    expect(batch.append(Uint8Array.of(1, 2, 3), { wireLength: 60, tsSec: 5, tsNsec: 7, inPort: 3 })).toBe(true);
    expect(batch.count).toBe(1);
    expect([...batch.packet(0)]).toEqual([1, 2, 3]);
    expect(batch.offset[0] - batch.slotStart[0]).toBe(100);
    expect(batch.wireLength[0]).toBe(60);
    expect(batch.l3[0]).toBe(ABSENT);
    expect(batch.append(new Uint8Array(300))).toBe(false); // no data room
    expect(batch.append(new Uint8Array(10))).toBe(true);
    expect(batch.append(new Uint8Array(10))).toBe(false); // no slot
  });

  it('refuses timestamps a pcap record cannot hold', () => {
    const b = PacketBatch.create({ capacity: 4, dataSize: 1024 });
    expect(() => b.append(new Uint8Array(60), { tsNsec: 1e9 })).toThrow(/\[0, 1e9\) for tsNsec, received 1000000000/);
    expect(() => b.append(new Uint8Array(60), { tsSec: -1 })).toThrow(/\[0, 2\^32\) for tsSec/);
    expect(() => b.append(new Uint8Array(60), { tsSec: 2 ** 32 })).toThrow(RangeError);
    expect(b.count).toBe(0);
    expect(b.append(new Uint8Array(60), { tsSec: 2 ** 32 - 1, tsNsec: 999_999_999 })).toBe(true);
  });

  it('refuses a packet larger than an empty batch with a clear error', () => {
    const batch = PacketBatch.create({ capacity: 2, dataSize: 100 });
    expect(() => batch.append(new Uint8Array(200))).toThrow(/does not fit/);
  });

  it('round-trips through wrap and rejects foreign buffers', () => {
    const batch = PacketBatch.create({ capacity: 4 });
    batch.append(Uint8Array.of(9, 9));
    const again = PacketBatch.wrap(batch.buffer);
    expect([...again.packet(0)]).toEqual([9, 9]);
    expect(() => PacketBatch.wrap(new ArrayBuffer(1024))).toThrow(expect.objectContaining({ code: 'ERR_VS_BAD_BATCH' }));
  });
});

describe('native argument errors', () => {
  it('carry stable codes and say what was expected', () => {
    const addon = native();
    expect(() => addon.batchLayout(-1, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/for capacity/) }));
    expect(() => addon.initBatch(new Uint8Array(8) as unknown as ArrayBuffer, 1, 0, 0, 0)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: 'expected an ArrayBuffer for buffer, received TypedArray' }),
    );
    expect(() => addon.initBatch(new ArrayBuffer(8), 1, 0, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_VS_BAD_ARGUMENT' }));
  });
});
