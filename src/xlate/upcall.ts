/**
 * Upcall handling on the main thread: the packets a datapath missed are
 * translated by the slow path one at a time, in input order, into an action
 * program and (usually) a megaflow to install in every PMD.
 *
 * A slow path that throws, or answers with an invalid program, costs the
 * packet (dropped as upcall_failed) and installs nothing; it never stops the
 * run.
 *
 * Flows reach the PMDs a few batches after the upcalls that made them (see
 * src/datapath/engine.ts), so the handler keeps the megaflows of recent
 * translations and answers a miss that one of them covers with its program,
 * without translating: the re-lookup OVS's dpif-netdev does before an upcall
 * ("an earlier slow path execution installed a rule covering this flow").
 * It follows that a megaflow is installed at most once per version.
 */
import { compileActions, type Action } from '../datapath/actions.js';
import { FLOW_KEY_SIZE } from '../datapath/batch-layout.js';
import { native, type MalformedPolicy } from '../datapath/native.js';
import type { AnswerSet, InstallSet } from '../datapath/worker/protocol.js';

/** One missed packet. Views are valid only during translate(). */
export interface Upcall {
  /** Position of the packet in the engine's input (0-based, over all batches). */
  seq: number;
  inPort: number;
  /** The parsed flow key (FLOW_KEY_SIZE bytes, native/flow_key.h layout). */
  key: Uint8Array;
  packet: Uint8Array;
  /** The packet's length on the wire when it was captured short (default its length). */
  wireLength?: number;
}

export interface Translation {
  /** The datapath actions (or an already compiled program). */
  actions: readonly Action[] | Uint8Array;
  /**
   * The megaflow mask (FLOW_KEY_SIZE bytes): the key bits translation read.
   * Omit to install nothing. The megaflow is valid for the slow path's
   * `version` as it is when translate() returns.
   */
  mask?: Uint8Array;
  /** Human-readable steps of the translation (ofproto/trace style). */
  trace?: string[];
}

/** A device model as seen by the datapath: translates one packet at a time. */
export interface SlowPath {
  /**
   * Configuration version; installs carry it and a change invalidates every
   * cache. It may change during translate() (MAC learning): megaflows
   * translated before the change are stale.
   */
  readonly version: number;
  translate(upcall: Upcall): Translation;
  /**
   * What the datapath this slow path models makes of packets failing the
   * parser's checks (default 'drop'; the OVS model: 'ovs-userspace'): the
   * engine's PMDs parse by its rule.
   */
  readonly malformed?: MalformedPolicy;
}

export interface UpcallStats {
  /** Translations (each one call of the slow path). */
  upcalls: number;
  succeeded: number;
  failed: number;
  /** Misses answered from a recently translated megaflow the PMDs did not hold yet, without a translation. */
  reused: number;
  installs: number;
  /** First failures, for the report. */
  errors: { seq: number; message: string }[];
}

/** The answer to one upcall. */
export interface UpcallAnswer {
  program: Uint8Array;
  /** How it was answered: a translation that succeeded or failed, or a recent megaflow. */
  outcome: 'ok' | 'failed' | 'reused';
}

const MAX_ERRORS = 20;

export class UpcallHandler {
  readonly stats: UpcallStats = { upcalls: 0, succeeded: 0, failed: 0, reused: 0, installs: 0, errors: [] };
  private readonly failProgram = compileActions([{ type: 'drop', reason: 'upcall_failed' }]);
  private readonly recent = new RecentMegaflows();
  /** Called after each translation (explain / trace listeners); not for reused answers. */
  onTranslate?: (upcall: Upcall, translation: Translation | undefined, error?: unknown) => void;

  constructor(
    readonly slowPath: SlowPath,
    private readonly installFlows: boolean,
  ) {}

  /**
   * Translates the upcalls of engine batch `batch` in order (a miss covered
   * by a megaflow of a recent translation at the current version is answered
   * from it instead). Returns the answer per upcall (same order) and the
   * megaflows to install: those translated at the slow path's final version.
   */
  translate(upcalls: readonly Upcall[], batch: number): { answers: UpcallAnswer[]; installs: InstallSet | undefined } {
    const answers: UpcallAnswer[] = [];
    const translated: { key: Uint8Array; mask: Uint8Array; program: Uint8Array; version: number }[] = [];
    for (const u of upcalls) {
      const reused = this.recent.find(u.key, this.slowPath.version);
      if (reused) {
        this.stats.reused++;
        answers.push({ program: reused, outcome: 'reused' });
        continue;
      }
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
        answers.push({ program: this.failProgram, outcome: 'failed' });
        continue;
      }
      answers.push({ program, outcome: 'ok' });
      // Remembered only when installed: with the cache off every miss is translated.
      if (!this.installFlows || !t.mask) continue;
      if (t.mask.length !== FLOW_KEY_SIZE) throw new RangeError(`expected a ${FLOW_KEY_SIZE}-byte megaflow mask, received ${t.mask.length} bytes`);
      const masked = new Uint8Array(FLOW_KEY_SIZE);
      for (let k = 0; k < FLOW_KEY_SIZE; k++) masked[k] = u.key[k] & t.mask[k];
      const version = this.slowPath.version;
      this.recent.add(t.mask, masked, program, version, batch);
      translated.push({ key: masked, mask: t.mask.slice(), program, version });
    }
    // A megaflow translated before a version change in this call is stale: not installed.
    const finalVersion = this.slowPath.version;
    const current = translated.filter((f) => f.version === finalVersion);
    this.stats.installs += current.length;
    return { answers, installs: current.length ? packInstalls(current, finalVersion) : undefined };
  }

  /**
   * The flows of batches <= `upToBatch` are in the PMDs' caches for every
   * batch translated from now on: a miss they cover is a real miss (the
   * flow was refused or evicted) and goes to the slow path.
   */
  delivered(upToBatch: number): void {
    this.recent.forget(upToBatch);
  }
}

