/**
 * Receive side: the RSS hash picks an rx queue through a NIC-style
 * indirection table (RETA, 128 entries filled round robin as Linux and DPDK
 * drivers do by default), and rx queues are assigned to PMD threads as OVS's
 * other_config:pmd-rxq-assign says:
 *  - roundrobin: queues in (port, queue) order dealt to PMDs in turn;
 *  - cycles: queues sorted by measured load, heaviest first, dealt to PMDs in
 *    turn going up then down (0, 1, .., n-1, n-1, .., 0, 0, 1, ..), as OVS's
 *    rr_numa "updown" order: the example of OVS's pmd.rst (Q1 80%, Q4 70%,
 *    Q3 60%, Q0 30%, Q5 10% on cores 3, 7, 8) gives core 3: Q1; core 7: Q4,
 *    Q5; core 8: Q3, Q0;
 *  - group: queues sorted by load, each to the PMD with the lowest running
 *    total (ties: fewer queues, then the lower PMD).
 * Loads are what the engine measured per queue (packets received in the last
 * interval, see engine.ts); queues without a load count as 0.
 * The hash itself is native (native/rss.h, Toeplitz with the Microsoft key).
 */
import { native } from './native.js';

export const RETA_SIZE = 128;
/** The 40-byte key published with the Microsoft RSS specification. */
export const MS_RSS_KEY = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
  0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
]);

export type RssLayer = 'outer' | 'inner';
export type RxqAssign = 'roundrobin' | 'cycles' | 'group';

/** The default indirection table for n queues: entry i -> i mod n. */
export function defaultReta(queues: number): Uint16Array {
  if (!Number.isInteger(queues) || queues < 1 || queues > 0xffff) throw new RangeError(`expected an integer in [1, 65535] for queues, received ${queues}`);
  const reta = new Uint16Array(RETA_SIZE);
  for (let i = 0; i < RETA_SIZE; i++) reta[i] = i % queues;
  return reta;
}

/** The rx queue of a hash: reta[hash mod RETA size] (the low bits, as NICs index it). */
export function rxqOfHash(hash: number, reta: Uint16Array): number {
  return reta[(hash >>> 0) % reta.length];
}

/** Writes the Toeplitz hash of every packet into the batch's HASH column (native). */
export function rssHashBatch(buffer: ArrayBuffer, layer: RssLayer = 'outer'): void {
  native().rssHashBatch(buffer, layer === 'inner' ? 1 : 0);
}

/** Toeplitz hash of raw input bytes (default key: the Microsoft one). */
export function toeplitzHash(input: Uint8Array, key: Uint8Array = MS_RSS_KEY): number {
  return native().toeplitzHash(key, input);
}

export interface RxqRef {
  port: number;
  queue: number;
  /** Measured processing load (cycles); used by `cycles` and `group`. */
  load?: number;
}

/**
 * Assigns rx queues to `pmds` PMD threads; returns, per PMD, its queues.
 * Deterministic: ties break on (port, queue).
 */
export function assignRxqs(rxqs: readonly RxqRef[], pmds: number, mode: RxqAssign = 'cycles'): RxqRef[][] {
  if (!Number.isInteger(pmds) || pmds < 1) throw new RangeError(`expected a positive integer for pmds, received ${pmds}`);
  const byId = (a: RxqRef, b: RxqRef): number => a.port - b.port || a.queue - b.queue;
  const out: RxqRef[][] = Array.from({ length: pmds }, () => []);
  const sorted = [...rxqs].sort(byId);
  if (mode === 'roundrobin') {
    sorted.forEach((q, i) => out[i % pmds].push(q));
    return out;
  }
  const byLoad = sorted.sort((a, b) => (b.load ?? 0) - (a.load ?? 0) || byId(a, b));
  if (mode === 'cycles') {
    byLoad.forEach((q, i) => {
      const lap = Math.floor(i / pmds);
      const k = i % pmds;
      out[lap % 2 === 0 ? k : pmds - 1 - k].push(q);
    });
    return out;
  }
  const total = new Array<number>(pmds).fill(0);
  for (const q of byLoad) {
    let best = 0;
    for (let p = 1; p < pmds; p++) if (total[p] < total[best] || (total[p] === total[best] && out[p].length < out[best].length)) best = p;
    out[best].push(q);
    total[best] += q.load ?? 0;
  }
  return out;
}
