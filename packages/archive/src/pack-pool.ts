import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { DigestAccumulator } from '@nixery/digest';
import { UnsupportedFileTypeError } from './entries.js';
import { PACK_CHUNK_BYTES, type PackedJob, type PackJob, type PackSummary } from './pack-job.js';
import {
  ABORT,
  CREDITS,
  type FromWorker,
  type PackWorkerData,
  type SerialisedError,
  type ToWorker,
} from './pack-protocol.js';
import type { PackPlan } from './pack-split.js';
import { startPackageWorker } from './start-worker.js';

/** Chunks the worker of an unsplit layer may have sent ahead of the consumer (× 256 KiB). */
const CREDIT_CHUNKS = 4;
/**
 * Chunks each segment of a split layer may run ahead of the consumer (2 MiB, thousands of small
 * files): later segments pack while earlier ones are consumed, yet a slow consumer still stops
 * every worker. 8 MiB cost the real-files build about 20 MB more peak RSS for no speed.
 */
export const SEGMENT_CREDIT_CHUNKS = 8;
/**
 * The most packing workers there are: one per CPU. Once started they stay (idle ones do not keep
 * the process alive), and jobs beyond them wait in order. Packing is CPU work beside the gzip
 * workers and the main thread, so more workers than cores only took turns: on 2 cores, 3 workers
 * built the 5,000-path image no faster than 2 and the real-files image peaked 15 MB higher (each
 * holds about 9 MB). A pool that started and ended workers as the small layers of a large closure
 * came and went spent more CPU starting them (tens of ms each) than packing.
 */
const POOL_WORKERS = availableParallelism();

/** Chunk buffers handed back by consumers, waiting to go to a worker for reuse (4 MiB). */
const SPARE_CHUNKS = 16;
const spareChunks: ArrayBuffer[] = [];
/** Each worker's end of its spare-chunk channel (see PackWorkerData). */
const sparePorts = new WeakMap<Worker, MessagePort>();

function startWorker(): Worker {
  const { port1, port2 } = new MessageChannel();
  const workerData: PackWorkerData = { spareChunks: port2 };
  const worker = startPackageWorker('pack-worker', { workerData, transferList: [port2] });
  port1.unref();
  sparePorts.set(worker, port1);
  worker.once('exit', () => port1.close());
  return worker;
}

/**
 * Takes back a chunk this module's workers produced once its consumer has copied its bytes
 * (MemberGzip does): the next chunk message a worker sends is answered with it, so chunks go
 * round instead of each being new memory that only a garbage collection frees (tens of MB of
 * them piled up on the main thread during a large build, measured).
 */
export function recycleChunk(chunk: Buffer): void {
  if (chunk.byteOffset !== 0 || chunk.buffer.byteLength !== PACK_CHUNK_BYTES) return;
  if (spareChunks.length < SPARE_CHUNKS) spareChunks.push(chunk.buffer as ArrayBuffer);
}

function giveSpareChunk(worker: Worker): void {
  const spare = spareChunks.pop();
  if (spare !== undefined) sparePorts.get(worker)?.postMessage(spare, [spare]);
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
  if (busy < POOL_WORKERS) {
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
  worker.unref(); // an idle worker never keeps the process alive
  idle.push(worker); // busy + idle never pass POOL_WORKERS (acquire starts one only below it)
}

function reviveError(error: SerialisedError): Error {
  if (error.kind === 'unsupported') return new UnsupportedFileTypeError(error.path, error.fileType);
  const revived: NodeJS.ErrnoException = new Error(error.message);
  if (error.code !== undefined) revived.code = error.code;
  if (error.syscall !== undefined) revived.syscall = error.syscall;
  if (error.path !== undefined) revived.path = error.path;
  return revived;
}

type Outcome =
  | { kind: 'end'; summary: PackedJob; gzip?: ArrayBuffer }
  | { kind: 'aborted' }
  | { kind: 'failed'; error: Error }
  | { kind: 'crashed'; error: Error };

/** Runs one job on `worker`, handing each chunk to `onChunk`; releases the worker when it is done. */
function runJob(
  worker: Worker,
  job: PackJob,
  control: Int32Array,
  onChunk: (chunk: Buffer) => void,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const finish = (reusable: boolean, outcome: Outcome) => {
      worker.off('message', onMessage);
      worker.off('error', onCrash);
      worker.off('exit', onExit);
      release(reusable ? worker : null);
      resolve(outcome);
    };
    const onMessage = (message: FromWorker) => {
      switch (message.type) {
        case 'chunk':
          giveSpareChunk(worker);
          onChunk(Buffer.from(message.buffer, message.offset, message.length));
          return;
        case 'end':
          finish(true, {
            kind: 'end',
            summary: message.summary,
            ...(message.gzip ? { gzip: message.gzip } : {}),
          });
          return;
        case 'aborted':
          finish(true, { kind: 'aborted' });
          return;
        case 'error':
          finish(true, { kind: 'failed', error: reviveError(message.error) });
          return;
      }
    };
    // A crashed or exited worker is not reused.
    const onCrash = (error: Error) => finish(false, { kind: 'crashed', error });
    const onExit = () => finish(false, { kind: 'crashed', error: new Error('the packing worker exited') });
    worker.on('message', onMessage);
    worker.on('error', onCrash);
    worker.on('exit', onExit);
    const message: ToWorker = { job, control: control.buffer as SharedArrayBuffer };
    worker.postMessage(message);
  });
}

