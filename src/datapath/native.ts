/**
 * Loads the native addon once, lists every path it tried when the `.node`
 * file is missing, and checks that the batch layout the addon reports is the
 * one src/datapath/batch-layout.ts computes.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { NativeError } from '../errors.js';
import { computeBatchLayout, type BatchLayout } from './batch-layout.js';

/** The layout the addon reports for a capacity and data size. */
export interface NativeBatchLayout {
  version: number;
  magic: number;
  headerSize: number;
  keyOffset: number;
  keySize: number;
  dataOffset: number;
  totalSize: number;
  columns: { name: string; offset: number; elementSize: number }[];
}

/** Options of the native parser: UDP destination ports per tunnel kind (at most 8 each). */
export interface NativeParserOptions {
  vxlanPorts?: number[];
  genevePorts?: number[];
  mplsUdpPorts?: number[];
  verifyChecksums?: boolean;
}

/** A native parser (native/parse.h). */
export interface NativeParser {
  /** Parses every packet of the batch: layer columns, flags, drop reason, flow key. */
  parse(buffer: ArrayBuffer, linkType: number): void;
  /**
   * Parses too, and returns each packet's layers: packet i owns records
   * [2*index[i], 2*index[i+1]); word 0 = proto | depth<<8 | csum<<16 | quoted<<24, word 1 = offset.
   */
  describe(buffer: ArrayBuffer, linkType: number): { records: Uint32Array; index: Uint32Array };
}

/** Options of a native datapath (native/datapath.h). */
export interface NativeDatapathOptions {
  /** pcap link type of the packets (default 1, Ethernet). */
  linkType?: number;
  /** false: every packet is an upcall (--no-cache). Default true. */
  cache?: boolean;
  /** Megaflow limit (default 65536). */
  maxFlows?: number;
  /** Exact-match cache entries, a power of two; 0 disables it (default 8192). */
  emcEntries?: number;
  /** Headers of the flow hash written to COL_HASH: 0 outer (default), 1 inner. */
  rssLayer?: number;
  /** Per in_port overrides of rssLayer: (port, layer) pairs. */
  rssPorts?: Uint32Array;
  /** What a packet failing the parser's checks becomes (native/parse.h MalformedPolicy; default 'drop'). */
  malformed?: MalformedPolicy;
}

/**
 * `drop`: dropped with the check's reason. `ovs-userspace`: as Open vSwitch's
 * userspace datapath, the flow ends at a header failing OVS's checks and the
 * packet goes on (only a frame shorter than an Ethernet header is dropped).
 */
export type MalformedPolicy = 'drop' | 'ovs-userspace';

/** Result of classify()/process(): misses in input order; ticket 0 when already executed. */
export interface NativeClassifyResult {
  ticket: number;
  misses: Uint32Array;
  /** process() only, when nothing missed: as NativeExecuteResult. */
  next?: number;
  origin?: Uint32Array;
  cookies?: Uint32Array;
  inplace?: Uint32Array;
}

export interface NativeExecuteResult {
  /** First input packet not executed (== count when done). */
  next: number;
  /** Input index of each output packet appended. */
  origin: Uint32Array;
  /** userspace() cookies, in execution order. */
  cookies: Uint32Array;
  /**
   * In-place mode only: input packets executed in place (single-output
   * programs): each is its own output (NEXT = port), not in `out`.
   */
  inplace?: Uint32Array;
}

/** Counters of a native datapath; `drops` is indexed by DropReason. */
export interface NativeDatapathStats {
  packets: number;
  batches: number;
  upcalls: number;
  executed: number;
  outputs: number;
  userspace: number;
  /** Packets handed to recirculation (recirc()). */
  recirculated: number;
  /** Packets the parser called malformed as they entered (recirculations not counted). */
  malformed: number;
  dropped: number;
  cycles: number;
  emcHits: number;
  megaflowHits: number;
  misses: number;
  subtableLookups: number;
  installs: number;
  replaced: number;
  evictions: number;
  flushes: number;
  staleInstalls: number;
  flows: number;
  subtables: number;
  version: number;
  drops: number[];
}

