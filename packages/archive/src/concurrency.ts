import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs at most `limit` tasks at once (default: the number of CPUs); others wait in order. */
export function createLimiter(limit = availableParallelism()): Limiter {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const limited = pLimit(limit);
  return <T>(task: () => Promise<T>) => limited(task);
}

/**
 * Runs independent jobs (e.g. one `writeLayer` per layer) with bounded concurrency and returns
 * their results in job order. The first failure rejects; jobs already running finish on their own.
 */
export function buildLayersConcurrently<T>(
  jobs: (() => Promise<T>)[],
  limit = availableParallelism(),
): Promise<T[]> {
  const limited = createLimiter(limit);
  return Promise.all(jobs.map((job) => limited(job)));
}