function ignoreError(): void {}

const WHOLE_UNASKED = 'the worker compressed this tar whole: it is had from packedWhole(), not read';

/** One job of a layer's plan, and the chunks it sent that are not pushed yet. */
interface Segment {
  readonly job: PackJob;
  /** CREDITS and ABORT (see pack-protocol.ts). */
  readonly control: Int32Array;
  readonly queued: Buffer[];
  ended: boolean;
  error: Error | null;
}

/**
 * A store-path layer's tar, packed by worker threads (see pack-job.ts) so that thousands of
 * small files cost plain system calls there instead of thread-pool round trips here. The
 * workers start on the first read.
 *
 * An unsplit layer is one job on one worker, which also computes the tar's sha256
 * ({@link summary}); at most a few chunks are in flight. A split layer (pack-split.ts) is a
 * series of segments handed out in order to a few workers at once; their chunks are pushed in
 * segment order and hashed here. Each segment may run a bounded amount ahead, and only a few
 * segments past the one being pushed may be started, so a slow consumer stops every worker.
 */
export class WorkerTarStream extends Readable {
  private readonly segments: Segment[];
  private readonly lanes: number;
  /** A split layer's sha256, taken in tar order as chunks are pushed (a worker sees only its part). */
  private readonly hash: DigestAccumulator | null;
  /** The segment whose chunks are pushed now. */
  private current = 0;
  private nextToStart = 0;
  /** Segments from here on are not started: this one failed (its error comes in its turn). */
  private stopAt: number;
  private readonly windowWaiters: (() => void)[] = [];
  private started = false;
  private wantsData = false;
  private result: PackSummary | null = null;
  /** Settles {@link packedWhole}'s promise; null until it is asked for, or once settled. */
  private decide: { resolve: (whole: Buffer | null) => void; reject: (error: Error) => void } | null = null;
  private readonly wantsWhole: boolean;

  constructor(plan: PackPlan) {
    super({ highWaterMark: 64 * 1024 });
    const split = plan.jobs.length > 1;
    this.segments = plan.jobs.map((job) => {
      const control = new Int32Array(new SharedArrayBuffer(8));
      Atomics.store(control, CREDITS, split ? SEGMENT_CREDIT_CHUNKS : CREDIT_CHUNKS);
      return { job, control, queued: [], ended: false, error: null };
    });
    this.lanes = Math.max(1, Math.min(plan.lanes, plan.jobs.length));
    this.wantsWhole = !split && plan.jobs[0]?.wholeGzipLevel !== undefined;
    this.hash = split ? new DigestAccumulator() : null;
    this.stopAt = this.segments.length;
  }

  /** The tar's sha256 and size; available once the stream has ended. */
  summary(): PackSummary {
    if (!this.result) throw new Error('WorkerTarStream.summary() called before the stream ended');
    return this.result;
  }

  /**
   * Starts packing (call it before reading). Resolves with the whole layer's gzip when the worker
   * compressed it (`wholeGzipLevel`: an unsplit tar of at most one member), and the stream then
   * carries no bytes and is closed. Resolves null at once for any other job, or as soon as tar
   * chunks flow: read the stream then. Rejects with the packing error.
   */
  packedWhole(): Promise<Buffer | null> {
    if (!this.wantsWhole || this.started) return Promise.resolve(null);
    const decided = new Promise<Buffer | null>((resolve, reject) => {
      this.decide = { resolve, reject };
    });
    // Until it is decided, a failure is the promise's; the stream is not read by anyone yet.
    this.on('error', ignoreError);
    this.start();
    return decided;
  }

