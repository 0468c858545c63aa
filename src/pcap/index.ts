/**
 * Capture formats in and out: read classic pcap and pcapng, pack packets into
 * batches, write classic pcap with nanosecond timestamps.
 *
 *   const reader = await openCapture('in.pcapng');
 *   for await (const { batch, linkType } of batches(reader)) { ... }
 *
 *   const out = await PcapWriter.create('out.pcap', { linkType: LinkType.ETHERNET });
 *   await out.writeBatch(batch);
 *   await out.close();
 */
export { openCapture, type OpenCaptureOptions } from './open-capture.js';
export { batches, type CaptureBatch, type CaptureBatchOptions } from './capture-batches.js';
export { PcapWriter, type BatchPackets, type PcapWriterOptions } from './pcap-writer.js';
export { CaptureCode, type CaptureCodeValue } from './capture-codes.js';
export { LinkType, canonicalLinkType, describeLinkType, type SupportedLinkType } from './link-types.js';
export { ABSURD_CAPLEN, STANDARD_MAX_SNAPLEN } from './caplen-policy.js';
export type { BulkAppend, BulkAppendOptions, CaptureFormat, CaptureInterface, CaptureReader, CaptureRecord, TsResolution } from './capture-types.js';