export interface NativeFlowDump {
  key: Uint8Array;
  mask: Uint8Array;
  actions: Uint8Array;
  packets: number;
  bytes: number;
  id: number;
}

/** One datapath instance: parse, flow cache, action executor. */
export interface NativeDatapath {
  /**
   * Parses and looks up every packet; with a shard filter (the receive
   * side's table of 128 entries and this PMD's number) only the packets whose
   * COL_HASH selects `shardSelf` (the rest are left alone, also by execute).
   */
  classify(batch: ArrayBuffer, shardTable?: Uint8Array | null, shardSelf?: number): NativeClassifyResult;
  /** classify() for recirculated packets: `depth` recirculations behind them, flows of epochs <= maxEpoch only. */
  classifyRecirc(batch: ArrayBuffer, depth: number, maxEpoch: number): NativeClassifyResult;
  /** Packets recirc() handed over since the last call (a fresh batch, null when none) and their input index. */
  takeRecirc(): { buffer: ArrayBuffer | null; origin: Uint32Array };
  /**
   * Executes a classified batch from `start`. With `inPlace`, single-output
   * programs run in the input batch itself (result.inplace) and `out` may be
   * null: execution then stops (next) at the first packet that needs an
   * output batch.
   */
  execute(
    ticket: number,
    batch: ArrayBuffer,
    out: ArrayBuffer | null,
    start: number,
    answerIndex: Uint32Array,
    answerOffsets: Uint32Array,
    answerBytes: Uint8Array,
    inPlace?: boolean,
  ): NativeExecuteResult;
  process(batch: ArrayBuffer, out: ArrayBuffer | null, inPlace?: boolean, shardTable?: Uint8Array | null, shardSelf?: number): NativeClassifyResult;
  install(keys: Uint8Array, masks: Uint8Array, offsets: Uint32Array, programs: Uint8Array, version: number, epoch?: number): number;
  setVersion(version: number): void;
  flush(): void;
  dropTicket(ticket: number): void;
  stats(): NativeDatapathStats;
  clearStats(): void;
  dumpFlows(): NativeFlowDump[];
}

