import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { FromGzipWorker, ToGzipWorker } from './gzip-protocol.js';
import { startPackageWorker } from './start-worker.js';

/** One compression worker per core: members of every layer in flight share them. */
const WORKERS = availableParallelism();
/** Member buffers kept for the next members (each comes back from its worker with the result). */
const SPARE_BUFFERS = 4 * WORKERS;

interface Job {
  id: number;
  input: ArrayBuffer;
  length: number;
  level: number;
  resolve: (member: Buffer) => void;
  reject: (error: Error) => void;
}

const idle: Worker[] = [];
const running = new Map<Worker, Job>();
const queued: Job[] = [];
const spare = new Map<number, ArrayBuffer[]>();
let spareCount = 0;
let started = 0;
let nextId = 0;

/**
 * A buffer of `bytes` for the caller to fill with one member's input and hand to
 * {@link compressMemberInWorker}, which takes it over. Reuses the buffers of finished members.
 */
export function memberBuffer(bytes: number): Buffer {
  const reused = spare.get(bytes)?.pop();
  if (reused === undefined) return Buffer.allocUnsafeSlow(bytes);
  spareCount--;
  return Buffer.from(reused, 0, bytes);
}

/**
 * Compresses `input[0, length)` as one gzip member (`compressMember`) in a worker thread, off
 * this thread and off libuv's pool (which then stays free for the server's file and network
 * work). `input` must come from {@link memberBuffer}: it moves to the worker and back, so the
 * caller must not touch it afterwards.
 */
export function compressMemberInWorker(input: Buffer, length: number, level: number): Promise<Buffer> {
  if (input.byteOffset !== 0 || input.length !== input.buffer.byteLength) {
    throw new Error('compressMemberInWorker needs a buffer from memberBuffer()');
  }
  return new Promise((resolve, reject) => {
    queued.push({ id: nextId++, input: input.buffer as ArrayBuffer, length, level, resolve, reject });
    dispatch();
  });
}

function dispatch(): void {
  while (queued.length > 0) {
    let worker = idle.pop();
    if (worker === undefined) {
      if (started >= WORKERS) return;
      worker = startWorker();
    }
    const job = queued.shift()!;
    running.set(worker, job);
    worker.ref();
    const message: ToGzipWorker = { id: job.id, input: job.input, length: job.length, level: job.level };
    worker.postMessage(message, [job.input]);
  }
}

function startWorker(): Worker {
  started++;
  const worker = startPackageWorker('gzip-worker');
  worker.on('message', (reply: FromGzipWorker) => {
    const job = running.get(worker);
    running.delete(worker);
    keepSpare(reply.input);
    worker.unref(); // an idle worker never keeps the process alive
    idle.push(worker);
    if (job !== undefined) {
      if ('error' in reply) job.reject(new Error(`gzip worker: ${reply.error}`));
      else job.resolve(Buffer.from(reply.member));
    }
    dispatch();
  });
  let gone = false;
  const lost = (error: Error) => {
    if (gone) return; // 'exit' follows 'error'
    gone = true;
    const job = running.get(worker);
    running.delete(worker);
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
    started--;
    job?.reject(error);
    dispatch();
  };
  worker.on('error', lost);
  worker.on('exit', (code) => lost(new Error(`the gzip worker exited (code ${code})`)));
  return worker;
}

function keepSpare(buffer: ArrayBuffer): void {
  if (spareCount >= SPARE_BUFFERS) return;
  const list = spare.get(buffer.byteLength) ?? [];
  list.push(buffer);
  spare.set(buffer.byteLength, list);
  spareCount++;
}
