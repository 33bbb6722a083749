import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { GZIP_MEMBER_BYTES } from './gzip-members.js';
import { SPLIT_MIN_PATHS } from './pack-split.js';

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs at most `limit` tasks at once (default: the number of CPUs); others wait in order. */
export function createLimiter(limit = availableParallelism()): Limiter {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const limited = pLimit(limit);
  return <T>(task: () => Promise<T>) => limited(task);
}

/**
 * One layer to build: a function, or a function with the layer's store-path count and rough
 * uncompressed size (e.g. its paths' NAR size), which lets a small layer take less than a slot.
 */
export type LayerJob<T> = (() => Promise<T>) | { build: () => Promise<T>; bytes: number; paths: number };

/**
 * Small layers in flight per slot of `limit`. A layer of a few store paths and at most half a
 * gzip member (a tar adds a header per file to the NAR size) is packed and compressed whole by a
 * packing worker in well under a millisecond; the rest of its time is waiting on storage (a file
 * written and synced, a rename), so several at once keep the cores busy where one per slot left
 * them idle between system calls.
 */
export const SMALL_LAYERS_PER_SLOT = 4;

function isSmall(job: { bytes: number; paths: number }): boolean {
  return job.bytes <= GZIP_MEMBER_BYTES / 2 && job.paths < SPLIT_MIN_PATHS;
}

/**
 * Runs independent jobs (e.g. one `writeLayer` per layer) with bounded concurrency and returns
 * their results in job order: at most `limit` layers that are large or of unknown size at once,
 * and beside them at most `limit × SMALL_LAYERS_PER_SLOT` small ones. The first failure rejects;
 * jobs already running finish on their own.
 */
export function buildLayersConcurrently<T>(
  jobs: LayerJob<T>[],
  limit = availableParallelism(),
): Promise<T[]> {
  const large = createLimiter(limit);
  const small = createLimiter(limit * SMALL_LAYERS_PER_SLOT);
  return Promise.all(
    jobs.map((job) => {
      if (typeof job === 'function') return large(job);
      return isSmall(job) ? small(job.build) : large(job.build);
    }),
  );
}
