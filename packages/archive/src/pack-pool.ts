import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { UnsupportedFileTypeError } from './entries.js';
import type { PackJob, PackSummary } from './pack-job.js';
import { ABORT, CREDITS, type FromWorker, type SerialisedError, type ToWorker } from './pack-protocol.js';

/** Chunks a worker may have sent ahead of the consumer (× 256 KiB). */
const CREDIT_CHUNKS = 4;
/** Workers kept idle for the next layer; more start when more layers are packed at once. */
const IDLE_WORKERS = availableParallelism();
/** Beyond this many busy workers, jobs wait for one to finish. */
const MAX_WORKERS = 4 * availableParallelism();

const here = import.meta.url;
/** Run from TypeScript sources (tests, `--conditions=source`), the worker loads through tsx. */
const fromSource = here.endsWith('.ts');
const workerUrl = new URL(fromSource ? './pack-worker.ts' : './pack-worker.js', here);

function startWorker(): Worker {
  // The worker imports its own modules, @nixery/digest and node:*, so none of the process's
  // flags apply (some, such as --input-type, would even stop it from starting).
  if (!fromSource) return new Worker(workerUrl, { execArgv: [] });
  // A worker's execArgv cannot add a loader here, so the worker registers tsx itself first; the
  // `source` condition makes workspace packages resolve to their sources too, never a stale dist.
  const bootstrap = `import('tsx/esm/api').then((api) => { api.register(); return import(${JSON.stringify(workerUrl.href)}); });`;
  return new Worker(bootstrap, { eval: true, execArgv: ['--conditions=source'] });
}

const idle: Worker[] = [];
let busy = 0;
const waiting: ((worker: Worker) => void)[] = [];

function acquire(): Promise<Worker> {
  const worker = idle.pop();
  if (worker) {
    busy++;
    worker.ref();
    return Promise.resolve(worker);
  }
  if (busy < MAX_WORKERS) {
    busy++;
    return Promise.resolve(startWorker());
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function release(worker: Worker | null): void {
  const next = waiting.shift();
  if (next) {
    // The busy count carries over to the waiting job (a replacement when this one died).
    next(worker ?? startWorker());
    return;
  }
  busy--;
  if (worker === null) return;
  if (idle.length < IDLE_WORKERS) {
    worker.unref(); // an idle worker never keeps the process alive
    idle.push(worker);
  } else void worker.terminate();
}

function reviveError(error: SerialisedError): Error {
  if (error.kind === 'unsupported') return new UnsupportedFileTypeError(error.path, error.fileType);
  const revived: NodeJS.ErrnoException = new Error(error.message);
  if (error.code !== undefined) revived.code = error.code;
  if (error.syscall !== undefined) revived.syscall = error.syscall;
  if (error.path !== undefined) revived.path = error.path;
  return revived;
}

/**
 * A store-path layer's tar, packed by a worker thread (see pack-job.ts) so that thousands of
 * small files cost plain system calls there instead of thread-pool round trips here, and the
 * tar's sha256 is computed there too ({@link summary}). The worker starts on the first read.
 * At most a few chunks are in flight: a slow consumer stops the worker.
 */
export class WorkerTarStream extends Readable {
  private readonly control = new Int32Array(new SharedArrayBuffer(8));
  private readonly queued: Buffer[] = [];
  private started = false;
  private ended = false;
  private wantsData = false;
  private result: PackSummary | null = null;
  private wholeGzip: Buffer | null = null;

  constructor(private readonly job: PackJob) {
    super({ highWaterMark: 64 * 1024 });
    Atomics.store(this.control, CREDITS, CREDIT_CHUNKS);
  }

  /** The tar's sha256 and size (computed by the worker); available once the stream has ended. */
  summary(): PackSummary {
    if (!this.result) throw new Error('WorkerTarStream.summary() called before the stream ended');
    return this.result;
  }

  /**
   * The whole layer's gzip when the worker compressed it (`wholeGzipLevel`, a tar of at most one
   * member); the stream then carries no tar bytes. Null otherwise, or before the end.
   */
  compressedWhole(): Buffer | null {
    return this.wholeGzip;
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      this.wantsData = true;
      acquire().then((worker) => this.run(worker));
      return;
    }
    const next = this.queued.shift();
    if (next) {
      this.giveCredit();
      this.push(next);
    } else if (this.ended) this.push(null);
    else this.wantsData = true;
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    Atomics.store(this.control, ABORT, 1);
    Atomics.notify(this.control, CREDITS);
    this.queued.length = 0;
    callback(error);
  }

  private giveCredit(): void {
    Atomics.add(this.control, CREDITS, 1);
    Atomics.notify(this.control, CREDITS);
  }

  private run(worker: Worker): void {
    if (this.destroyed) Atomics.store(this.control, ABORT, 1);
    let finished = false;
    const finish = (reusable: boolean) => {
      if (finished) return;
      finished = true;
      worker.off('message', onMessage);
      worker.off('error', onCrash);
      worker.off('exit', onExit);
      release(reusable ? worker : null);
    };
    const onMessage = (message: FromWorker) => {
      switch (message.type) {
        case 'chunk': {
          if (this.destroyed) return;
          const chunk = Buffer.from(message.buffer, message.offset, message.length);
          if (this.wantsData) {
            this.wantsData = false;
            this.giveCredit();
            this.push(chunk);
          } else this.queued.push(chunk);
          return;
        }
        case 'end':
          finish(true);
          this.result = message.summary;
          if (message.gzip) this.wholeGzip = Buffer.from(message.gzip);
          this.ended = true;
          if (this.wantsData && this.queued.length === 0) {
            this.wantsData = false;
            this.push(null);
          }
          return;
        case 'aborted':
          finish(true);
          return;
        case 'error':
          finish(true);
          this.destroy(reviveError(message.error));
          return;
      }
    };
    const onCrash = (error: Error) => {
      finish(false);
      this.destroy(error);
    };
    const onExit = () => {
      if (finished) return;
      finish(false);
      this.destroy(new Error('the packing worker exited'));
    };
    worker.on('message', onMessage);
    worker.on('error', onCrash);
    worker.on('exit', onExit);
    const message: ToWorker = { job: this.job, control: this.control.buffer as SharedArrayBuffer };
    worker.postMessage(message);
  }
}
