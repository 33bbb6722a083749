// Messages between the main thread (pack-pool.ts) and the packing worker (pack-worker.ts).
import type { MessagePort } from 'node:worker_threads';
import type { PackedJob, PackJob } from './pack-job.js';

/** Index in the shared control array: chunks the main thread still has room for. */
export const CREDITS = 0;
/** Index in the shared control array: non-zero once the consumer gave up. */
export const ABORT = 1;

export interface ToWorker {
  job: PackJob;
  /** Int32Array of two slots: CREDITS and ABORT. */
  control: SharedArrayBuffer;
}

/**
 * What a worker is started with: the port on which the main thread hands back chunk buffers
 * the consumer is done with (each a PACK_CHUNK_BYTES ArrayBuffer, transferred), so a worker
 * reuses them instead of allocating a new one per chunk. The worker takes them synchronously
 * (`receiveMessageOnPort`) while it packs.
 */
export interface PackWorkerData {
  spareChunks: MessagePort;
}

export type SerialisedError =
  | { kind: 'unsupported'; message: string; path: string; fileType: string }
  | { kind: 'error'; message: string; code?: string; syscall?: string; path?: string };

export type FromWorker =
  | { type: 'chunk'; buffer: ArrayBuffer; offset: number; length: number }
  | { type: 'end'; summary: PackedJob; gzip?: ArrayBuffer }
  | { type: 'aborted' }
  | { type: 'error'; error: SerialisedError };
