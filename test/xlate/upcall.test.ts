/**
 * The upcall handler: a miss covered by a megaflow translated in a recent
 * batch (not in the PMDs yet) is answered from it without a translation, at
 * the same version only, until the engine says the flow was delivered; a
 * megaflow translated before a version change in the same call is not
 * installed; with the cache off every miss is translated.
 */
import { describe, expect, it } from 'vitest';

import { formatActions } from '../../src/datapath/actions.js';
import { FLOW_KEY_SIZE } from '../../src/datapath/batch-layout.js';
import { KEY_FIELDS, keyNumber } from '../../src/datapath/flow-key.js';
import { UpcallHandler, type Upcall } from '../../src/xlate/upcall.js';
import { CountingSlowPath } from './counting-slow-path.js';

/** A flow key with `inPort` and UDP source port `sport` (every upcall its own exact key). */
function upcall(seq: number, inPort: number, sport = seq): Upcall {
  const key = new Uint8Array(FLOW_KEY_SIZE);
  new DataView(key.buffer).setUint32(KEY_FIELDS.in_port[0], inPort, true);
  new DataView(key.buffer).setUint16(KEY_FIELDS.tp_src[0], sport, true);
  return { seq, inPort, key, packet: new Uint8Array(0) };
}

const text = (programs: readonly { program: Uint8Array }[]): string[] => programs.map((a) => formatActions(a.program));

describe('upcall handler: answers from recent megaflows', () => {
  it('translates a batch of different exact keys covered by one megaflow once and answers the others from it', () => {
    const sp = new CountingSlowPath();
    const h = new UpcallHandler(sp, true);
    const upcalls = Array.from({ length: 100 }, (_, k) => upcall(k, 1));
    const { answers, installs } = h.translate(upcalls, 0);
    expect(sp.calls).toBe(1);
    expect(answers.map((a) => a.outcome)).toEqual(['ok', ...Array<string>(99).fill('reused')]);
    expect(new Set(answers.map((a) => a.program)).size).toBe(1);
    expect(h.stats).toMatchObject({ upcalls: 1, succeeded: 1, failed: 0, reused: 99, installs: 1 });
    expect(installs?.keys.length).toBe(FLOW_KEY_SIZE);

    // The same answers as translating every packet with the cache off.
    const off = new CountingSlowPath();
    const plain = new UpcallHandler(off, false).translate(upcalls, 0);
    expect(off.calls).toBe(100);
    expect(plain.installs).toBeUndefined();
    expect(text(plain.answers)).toEqual(text(answers));
  });

  it('answers from megaflows of earlier batches until the engine delivered them', () => {
    const sp = new CountingSlowPath();
    const h = new UpcallHandler(sp, true);
    h.translate([upcall(0, 1)], 0);
    expect(h.translate([upcall(1, 1)], 1).answers[0].outcome).toBe('reused');
    expect(h.translate([upcall(2, 2)], 2).answers[0].outcome).toBe('ok');
    // Batch 0's flow is in the PMDs now: a miss it covers is a real miss (e.g. the flow was evicted).
    h.delivered(0);
    expect(h.translate([upcall(3, 1), upcall(4, 2)], 3).answers.map((a) => a.outcome)).toEqual(['ok', 'reused']);
    expect(sp.calls).toBe(3);
    expect(h.stats).toMatchObject({ upcalls: 3, reused: 2, installs: 3 });
  });

  it('does not install a megaflow translated before a version change, nor answer from it', () => {
    const sp = new CountingSlowPath();
    const h = new UpcallHandler(sp, true);
    // port 1 (v1), port 1 (reused), port 2 (v1), port 9 (-> v2), port 1 (stale at v2: translated), port 1 (reused at v2)
    const r = h.translate([upcall(0, 1), upcall(1, 1), upcall(2, 2), upcall(3, 9), upcall(4, 1), upcall(5, 1)], 0);
    expect(r.answers.map((a) => a.outcome)).toEqual(['ok', 'reused', 'ok', 'ok', 'ok', 'reused']);
    expect(sp.calls).toBe(4);
    // Only the port 1 megaflow translated at version 2 is installed.
    expect(r.installs?.version).toBe(2);
    expect(r.installs?.keys.length).toBe(FLOW_KEY_SIZE);
    expect(keyNumber(r.installs!.keys, 'in_port')).toBe(1);
    expect(h.stats.installs).toBe(1);
    // The stale port 2 megaflow answers nothing later either.
    expect(h.translate([upcall(6, 2)], 1).answers[0].outcome).toBe('ok');
    expect(sp.calls).toBe(5);
  });

  it('translates every miss with the cache off', () => {
    const sp = new CountingSlowPath();
    const h = new UpcallHandler(sp, false);
    const r = h.translate(Array.from({ length: 10 }, (_, k) => upcall(k, k % 2 ? 1 : 2)), 0);
    expect(r.answers.every((a) => a.outcome === 'ok')).toBe(true);
    expect(r.installs).toBeUndefined();
    expect(sp.calls).toBe(10);
    expect(h.stats).toMatchObject({ upcalls: 10, reused: 0, installs: 0 });
  });

  it('does not remember failed translations', () => {
    let calls = 0;
    const h = new UpcallHandler({ version: 1, translate: () => { calls++; throw new Error('model bug'); } }, true);
    const r = h.translate([upcall(0, 1), upcall(1, 1)], 0);
    expect(r.answers.map((a) => a.outcome)).toEqual(['failed', 'failed']);
    expect(calls).toBe(2);
    expect(h.stats).toMatchObject({ upcalls: 2, failed: 2, reused: 0, installs: 0 });
  });
});
