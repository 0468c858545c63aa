/**
 * The vswitch-sim library: what scripts import from 'vswitch-sim'.
 * Each area keeps its own index; this file only gathers them.
 */
export { NativeError, CaptureError } from './errors.js';
export { PacketBatch, type BatchOptions, type PacketMeta } from './datapath/batch.js';
export { ABSENT, PacketFlag } from './datapath/batch-layout.js';
export { DROP_REASONS, dropReasonName, type DropReasonName } from './datapath/drop-reasons.js';
export * from './pcap/index.js';
export { createParser, type Parser, type ParserOptions, type PacketDescription, type LayerName, type ChecksumStatus } from './packet/parse.js';
export { buildFrame, TCP, type Header } from './packet/frame-builder.js';
export { inspectCapture, type InspectRecord } from './inspect/inspect.js';
export * from './tunnel/index.js';
export * from './offload/index.js';
export { loadTopology } from './model/load-topology.js';
export { replay, reportText, reportJson, parseReplayInput } from './replay/index.js';
export { topologyGraph, loadTopologyGraph, topologyDot, renderSvg, type TopologyGraph } from './topo/index.js';
export { renderHtmlReport, writeHtmlReport, type HtmlReportOptions } from './report/index.js';
