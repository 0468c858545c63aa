/**
 * Upcall handling on the main thread: the packets a datapath missed are
 * translated by the slow path one at a time, in input order, into an action
 * program and (usually) a megaflow to install in every PMD.
 *
 * A slow path that throws, or answers with an invalid program, costs the
 * packet (dropped as upcall_failed) and installs nothing; it never stops the
 * run. Installs are de-duplicated per (mask, masked key).
 */
import { compileActions, type Action } from '../datapath/actions.js';
import { FLOW_KEY_SIZE } from '../datapath/batch-layout.js';
import { native } from '../datapath/native.js';
import type { AnswerSet, InstallSet } from '../datapath/worker/protocol.js';

/** One missed packet. Views are valid only during translate(). */
export interface Upcall {
  /** Position of the packet in the engine's input (0-based, over all batches). */
  seq: number;
  inPort: number;
  /** The parsed flow key (FLOW_KEY_SIZE bytes, native/flow_key.h layout). */
  key: Uint8Array;
  packet: Uint8Array;
}

export interface Translation {
  /** The datapath actions (or an already compiled program). */
  actions: readonly Action[] | Uint8Array;
  /** The megaflow mask (FLOW_KEY_SIZE bytes): the key bits translation read. Omit to install nothing. */
  mask?: Uint8Array;
  /** Human-readable steps of the translation (ofproto/trace style). */
  trace?: string[];
}

/** A device model as seen by the datapath: translates one packet at a time. */
export interface SlowPath {
  /** Configuration version; installs carry it and a change invalidates every cache. */
  readonly version: number;
  translate(upcall: Upcall): Translation;
}

export interface UpcallStats {
  upcalls: number;
  succeeded: number;
  failed: number;
  installs: number;
  /** First failures, for the report. */
  errors: { seq: number; message: string }[];
}

const MAX_ERRORS = 20;

export class UpcallHandler {
  readonly stats: UpcallStats = { upcalls: 0, succeeded: 0, failed: 0, installs: 0, errors: [] };
  private readonly failProgram = compileActions([{ type: 'drop', reason: 'upcall_failed' }]);
  /** Called after each translation (explain / trace listeners). */
  onTranslate?: (upcall: Upcall, translation: Translation | undefined, error?: unknown) => void;

  constructor(
    readonly slowPath: SlowPath,
    private readonly installFlows: boolean,
  ) {}

  /**
   * Translates upcalls in order. Returns the program per upcall (same order)
   * and the megaflows to install.
   */
  translate(upcalls: readonly Upcall[]): { programs: Uint8Array[]; failed: boolean[]; installs: InstallSet | undefined } {
    const programs: Uint8Array[] = [];
    const failed: boolean[] = [];
    const keys: Uint8Array[] = [];
    const masks: Uint8Array[] = [];
    const progs: Uint8Array[] = [];
    const seen = new Set<string>();
    for (const u of upcalls) {
      this.stats.upcalls++;
      let t: Translation | undefined;
      let program: Uint8Array;
      try {
        t = this.slowPath.translate(u);
        program = t.actions instanceof Uint8Array ? t.actions : compileActions(t.actions);
        if (!native().validateActions(program)) throw new RangeError('the slow path answered with an invalid action program');
        this.stats.succeeded++;
        this.onTranslate?.(u, t);
      } catch (err) {
        this.stats.failed++;
        if (this.stats.errors.length < MAX_ERRORS) this.stats.errors.push({ seq: u.seq, message: err instanceof Error ? err.message : String(err) });
        this.onTranslate?.(u, undefined, err);
        programs.push(this.failProgram);
        failed.push(true);
        continue;
      }
      programs.push(program);
      failed.push(false);
      if (!this.installFlows || !t.mask) continue;
      if (t.mask.length !== FLOW_KEY_SIZE) throw new RangeError(`expected a ${FLOW_KEY_SIZE}-byte megaflow mask, received ${t.mask.length} bytes`);
      const masked = new Uint8Array(FLOW_KEY_SIZE);
      for (let k = 0; k < FLOW_KEY_SIZE; k++) masked[k] = u.key[k] & t.mask[k];
      const id = Buffer.from(t.mask).toString('latin1') + Buffer.from(masked).toString('latin1');
      if (seen.has(id)) continue;
      seen.add(id);
      keys.push(masked);
      masks.push(t.mask.slice());
      progs.push(program);
    }
    this.stats.installs += keys.length;
    return { programs, failed, installs: keys.length ? packInstalls(keys, masks, progs, this.slowPath.version) : undefined };
  }
}

function packInstalls(keys: Uint8Array[], masks: Uint8Array[], programs: Uint8Array[], version: number): InstallSet {
  const n = keys.length;
  const k = new Uint8Array(n * FLOW_KEY_SIZE);
  const m = new Uint8Array(n * FLOW_KEY_SIZE);
  keys.forEach((key, i) => k.set(key, i * FLOW_KEY_SIZE));
  masks.forEach((mask, i) => m.set(mask, i * FLOW_KEY_SIZE));
  const { offsets, bytes } = packPrograms(programs);
  return { keys: k, masks: m, offsets, programs: bytes, version };
}

/** Concatenates programs: program k is bytes[offsets[k], offsets[k+1]). */
export function packPrograms(programs: readonly Uint8Array[]): { offsets: Uint32Array; bytes: Uint8Array } {
  const offsets = new Uint32Array(programs.length + 1);
  let total = 0;
  programs.forEach((p, i) => {
    offsets[i] = total;
    total += p.length;
  });
  offsets[programs.length] = total;
  const bytes = new Uint8Array(total);
  programs.forEach((p, i) => bytes.set(p, offsets[i]));
  return { offsets, bytes };
}

/** Answers for one PMD: the programs of its misses (by its local packet index). */
export function answerSet(index: Uint32Array, programs: readonly Uint8Array[]): AnswerSet {
  const { offsets, bytes } = packPrograms(programs);
  return { index, offsets, bytes };
}