/** Functions the addon exports. Each js_*.cc file adds its own. */
export interface NativeAddon {
  batchLayout(capacity: number, dataSize: number): NativeBatchLayout;
  initBatch(buffer: ArrayBuffer, capacity: number, dataSize: number, headroom: number, tailroom: number): void;
  dropReasons(): [string, string][];
  /** native/js_parse.cc: the packet parser (src/packet/parse.ts wraps it). */
  Parser: new (options?: NativeParserOptions) => NativeParser;
  /** native/js_tunnel.cc: encapsulates with 128-byte templates; states = IPv4 ID counters, select = template per packet. */
  tunnelEncap(batch: ArrayBuffer, templates: Uint8Array, states: Uint16Array, select: Uint16Array | null): number;
  /** Decapsulates with a serialized receiver; meta gets 64 bytes of TunnelMeta per packet. */
  tunnelDecap(batch: ArrayBuffer, receiver: Uint8Array, meta: Uint8Array | null): number;
  tunnelTemplateCheck(templates: Uint8Array): void;
  tunnelReceiverCheck(receiver: Uint8Array): void;
  /** Benchmark roofline: push_head + memcpy of `header` into every packet. */
  tunnelRoofline(batch: ArrayBuffer, header: Uint8Array): number;
  /** native/js_datapath.cc: writes COL_HASH (Toeplitz, Microsoft key); layer 0 outer (flow key), 1 inner headers. */
  rssHashBatch(batch: ArrayBuffer, layer?: number): void;
  /** Toeplitz hash of `input` with `key` (key.length >= input.length + 4). */
  toeplitzHash(key: Uint8Array, input: Uint8Array): number;
  /** True when the native validator accepts the action program. */
  validateActions(program: Uint8Array): boolean;
  /** Runs a program on packet `index` of `batch`, appending outputs to `out`. */
  executeActions(batch: ArrayBuffer, index: number, program: Uint8Array, out: ArrayBuffer): { outputs: number; drop: number; cookies: Uint32Array; /** ICMP errors (check_mtu) appended to out, not in outputs */ errors: number };
  /**
   * The receive side in one call: RSS hash of every packet (parsing only the
   * frames the hash cannot take from the bytes), shard batches of exactly the
   * needed size (null for an empty shard), the input index of each copy, the
   * invalid packets, and the packets per indirection-table entry.
   */
  rssShard(
    batch: ArrayBuffer,
    linkType: number,
    layer: number,
    table: Uint8Array,
    shards: number,
    keepLargest?: boolean,
    /** Per in_port overrides of `layer`: (port, layer) pairs. */
    rssPorts?: Uint32Array | null,
    /** Buffers nothing reads any more, for shard batches (`spares` in the result: the positions used). */
    spares?: ArrayBuffer[] | null,
  ): { buffers: (ArrayBuffer | null)[]; index: Uint32Array[]; invalid: Uint32Array; buckets: Uint32Array; kept: number; spares: number[] };
  Datapath: new (options?: NativeDatapathOptions) => NativeDatapath;
  /** native/js_offload.cc (src/offload/native-offload.ts wraps these): virtio_net_hdr -> columns. */
  applyVnetHdr(batch: ArrayBuffer, index: number, hdr: Uint8Array): void;
  /** Completes NEEDS_CSUM packets; zeroFold 0 = 0xFFFF, 1 = 0x0000; engine 0 correct, 1 bad-hw-csum, 2 nested-mplsogre-csum, 3 vxlan-vlan-gso. */
  csumComplete(batch: ArrayBuffer, zeroFold: number, engine: number): number;
  /** The receiving host's TCP/UDP checksum check (native/rx_csum_check.h); returns packets dropped. */
  rxCsumCheck(batch: ArrayBuffer): number;
  gsoBatch(input: ArrayBuffer, output: ArrayBuffer, options: NativeGsoOptions): { consumed: number; outputFull: boolean };
  gsoPacket(input: ArrayBuffer, index: number, output: ArrayBuffer, options: NativeGsoOptions): { drop: number; segments: number };
  mtuCheck(batch: ArrayBuffer, index: number, ipMtu: number, frameLimit: number): { verdict: number; ipLength: number };
  ipv4Fragment(input: ArrayBuffer, index: number, mtu: number, output: ArrayBuffer): { drop: number; fragments: number };
  icmpErrorAllowed(batch: ArrayBuffer, index: number): boolean;
  icmpFragNeeded(input: ArrayBuffer, index: number, mtu: number, options: NativeIcmpOptions, output: ArrayBuffer): void;
  icmpv6PacketTooBig(input: ArrayBuffer, index: number, mtu: number, options: NativeIcmpOptions, output: ArrayBuffer): void;
  Reassembler: new (limits?: { maxDatagrams?: number; maxBytes?: number; timeoutNs?: number; timeout6Ns?: number }) => NativeReassembler;
  /** native/js_pcap.cc: the classic pcap reader's bulk path (native/pcap_records.h); dataOffsets gets each record's data offset in src. */
  appendPcapRecords(src: Uint8Array, batch: ArrayBuffer, options: NativePcapRecordOptions, dataOffsets: Uint32Array): { bytes: number; packets: number };
  /**
   * The pcap writer's bulk path (native/pcap_write.h): records for packets index[k] of batches[chunk[k]] (k < count), stamped
   * with their TS columns, into dst from dstOffset, as many as fit.
   */
  writePcapRecords(batches: ArrayBuffer[], chunk: Uint32Array | null, index: Uint32Array, count: number, snaplen: number, dst: Uint8Array, dstOffset: number): { bytes: number; records: number };
}

/** Options of appendPcapRecords (native/pcap_records.h PcapRecordOptions). */
export interface NativePcapRecordOptions {
  littleEndian: boolean;
  nanosecond: boolean;
  maxCaplen: number;
  maxPackets: number;
  inPort: number;
  limit?: { sec: number; nsec: number; inclusive: boolean };
}

/** Options of gsoBatch/gsoPacket (native/gso_segment.h GsoOptions). */
export interface NativeGsoOptions {
  profile?: number;
  partialCsum?: boolean;
  fixedId?: boolean;
  gsoSize?: number;
}

