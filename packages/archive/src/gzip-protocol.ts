// Messages between the main thread (gzip-pool.ts) and a compression worker (gzip-worker.ts).

export interface ToGzipWorker {
  id: number;
  /** The member's bytes are `input[0, length)`; the buffer comes back with the reply. */
  input: ArrayBuffer;
  length: number;
  level: number;
}

export type FromGzipWorker =
  | { id: number; member: ArrayBuffer; input: ArrayBuffer }
  | { id: number; error: string; input: ArrayBuffer };
