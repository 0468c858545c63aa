/**
 * `inspect`: one record per captured packet with its layer stack, the fields
 * that matter per layer, every checksum verdict and, for malformed packets,
 * the parser's drop reason. Streams: memory stays bounded whatever the file size.
 */
import { openCapture, batches } from '../pcap/index.js';
import { createParser, type ChecksumInfo, type LayerName, type ParserOptions } from '../packet/parse.js';
import { layerFields, type LayerFields } from '../packet/layer-fields.js';
import { DROP_REASONS } from '../datapath/drop-reasons.js';

export interface InspectLayer {
  name: LayerName;
  depth: number;
  offset: number;
  quoted?: true;
  fields: LayerFields;
}

export interface InspectRecord {
  /** 0-based packet index in the file (tshark's frame.number - 1). */
  index: number;
  /** Timestamp as "seconds.nanoseconds". */
  time: string;
  /** Length on the wire. */
  len: number;
  /** Bytes captured. */
  caplen: number;
  interfaceId: number;
  linkType: number;
  /** Layer names, outermost first (ICMP-quoted headers included, as tshark lists them). */
  layers: LayerName[];
  /** Layers with their depth, offset and decoded fields. */
  stack: InspectLayer[];
  /** Every checksum verdict, outermost first. */
  checksums: ChecksumInfo[];
  /** Drop reason name when the packet is malformed. */
  error?: string;
  /** Drop reason text when the packet is malformed. */
  errorText?: string;
  /** Captured length < wire length. */
  truncated: boolean;
}

export type InspectOptions = ParserOptions;

/** Records for every packet of a capture file, in file order. */
export async function* inspectCapture(path: string, options: InspectOptions = {}): AsyncGenerator<InspectRecord> {
  const parser = createParser(options);
  const reader = await openCapture(path);
  for await (const { batch, linkType, firstIndex } of batches(reader, { inPort: (r) => r.interfaceId })) {
    const descriptions = parser.describe(batch, linkType);
    for (let i = 0; i < batch.count; i++) {
      const d = descriptions[i];
      const bytes = batch.packet(i);
      const stack = d.layers.map((l) => ({ ...l, fields: layerFields(bytes, l.name, l.offset) }));
      const record: InspectRecord = {
        index: firstIndex + i,
        time: `${batch.tsSec[i]}.${String(batch.tsNsec[i]).padStart(9, '0')}`,
        len: batch.wireLength[i],
        caplen: batch.length[i],
        interfaceId: batch.inPort[i],
        linkType,
        layers: d.layers.map((l) => l.name),
        stack,
        checksums: d.checksums,
        truncated: d.truncated,
      };
      if (d.error) {
        record.error = d.error;
        record.errorText = DROP_REASONS.find(([name]) => name === d.error)?.[1];
      }
      yield record;
    }
  }
}
