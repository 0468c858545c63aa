/**
 * The engine's slow path for a replay, with a per-packet fallback for what
 * the datapath engine cannot express: when the inner slow path (the OVS
 * model, OvsSlowPath) throws or answers with actions the engine cannot
 * compile, the upcall is answered with `userspace(cookie=FALLBACK_COOKIE)`
 * and no megaflow (the packet is neither dropped nor cached) and its engine
 * position is recorded; the replay then runs the model's own per-packet
 * slow path (OvsHost.receive) on it and counts it. Only when that fails too
 * is the packet dropped (`upcall_failed`). With `divertAll`, every packet
 * takes the model's path (a reference run to compare the engine against).
 */
import { compileActions } from '../datapath/actions.js';
import type { MalformedPolicy } from '../datapath/native.js';
import type { SlowPath, Translation, Upcall } from '../xlate/upcall.js';

/** userspace() cookie marking a packet left to the model's per-packet slow path. */
export const FALLBACK_COOKIE = 0x7e9a11;

export class FallbackSlowPath implements SlowPath {
  /** Engine positions (Upcall.seq) of packets to run through the model, with the reason; drained by take(). */
  private pending = new Map<number, string>();

  constructor(
    private readonly inner: SlowPath,
    private readonly divertAll = false,
  ) {}

  get version(): number {
    return this.inner.version;
  }

  get malformed(): MalformedPolicy | undefined {
    return this.inner.malformed;
  }

  translate(upcall: Upcall): Translation {
    if (this.divertAll) return this.divert(upcall.seq, 'model-only run');
    try {
      const t = this.inner.translate(upcall);
      if (!(t.actions instanceof Uint8Array)) compileActions(t.actions);
      return t;
    } catch (err) {
      return this.divert(upcall.seq, err instanceof Error ? err.message : String(err));
    }
  }

  private divert(seq: number, reason: string): Translation {
    this.pending.set(seq, reason);
    return { actions: [{ type: 'userspace', cookie: FALLBACK_COOKIE }] };
  }

  /** The engine positions (and why) recorded since the last call. */
  take(): Map<number, string> {
    const p = this.pending;
    this.pending = new Map();
    return p;
  }
}
