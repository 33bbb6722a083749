import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { PositionalReader } from './driver.js';
import { StorageError } from './errors.js';
import type { ByteRange } from './types.js';

/** Chunk sizes a pump may use: large chunks are faster, small ones keep many streams cheap. */
const LARGEST_CHUNK_BYTES = 1024 * 1024;
const SMALLEST_CHUNK_BYTES = 64 * 1024;
/** The smallest buffer a small blob gets. */
const SMALLEST_BUFFER_BYTES = 4 * 1024;
/** What the buffers of running pumps may add up to (two per pump), and, apart, the idle ones kept. */
const BUFFER_BUDGET_BYTES = 8 * 1024 * 1024;

/** Buffers of finished pumps, by size, for the next ones: no garbage per request either. */
const idleBuffers = new Map<number, Buffer[]>();
let idleBytes = 0;
let busyBytes = 0;

/** An idle buffer of at least `size` bytes (the smallest there is), else a new one of `size`. */
function takeBuffer(size: number): Buffer {
  for (let candidate = size; candidate <= LARGEST_CHUNK_BYTES; candidate *= 2) {
    const buffer = idleBuffers.get(candidate)?.pop();
    if (buffer === undefined) continue;
    idleBytes -= buffer.length;
    busyBytes += buffer.length;
    return buffer;
  }
  busyBytes += size;
  return Buffer.allocUnsafeSlow(size);
}

/**
 * Hands a buffer back: kept for the next copies while the idle ones stay inside the budget, else
 * left to the collector. Only for buffers no write still refers to.
 */
function returnBuffer(buffer: Buffer, reusable: boolean): void {
  busyBytes -= buffer.length;
  if (!reusable || idleBytes + buffer.length > BUFFER_BUDGET_BYTES) return;
  const list = idleBuffers.get(buffer.length) ?? [];
  list.push(buffer);
  idleBuffers.set(buffer.length, list);
  idleBytes += buffer.length;
}

/**
 * The chunk size for a copy of `length` bytes: the largest power of two (within the bounds)
 * whose two buffers fit in what the budget has left, and no larger than the copy needs. Early
 * copies get 1 MiB chunks; once many run, new ones get 64 KiB. Small blobs (configs, most
 * layers of small store paths) get small buffers.
 */
export function pumpChunkBytes(length: number, bytesInUse: number): number {
  let chunk = LARGEST_CHUNK_BYTES;
  while (chunk > SMALLEST_CHUNK_BYTES && bytesInUse + 2 * chunk > BUFFER_BUDGET_BYTES) chunk /= 2;
  while (chunk > SMALLEST_BUFFER_BYTES && chunk / 2 >= length) chunk /= 2;
  return chunk;
}

/**
 * Copies `range` of an open file (any positional reader) to `destination` and ends it, with two buffers reused for the
 * whole copy (one is read into while the other is being written) and kept for the next copy.
 * A read stream allocates a new buffer per chunk instead; with many clients that garbage (and
 * the chunks queued in each stream) is what drove the server's memory up. The handle is closed
 * when the copy ends.
 */
export async function pumpFile(
  handle: PositionalReader,
  destination: Writable,
  range: Required<ByteRange>,
  onChunk?: (bytes: number) => void,
): Promise<void> {
  const chunkBytes = pumpChunkBytes(range.end - range.start + 1, busyBytes);
  const buffers = [takeBuffer(chunkBytes), takeBuffer(chunkBytes)];
  const closed = closedEarly(destination);
  let completed = false;
  try {
    let position = range.start;
    let index = 0;
    let previousWrite: Promise<void> = Promise.resolve();
    while (position <= range.end) {
      // This buffer's last write was awaited before the other buffer's write began.
      const buffer = buffers[index] as Buffer;
      index = 1 - index;
      const length = Math.min(chunkBytes, range.end - position + 1);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead === 0) throw new StorageError(`file ended at byte ${position}, before byte ${range.end}`);
      position += bytesRead;
      await Promise.race([previousWrite, closed.promise]);
      previousWrite = write(destination, buffer.subarray(0, bytesRead));
      onChunk?.(bytesRead);
    }
    await Promise.race([previousWrite, closed.promise]);
    destination.end();
    // Rejects on an error or a close before everything was flushed.
    await finished(destination, { readable: false });
    completed = true;
  } finally {
    closed.dispose();
    // After a failure a write may still hold a buffer; only a completed copy gives them back.
    for (const buffer of buffers) returnBuffer(buffer, completed);
    await handle.close();
  }
}

function write(destination: Writable, chunk: Buffer): Promise<void> {
  const written = new Promise<void>((resolve, reject) => {
    destination.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
  // Raced against an early close; if the close wins, this rejection is expected and ignored.
  written.catch(() => {});
  return written;
}

/** Rejects if the destination closes (a client hung up) before the copy has ended it. */
function closedEarly(destination: Writable): { promise: Promise<never>; dispose: () => void } {
  let onClose = () => {};
  const promise = new Promise<never>((_, reject) => {
    onClose = () => reject(new StorageError('the destination closed before the blob was sent'));
    destination.once('close', onClose);
  });
  // Only raced against; a rejection after the copy ended is of no interest.
  promise.catch(() => {});
  return { promise, dispose: () => destination.off('close', onClose) };
}
