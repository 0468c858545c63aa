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

/** Tasks a PMD worker may hold at once (queued in its message port, run in order). */
const WORKER_WINDOW = 4;

class WorkerPmd implements PmdRunner {
  readonly pmd: number;
  private readonly pool: Piscina;
  private running = 0;
  /** False until the first task came back: the worker is up. */
  private started = false;
  private readonly queue: (() => void)[] = [];
  constructor(config: PmdConfig) {
    this.pmd = config.pmd;
    this.pool = new Piscina({
      filename: workerEntry(),
      minThreads: 1,
      maxThreads: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: WORKER_WINDOW,
      stricterFIFO: true,
      // the PMD measures its own busy time; piscina's run/wait histograms would cost every task
      recordTiming: false,
      workerData: config,
    });
  }
  /**
   * Tasks run strictly in call order. Up to WORKER_WINDOW of them are posted
   * to the worker at once, so it starts the next batch without waiting for
   * this thread to see the previous result (a worker round trip costs tens of
   * microseconds, more when this thread is busy). The worker's handler is
   * synchronous, so posted tasks run one at a time in message order; never
   * more than the pool's capacity are posted, so piscina's queue (which does
   * not keep call order) is never used once the worker is up. While the
   * worker starts, tasks wait in that queue and piscina may hand them out
   * in another order (seen with piscina 5.3): until the first task came
   * back, only one is posted.
   */
  run(task: PmdTask): Promise<PmdResult> {
    return new Promise<PmdResult>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        this.submit(task)
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            const opened = !this.started;
            this.started = true;
            // the window opens: as many queued tasks as it allows
            for (let n = opened ? WORKER_WINDOW : 1; n > 0 && this.running < WORKER_WINDOW; n--) this.queue.shift()?.();
          });
      };
      if (this.running < (this.started ? WORKER_WINDOW : 1) && this.queue.length === 0) start();
      else this.queue.push(start);
    });
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
