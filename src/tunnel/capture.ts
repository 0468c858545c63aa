/**
 * Encap / decap of a whole capture file (the `encap` and `decap` commands):
 * read with src/pcap, process in batches in the native core, write the
 * surviving packets, count drops by reason.
 */
import { PacketBatch } from '../datapath/batch.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';
import { openCapture } from '../pcap/open-capture.js';
import { PcapWriter } from '../pcap/pcap-writer.js';
import { CompiledReceiver, decapBatch } from './decap.js';
import { CompiledTunnels, encapBatch } from './encap.js';
import type { DecapTables } from './receiver.js';
import type { TunnelSpec } from './spec.js';

export interface CaptureRunSummary {
  read: number;
  written: number;
  /** Dropped packets per stable drop-reason name. */
  drops: Record<string, number>;
}

const BATCH = 256;
const LINKTYPE_ETHERNET = 1;

async function run(inPath: string, outPath: string, step: (b: PacketBatch) => void): Promise<CaptureRunSummary> {
  const reader = await openCapture(inPath);
  const writer = await PcapWriter.create(outPath);
  const summary: CaptureRunSummary = { read: 0, written: 0, drops: {} };
  let batch = PacketBatch.create({ capacity: BATCH, headroom: 128, dataSize: BATCH * 2048 });
  const flush = async (): Promise<void> => {
    if (batch.count === 0) return;
    step(batch);
    for (let i = 0; i < batch.count; i++) {
      const d = batch.drop[i];
      if (d !== 0) {
        const name = DROP_REASONS[d]?.[0] ?? `drop_${d}`;
        summary.drops[name] = (summary.drops[name] ?? 0) + 1;
      } else summary.written++;
    }
    await writer.writeBatch(batch);
    batch.clear();
  };
  try {
    for await (const r of reader.records()) {
      if (r.linkType !== LINKTYPE_ETHERNET) throw new RangeError(`${inPath}: packet ${r.index} has link type ${r.linkType}; tunnels need Ethernet (1) frames`);
      summary.read++;
      const meta = { wireLength: r.wireLength, tsSec: r.tsSec, tsNsec: r.tsNsec };
      if (!batch.append(r.data, meta)) {
        await flush();
        if (!batch.append(r.data, meta)) {
          // A frame larger than the default batch: give it a batch of its own.
          batch = PacketBatch.create({ capacity: 1, headroom: 128, dataSize: r.data.length + 256 });
          batch.append(r.data, meta);
          await flush();
          batch = PacketBatch.create({ capacity: BATCH, headroom: 128, dataSize: BATCH * 2048 });
        }
      }
    }
    await flush();
    await writer.close();
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw err;
  } finally {
    await reader.close();
  }
  return summary;
}

/** Encapsulates every Ethernet frame of `inPath` in one tunnel; writes `outPath` (pcap). */
export function encapCapture(inPath: string, outPath: string, spec: TunnelSpec): Promise<CaptureRunSummary> {
  const compiled = new CompiledTunnels(spec);
  return run(inPath, outPath, (b) => encapBatch(b, compiled));
}

/** Decapsulates the tunnel frames of `inPath` the tables terminate; writes the inner frames to `outPath`. */
export function decapCapture(inPath: string, outPath: string, tables: DecapTables): Promise<CaptureRunSummary> {
  const rx = new CompiledReceiver(tables);
  return run(inPath, outPath, (b) => decapBatch(b, rx));
}
