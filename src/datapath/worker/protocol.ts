/**
 * Messages between the engine (main thread) and a PMD (a worker thread, or
 * the same thread when running in-process). Buffers move as transferables:
 * a batch belongs to exactly one thread at a time.
 */
import type { NativeDatapathOptions, NativeDatapathStats, NativeFlowDump } from '../native.js';

/** Megaflows to install: n keys and masks (144 bytes each) and n programs. */
export interface InstallSet {
  keys: Uint8Array;
  masks: Uint8Array;
  offsets: Uint32Array;
  programs: Uint8Array;
  version: number;
  /** Install epoch (batch sequence + 1 of the upcalls that made it); recirculation lookups filter on it. */
  epoch?: number;
}

/**
 * Recirculated packets that missed the cache: the PMD waits for an execute
 * task with `ticket`, this buffer and the answers to `misses`. `index` maps
 * each packet of `buffer` to its input packet (index in the PMD's batch).
 */
export interface RecircPending {
  buffer: ArrayBuffer;
  ticket: number;
  misses: Uint32Array;
  index: Uint32Array;
}

/** Upcall answers: program k is bytes[offsets[k], offsets[k+1]) for packet index[k]. */
export interface AnswerSet {
  index: Uint32Array;
  offsets: Uint32Array;
  bytes: Uint8Array;
}

export interface PmdConfig {
  pmd: number;
  datapath: NativeDatapathOptions;
  /** Test hook: the worker exits (as a crash) when it receives this batch sequence number. */
  crashAtBatch?: number;
}

export type PmdTask =
  | {
      kind: 'process';
      seq: number;
      buffer: ArrayBuffer | null;
      installs: InstallSet[];
      version: number;
      /**
       * The buffer is the whole input batch, shared out by the receive side:
       * this PMD's packets are those whose COL_HASH selects `self` in `table`
       * (128 entries); the others are left alone.
       */
      shard?: { table: Uint8Array; self: number };
    }
  | { kind: 'execute'; seq: number; ticket: number; buffer: ArrayBuffer; answers: AnswerSet }
  | { kind: 'stats'; clear: boolean }
  | { kind: 'dump' };

/**
 * Output packets in one batch and the input index of each. Without `index`
 * they are packets 0..n-1 of the batch (an output batch); with it, packets
 * index[k] (an input batch whose packets were executed in place).
 */
export interface OutputChunk {
  buffer: ArrayBuffer;
  origin: Uint32Array;
  index?: Uint32Array;
}

export type PmdResult =
  | {
      kind: 'processed';
      seq: number;
      /** The input batch, handed back (its DROP column is final once executed). */
      buffer: ArrayBuffer | null;
      /** Non-zero when misses wait for an execute task. */
      ticket: number;
      misses: Uint32Array;
      outputs: OutputChunk[];
      cookies: Uint32Array;
      busyNs: number;
      recirc?: RecircPending;
      /** Drops of recirculated copies: pairs (input index in the PMD's batch, reason). */
      recircDrops?: Uint32Array;
      /** Some outputs come from recirculation passes (they follow the first pass's, out of input order). */
      recirculated?: boolean;
    }
  | {
      kind: 'executed';
      seq: number;
      /** The executed batch (the input batch, or a recirculation batch). */
      buffer: ArrayBuffer;
      outputs: OutputChunk[];
      cookies: Uint32Array;
      busyNs: number;
      recirc?: RecircPending;
      recircDrops?: Uint32Array;
      /** Some outputs come from recirculation passes (they follow the first pass's, out of input order). */
      recirculated?: boolean;
    }
  | { kind: 'stats'; stats: NativeDatapathStats; busyNs: number; tasks: number }
  | { kind: 'dump'; flows: NativeFlowDump[] };

/** Every ArrayBuffer a message carries (its transfer list). */
export function transferables(msg: PmdTask | PmdResult): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const add = (b: ArrayBuffer | null | undefined): void => {
    if (b && !out.includes(b)) out.push(b);
  };
  if ('buffer' in msg) add(msg.buffer);
  if ('outputs' in msg) for (const o of msg.outputs) add(o.buffer);
  if ('recirc' in msg) add(msg.recirc?.buffer);
  return out;
}