/** Options of the ICMP error builders (native/icmp_error.h IcmpErrorOptions). */
export interface NativeIcmpOptions {
  srcMac?: Uint8Array;
  srcIp?: Uint8Array;
  ttl?: number;
  tos?: number;
  df?: boolean;
  ipId?: number;
  flowLabel?: number;
  maxLength?: number;
}

/** native/reassembly.h Reassembler. */
export interface NativeReassembler {
  feed(input: ArrayBuffer, index: number, nowNs: number, output: ArrayBuffer): {
    drop: number;
    droppedFragments: number;
    held: boolean;
    emitted: boolean;
  };
  expire(nowNs: number): { fragments: number; bytes: number }[];
  datagrams(): number;
  bytes(): number;
}

/** The repository root: the nearest folder above this file with our package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const parsed = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string };
      if (parsed.name === 'vswitch-sim') return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new NativeError('ERR_VS_PACKAGE_ROOT', 'cannot find the vswitch-sim package root');
    dir = up;
  }
}

function candidatePaths(root: string): string[] {
  const fromEnv = process.env.VSWITCH_SIM_ADDON;
  return [
    ...(fromEnv ? [fromEnv] : []),
    join(root, 'build', 'Release', 'vswitch_native.node'),
    join(root, 'build', 'Debug', 'vswitch_native.node'),
  ];
}

let loaded: NativeAddon | undefined;

/** The addon, loaded and layout-checked on first use. */
export function native(): NativeAddon {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const tried = candidatePaths(packageRoot());
  let addon: NativeAddon | undefined;
  const failures: string[] = [];
  for (const path of tried) {
    if (!existsSync(path)) {
      failures.push(`${path} (missing)`);
      continue;
    }
    try {
      addon = require(path) as NativeAddon;
      break;
    } catch (err) {
      failures.push(`${path} (${(err as Error).message})`);
    }
  }
  if (!addon) {
    throw new NativeError(
      'ERR_VS_ADDON_MISSING',
      `the native addon is not built; run \`npm install\` (or \`npm run build:native\`). Tried:\n  ${failures.join('\n  ')}`,
    );
  }
  checkLayout(addon);
  loaded = addon;
  return addon;
}

function describeMismatch(ours: BatchLayout, theirs: NativeBatchLayout): string | undefined {
  if (ours.version !== theirs.version) return `version ${ours.version} vs ${theirs.version}`;
  if (ours.headerSize !== theirs.headerSize) return `header size ${ours.headerSize} vs ${theirs.headerSize}`;
  if (ours.keySize !== theirs.keySize) return `flow key size ${ours.keySize} vs ${theirs.keySize}`;
  if (ours.columns.length !== theirs.columns.length)
    return `${ours.columns.length} columns vs ${theirs.columns.length}`;
  for (let c = 0; c < ours.columns.length; c++) {
    const a = ours.columns[c];
    const b = theirs.columns[c];
    if (a.name !== b.name || a.offset !== b.offset || a.elementSize !== b.elementSize)
      return `column ${c}: ${a.name}@${a.offset}x${a.elementSize} vs ${b.name}@${b.offset}x${b.elementSize}`;
  }
  if (ours.keyOffset !== theirs.keyOffset) return `key offset ${ours.keyOffset} vs ${theirs.keyOffset}`;
  if (ours.dataOffset !== theirs.dataOffset) return `data offset ${ours.dataOffset} vs ${theirs.dataOffset}`;
  if (ours.totalSize !== theirs.totalSize) return `total size ${ours.totalSize} vs ${theirs.totalSize}`;
  return undefined;
}

function checkLayout(addon: NativeAddon): void {
  for (const [capacity, dataSize] of [
    [1, 0],
    [3, 1000],
    [256, 1 << 20],
  ]) {
    const mismatch = describeMismatch(computeBatchLayout(capacity, dataSize), addon.batchLayout(capacity, dataSize));
    if (mismatch) {
      throw new NativeError(
        'ERR_VS_LAYOUT_MISMATCH',
        `the native addon's batch layout differs from the TypeScript one (${mismatch}); rebuild with \`npm run build:native\``,
      );
    }
  }
}
