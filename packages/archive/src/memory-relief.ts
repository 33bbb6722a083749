import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Layer bytes cross threads as short-lived buffers: compressed members come to the main thread
 * and are dropped once written, and each member's zlib output is dropped in its worker. V8
 * frees such buffers only when it collects, and it collects by JavaScript allocation, which
 * these threads do little of, so dead buffers piled up to V8's external-memory limit in every
 * thread before a collection: building the real-files benchmark image peaked at 288 MB of
 * server RSS (idle 98 MB), with a third of it buffers nobody referenced. A young-generation
 * collection every few MiB of layer data frees them; it takes well under a millisecond on
 * these heaps. V8 offers `gc` only behind its flag, hence the flag, set once per thread.
 */
const COLLECT_EVERY_BYTES = 16 * 1024 * 1024;

let collect: (() => void) | null = null;
let droppedSinceCollection = 0;

/** Notes `bytes` of buffers this thread just let go of; collects once enough have piled up. */
export function noteDroppedBytes(bytes: number): void {
  droppedSinceCollection += bytes;
  if (droppedSinceCollection < COLLECT_EVERY_BYTES) return;
  droppedSinceCollection = 0;
  collect ??= exposeGc();
  collect();
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (options: { type: 'minor' | 'major' }) => void;
  return () => gc({ type: 'minor' });
}