  override _read(): void {
    this.wantsData = true;
    if (!this.started) this.start();
    else this.pump();
  }

  private start(): void {
    this.started = true;
    for (let i = 0; i < this.lanes; i++) this.lane().catch((error: Error) => this.destroy(error));
  }

  private settleDecision(outcome: Buffer | null | Error): void {
    const decide = this.decide;
    if (decide === null) return;
    this.decide = null;
    if (outcome instanceof Error) decide.reject(outcome);
    else {
      this.off('error', ignoreError); // from now on the stream's reader sees its errors
      decide.resolve(outcome);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.settleDecision(error ?? new Error('the packing stream was destroyed'));
    for (const segment of this.segments) {
      Atomics.store(segment.control, ABORT, 1);
      Atomics.notify(segment.control, CREDITS);
      segment.queued.length = 0;
    }
    this.wakeLanes();
    callback(error);
  }

  /** Starts segments in order, one at a time on one worker, while the window allows. */
  private async lane(): Promise<void> {
    for (;;) {
      // Started segments not yet pushed are bounded: each holds up to its run-ahead in memory.
      while (
        !this.destroyed &&
        this.nextToStart < this.stopAt &&
        this.nextToStart > this.current + this.lanes
      ) {
        await new Promise<void>((resolve) => this.windowWaiters.push(resolve));
      }
      if (this.destroyed || this.nextToStart >= this.stopAt) return;
      const index = this.nextToStart++;
      const segment = this.segments[index]!;
      // Asked for in segment order, and the pool grants in order: the segment being pushed never
      // waits for a worker held by a later one, so layers sharing the pool cannot deadlock.
      const worker = await acquire();
      if (this.destroyed || index >= this.stopAt) {
        release(worker);
        return;
      }
      const outcome = await runJob(worker, segment.job, segment.control, (chunk) => {
        if (this.destroyed) return;
        this.settleDecision(null); // tar bytes flow: the layer is compressed on the main thread
        segment.queued.push(chunk);
        if (index === this.current) this.pump();
      });
      this.settle(index, outcome);
    }
  }

  private settle(index: number, outcome: Outcome): void {
    if (this.destroyed) return;
    const segment = this.segments[index]!;
    switch (outcome.kind) {
      case 'end':
        segment.ended = true;
        if (!this.hash) {
          this.result = { digest: outcome.summary.digest!, size: outcome.summary.size };
          if (outcome.gzip) {
            // Nothing to read: closing the stream releases its abort listener.
            if (this.decide === null) this.destroy(new Error(WHOLE_UNASKED));
            else {
              this.settleDecision(Buffer.from(outcome.gzip));
              this.destroy();
            }
            return;
          }
          this.settleDecision(null);
        }
        if (index === this.current) this.pump();
        return;
      case 'aborted': // by _destroy, or because an earlier segment failed
        return;
      case 'crashed': // not about the tar's contents: no earlier segment's error to wait for
        this.destroy(outcome.error);
        return;
      case 'failed': {
        segment.error = outcome.error;
        // Later segments are moot; earlier ones go on, so the error is the one a single worker
        // would have met first.
        for (let later = index + 1; later < this.nextToStart; later++) {
          const control = this.segments[later]!.control;
          Atomics.store(control, ABORT, 1);
          Atomics.notify(control, CREDITS);
        }
        this.stopAt = Math.min(this.stopAt, index + 1);
        this.wakeLanes();
        if (index === this.current) this.destroy(outcome.error);
        return;
      }
    }
  }

  /** Pushes the next chunk in tar order, if the consumer wants one and it has arrived. */
  private pump(): void {
    while (!this.destroyed) {
      const segment = this.segments[this.current]!;
      if (segment.error) {
        this.destroy(segment.error);
        return;
      }
      if (!this.wantsData) return;
      const chunk = segment.queued.shift();
      if (chunk) {
        this.wantsData = false;
        Atomics.add(segment.control, CREDITS, 1);
        Atomics.notify(segment.control, CREDITS);
        this.hash?.update(chunk);
        this.push(chunk);
        return;
      }
      if (!segment.ended) return;
      if (this.current === this.segments.length - 1) {
        if (this.hash) this.result = this.hash.summary();
        this.wantsData = false;
        this.push(null);
        return;
      }
      this.current++;
      this.wakeLanes();
    }
  }

  private wakeLanes(): void {
    for (const wake of this.windowWaiters.splice(0)) wake();
  }
}
