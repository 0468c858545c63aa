/**
 * Worker-thread entry of a PMD (piscina, one single-thread pool per PMD so a
 * PMD keeps its rx queues and its flow cache). The pool's workerData is the
 * PmdConfig; `handle` runs one task and moves every buffer back.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';

import { PmdCore } from './pmd-core.js';
import { transferables, type PmdConfig, type PmdResult, type PmdTask } from './protocol.js';

let core: PmdCore | undefined;

export function handle(task: PmdTask): unknown {
  core ??= new PmdCore(workerData as PmdConfig);
  const result: PmdResult = core.handle(task);
  return move({ [transferableSymbol]: transferables(result), [valueSymbol]: result } as unknown as ArrayBuffer);
}