interface RecentFlow {
  /** Its masked key's bytes at the subtable's used offsets. */
  id: Uint8Array;
  program: Uint8Array;
  /** The slow path's version the megaflow was translated at. */
  version: number;
  /** The engine batch whose upcalls made it (it reaches the PMDs a few batches later). */
  batch: number;
}

/** The recent megaflows of one mask, by masked key. */
interface RecentSubtable {
  mask: Uint8Array;
  /** Offsets of the mask's non-zero bytes: only those make the masked key. */
  used: Uint8Array;
  /** By a hash of the masked key (maskedHash); a bucket holds one flow per masked key. */
  flows: Map<number, RecentFlow[]>;
}

/**
 * Megaflows translated in the last few batches, looked up as the PMDs'
 * classifier does (one table per mask, searched in the order masks first
 * appeared; the slow path's megaflows never disagree where they overlap).
 * Entries live until the engine has delivered their batch's installs.
 */
class RecentMegaflows {
  private readonly subtables = new Map<string, RecentSubtable>();
  private forgottenUpTo = -Infinity;

  /** The program of a megaflow translated at `version` that covers `key`. */
  find(key: Uint8Array, version: number): Uint8Array | undefined {
    for (const s of this.subtables.values()) {
      const bucket = s.flows.get(maskedHash(key, s.mask, s.used));
      if (!bucket) continue;
      const f = bucket.find((g) => maskedEqual(key, s, g.id));
      if (f?.version === version) return f.program;
    }
    return undefined;
  }

  add(mask: Uint8Array, maskedKey: Uint8Array, program: Uint8Array, version: number, batch: number): void {
    const maskId = Buffer.from(mask).toString('latin1');
    let s = this.subtables.get(maskId);
    if (!s) {
      const used = Uint8Array.from(mask.keys()).filter((k) => mask[k] !== 0);
      s = { mask: mask.slice(), used, flows: new Map() };
      this.subtables.set(maskId, s);
    }
    const h = maskedHash(maskedKey, s.mask, s.used);
    let bucket = s.flows.get(h);
    if (!bucket) s.flows.set(h, (bucket = []));
    const flow: RecentFlow = { id: Uint8Array.from(s.used, (k) => maskedKey[k] & s.mask[k]), program, version, batch };
    // the latest translation of a masked key replaces the earlier one
    const same = bucket.findIndex((f) => maskedEqual(maskedKey, s, f.id));
    if (same >= 0) bucket[same] = flow;
    else bucket.push(flow);
  }

  forget(upToBatch: number): void {
    if (upToBatch <= this.forgottenUpTo) return;
    this.forgottenUpTo = upToBatch;
    for (const [id, s] of this.subtables) {
      for (const [h, bucket] of s.flows) {
        const kept = bucket.filter((f) => f.batch > upToBatch);
        if (kept.length === 0) s.flows.delete(h);
        else if (kept.length !== bucket.length) s.flows.set(h, kept);
      }
      if (s.flows.size === 0) this.subtables.delete(id);
    }
  }
}

/** FNV-1a over the bytes of `key & mask` at the mask's non-zero offsets (a number: no string per lookup). */
function maskedHash(key: Uint8Array, mask: Uint8Array, used: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < used.length; i++) {
    const k = used[i];
    h = Math.imul(h ^ (key[k] & mask[k]), 0x01000193);
  }
  return h >>> 0;
}

/** True when `key & mask` has the bytes `id` at the subtable's used offsets. */
function maskedEqual(key: Uint8Array, s: RecentSubtable, id: Uint8Array): boolean {
  const { mask, used } = s;
  for (let i = 0; i < used.length; i++) if ((key[used[i]] & mask[used[i]]) !== id[i]) return false;
  return true;
}

function packInstalls(flows: readonly { key: Uint8Array; mask: Uint8Array; program: Uint8Array }[], version: number): InstallSet {
  const n = flows.length;
  const k = new Uint8Array(n * FLOW_KEY_SIZE);
  const m = new Uint8Array(n * FLOW_KEY_SIZE);
  flows.forEach((f, i) => {
    k.set(f.key, i * FLOW_KEY_SIZE);
    m.set(f.mask, i * FLOW_KEY_SIZE);
  });
  const { offsets, bytes } = packPrograms(flows.map((f) => f.program));
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
