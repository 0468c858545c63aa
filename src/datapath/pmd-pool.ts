/**
 * Runs PMD tasks: on a worker thread (a piscina pool with exactly one thread
 * per PMD, so each PMD keeps its flow cache and rx-queue affinity) or in the
 * calling thread (pmds: 0, for tests and tools). Buffers are transferred, not
 * copied.
 *
 * Running from TypeScript sources (vitest, tsx), workers start through
 * worker/tsx-bootstrap.mjs, which registers tsx in the worker; from the
 * compiled package they load worker/pmd-worker.js. A worker that dies makes
 * its task fail with ERR_VS_PMD_CRASHED.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Piscina } from 'piscina';

import { NativeError } from '../errors.js';
import { PmdCore } from './worker/pmd-core.js';
import { transferables, type PmdConfig, type PmdResult, type PmdTask } from './worker/protocol.js';

export interface PmdRunner {
  readonly pmd: number;
  run(task: PmdTask): Promise<PmdResult>;
  close(): Promise<void>;
}

class InProcessPmd implements PmdRunner {
  readonly pmd: number;
  private readonly core: PmdCore;
  constructor(config: PmdConfig) {
    this.pmd = config.pmd;
    this.core = new PmdCore(config);
  }
  run(task: PmdTask): Promise<PmdResult> {
    try {
      return Promise.resolve(this.core.handle(task));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The worker module to load and whether tsx must be registered first. */
export function workerEntry(): string {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('./worker/tsx-bootstrap.mjs', here).href;
  const js = new URL('./worker/pmd-worker.js', here);
  if (!existsSync(fileURLToPath(js))) throw new NativeError('ERR_VS_WORKER_MISSING', `PMD worker module not found at ${fileURLToPath(js)}`);
  return js.href;
}

class WorkerPmd implements PmdRunner {
  readonly pmd: number;
  private readonly pool: Piscina;
  private tail: Promise<void> = Promise.resolve();
  constructor(config: PmdConfig) {
    this.pmd = config.pmd;
    this.pool = new Piscina({
      filename: workerEntry(),
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: 1,
      workerData: config,
    });
  }
  /**
   * Tasks run strictly in call order, one at a time (piscina's queue does not
   * promise FIFO order, and a PMD must execute batches in batch order).
   */
  run(task: PmdTask): Promise<PmdResult> {
    const result = this.tail.then(() => this.submit(task));
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async submit(task: PmdTask): Promise<PmdResult> {
    try {
      return (await this.pool.run(task, { name: 'handle', transferList: transferables(task) })) as PmdResult;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new NativeError('ERR_VS_PMD_CRASHED', `PMD ${this.pmd} failed while running a ${task.kind} task: ${msg}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** A PMD runner: a worker thread, or in-process when `inProcess`. */
export function createPmd(config: PmdConfig, inProcess: boolean): PmdRunner {
  return inProcess ? new InProcessPmd(config) : new WorkerPmd(config);
}
