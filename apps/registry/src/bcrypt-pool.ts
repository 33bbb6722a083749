import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** Thrown when the queue of waiting checks is full: the caller sheds the request. */
export class BcryptPoolBusyError extends Error {
  override readonly name = 'BcryptPoolBusyError';
}

export interface BcryptPoolOptions {
  /** Worker threads (each runs one check at a time). */
  size?: number;
  /** Checks allowed to wait for a free worker; more are refused with BcryptPoolBusyError. */
  maxQueue?: number;
}

export const DEFAULT_POOL_SIZE = 2;
export const DEFAULT_MAX_QUEUE = 64;

// The worker is plain CommonJS given as a string, so it runs the same from sources and from dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, password, hash }) => {
  let ok = false;
  try { ok = bcrypt.compareSync(password, hash); } catch { ok = false; }
  parentPort.postMessage({ id, ok });
});
`;
const BCRYPTJS = createRequire(import.meta.url).resolve('bcryptjs');

interface Job {
  id: number;
  password: string;
  hash: string;
  resolve(ok: boolean): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
}

/**
 * bcrypt comparisons on a small, bounded set of worker threads: bcryptjs is pure JavaScript, and
 * on the main thread each check would stall every other request for its whole duration.
 */
export class BcryptPool {
  private readonly size: number;
  private readonly maxQueue: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;

  constructor(options: BcryptPoolOptions = {}) {
    this.size = options.size ?? DEFAULT_POOL_SIZE;
    this.maxQueue = options.maxQueue ?? DEFAULT_MAX_QUEUE;
    if (!(this.size >= 1)) throw new Error('BcryptPool needs at least one worker');
    // Start the workers now: loading one takes a while, and the first sign-ins should not wait.
    while (this.slots.length < this.size) this.slots.push(this.spawn());
  }

  /** True when `password` matches the bcrypt `hash`; false for a wrong password or a bad hash. */
  compare(password: string, hash: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new Error('BcryptPool is closed'));
    return new Promise<boolean>((resolve, reject) => {
      const job: Job = { id: this.nextId++, password, hash, resolve, reject };
      const idle = this.idleSlot();
      if (idle) return this.run(idle, job);
      if (this.queue.length >= this.maxQueue) {
        reject(new BcryptPoolBusyError('too many password checks are waiting'));
        return;
      }
      this.queue.push(job);
    });
  }

  /** Checks waiting for a worker (tests and metrics). */
  get waiting(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new Error('BcryptPool is closed'));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.job?.reject(new Error('BcryptPool is closed'));
      slot.job = null;
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private idleSlot(): Slot | null {
    const idle = this.slots.find((slot) => slot.job === null);
    if (idle) return idle;
    if (this.slots.length >= this.size) return null;
    const slot = this.spawn();
    this.slots.push(slot);
    return slot;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: BCRYPTJS } });
    // Idle workers must not keep a finished process alive (a running check does: see run).
    worker.unref();
    const slot: Slot = { worker, job: null };
    worker.on('message', ({ id, ok }: { id: number; ok: boolean }) => {
      const job = slot.job;
      if (job?.id !== id) return;
      slot.job = null;
      job.resolve(ok);
      this.next(slot);
    });
    worker.on('error', (error) => this.retire(slot, error));
    worker.on('exit', (code) => this.retire(slot, new Error(`bcrypt worker exited with code ${code}`)));
    return slot;
  }

  private run(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    slot.worker.postMessage({ id: job.id, password: job.password, hash: job.hash });
  }

  private next(slot: Slot): void {
    const job = this.queue.shift();
    if (job) this.run(slot, job);
    else slot.worker.unref();
  }

  /** A worker that died fails its job; a fresh one takes over the queue. */
  private retire(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    this.slots.splice(index, 1);
    slot.job?.reject(error);
    slot.job = null;
    if (!this.closed && this.queue.length > 0) {
      const fresh = this.idleSlot();
      if (fresh) this.next(fresh);
    }
  }
}
