// The packing worker: runs packStorePaths for one job at a time and hands the tar over in
// chunks, never more than the main thread has room for (credits in shared memory).
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { UnsupportedFileTypeError } from './entries.js';
import { GZIP_MEMBER_BYTES } from './gzip-members.js';
import { compressMember } from './member-deflate.js';
import { PACK_CHUNK_BYTES, type PackJob, packStorePaths } from './pack-job.js';
import {
  ABORT,
  CREDITS,
  type FromWorker,
  type PackWorkerData,
  type SerialisedError,
  type ToWorker,
} from './pack-protocol.js';
import { transferableBytes } from './transfer.js';

class JobAborted extends Error {}

function serialise(error: unknown): SerialisedError {
  if (error instanceof UnsupportedFileTypeError) {
    return { kind: 'unsupported', message: error.message, path: error.path, fileType: error.fileType };
  }
  const e = error as NodeJS.ErrnoException;
  return {
    kind: 'error',
    message: e?.message ?? String(error),
    ...(e?.code !== undefined ? { code: e.code } : {}),
    ...(e?.syscall !== undefined ? { syscall: e.syscall } : {}),
    ...(e?.path !== undefined ? { path: e.path } : {}),
  };
}

const { spareChunks } = workerData as PackWorkerData;

/**
 * Chunks that never left this thread (those of a layer compressed whole, and the last of each
 * job), kept for the next jobs: fresh memory costs a page fault per 4 KiB on first touch, which
 * on our VMs made up a tenth of a 1,000-path build's CPU time (measured with perf).
 */
const keptChunks: Buffer[] = [];
const KEPT_CHUNKS = Math.ceil(GZIP_MEMBER_BYTES / PACK_CHUNK_BYTES) + 2;

/** A chunk kept here or handed back by the main thread, else a new one. */
function newChunk(): Buffer {
  const kept = keptChunks.pop();
  if (kept !== undefined) return kept;
  const spare = receiveMessageOnPort(spareChunks);
  return spare ? Buffer.from(spare.message as ArrayBuffer) : Buffer.allocUnsafeSlow(PACK_CHUNK_BYTES);
}

function keepChunk(chunk: Buffer): void {
  const whole = Buffer.from(chunk.buffer, 0, chunk.buffer.byteLength);
  if (whole.length === PACK_CHUNK_BYTES && keptChunks.length < KEPT_CHUNKS) keptChunks.push(whole);
}

/** One buffer the held chunks of a whole-compressed layer are joined in, reused by every job. */
let joined: Buffer | null = null;

function join(chunks: Buffer[], bytes: number): Buffer {
  joined ??= Buffer.allocUnsafeSlow(GZIP_MEMBER_BYTES + PACK_CHUNK_BYTES);
  let offset = 0;
  for (const chunk of chunks) offset += chunk.copy(joined, offset);
  return joined.subarray(0, bytes);
}

function run(job: PackJob, control: Int32Array): void {
  const checkAborted = () => {
    if (Atomics.load(control, ABORT) !== 0) throw new JobAborted();
  };
  const emit = (chunk: Buffer) => {
    // Wait for room on the main thread; an abort wakes the wait too.
    for (;;) {
      checkAborted();
      const credits = Atomics.load(control, CREDITS);
      if (credits > 0) break;
      Atomics.wait(control, CREDITS, credits, 1000);
    }
    Atomics.sub(control, CREDITS, 1);
    // Each chunk is a whole ArrayBuffer of its own (newChunk), so transferring it moves no bytes.
    const buffer = chunk.buffer as ArrayBuffer;
    const message: FromWorker = { type: 'chunk', buffer, offset: chunk.byteOffset, length: chunk.length };
    parentPort!.postMessage(message, [buffer]);
  };
  // Chunks are held back while the tar may still fit in one gzip member (see PackJob).
  const held: Buffer[] = [];
  let heldBytes = 0;
  let streaming = job.wholeGzipLevel === undefined;
  const emitOrHold = (chunk: Buffer) => {
    if (streaming) return emit(chunk);
    held.push(chunk);
    heldBytes += chunk.length;
    if (heldBytes > GZIP_MEMBER_BYTES) {
      streaming = true;
      for (const waiting of held.splice(0)) emit(waiting);
    }
  };
  try {
    const summary = packStorePaths(job, emitOrHold, checkAborted, newChunk, keepChunk);
    if (streaming) {
      parentPort!.postMessage({ type: 'end', summary } satisfies FromWorker);
      return;
    }
    const whole = compressMember(join(held, heldBytes), job.wholeGzipLevel!);
    for (const chunk of held) keepChunk(chunk);
    const gzip = transferableBytes(whole);
    parentPort!.postMessage({ type: 'end', summary, gzip } satisfies FromWorker, [gzip]);
  } catch (error) {
    const message: FromWorker =
      error instanceof JobAborted ? { type: 'aborted' } : { type: 'error', error: serialise(error) };
    parentPort!.postMessage(message);
  }
}

parentPort!.on('message', (message: ToWorker) => run(message.job, new Int32Array(message.control)));
