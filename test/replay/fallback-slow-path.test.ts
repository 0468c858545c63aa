/**
 * FallbackSlowPath: a translation the engine cannot take (the slow path
 * throws, or answers with an action that does not compile) becomes a
 * userspace() answer without a megaflow, and the packet is listed for the
 * model's per-packet slow path; good translations pass through unchanged.
 */
import { describe, expect, it } from 'vitest';

import type { Action } from '../../src/datapath/actions.js';
import { FALLBACK_COOKIE, FallbackSlowPath } from '../../src/replay/fallback-slow-path.js';
import type { SlowPath, Translation, Upcall } from '../../src/xlate/upcall.js';

const upcall = (seq: number): Upcall => ({ seq, inPort: 1, key: new Uint8Array(144), packet: new Uint8Array(60) });

class Scripted implements SlowPath {
  version = 3;
  translate(u: Upcall): Translation {
    if (u.seq === 1) throw new RangeError('cannot express this');
    if (u.seq === 2) return { actions: [{ type: 'output', port: -5 } as unknown as Action] };
    return { actions: [{ type: 'output', port: 2 }], mask: new Uint8Array(144) };
  }
}

describe('FallbackSlowPath', () => {
  it('passes good translations, diverts the others to the model with the reason', () => {
    const f = new FallbackSlowPath(new Scripted());
    expect(f.version).toBe(3);
    const ok = f.translate(upcall(0));
    expect(ok.actions).toEqual([{ type: 'output', port: 2 }]);
    expect(ok.mask).toBeDefined();
    for (const seq of [1, 2]) {
      const t = f.translate(upcall(seq));
      expect(t).toEqual({ actions: [{ type: 'userspace', cookie: FALLBACK_COOKIE }] });
    }
    const taken = f.take();
    expect([...taken.keys()]).toEqual([1, 2]);
    expect(taken.get(1)).toBe('cannot express this');
    expect(f.take().size).toBe(0);
  });

  it('diverts everything in a model-only run', () => {
    const f = new FallbackSlowPath(new Scripted(), true);
    expect(f.translate(upcall(0))).toEqual({ actions: [{ type: 'userspace', cookie: FALLBACK_COOKIE }] });
    expect([...f.take()]).toEqual([[0, 'model-only run']]);
  });
});
