// When a store-path layer is packed by several workers at once, and in which pieces.
import { availableParallelism } from 'node:os';
import type { PackJob } from './pack-job.js';

/** Layers of fewer store paths are packed by one worker: a split would save little. */
export const SPLIT_MIN_PATHS = 64;
/** The fewest store paths in a segment. */
const SEGMENT_MIN_PATHS = 32;
/** Workers one layer uses at most (each may hold a bounded run-ahead of tar in memory). */
export const MAX_LANES = 4;
/**
 * Segments per worker. Segments are handed out in order to whichever worker is free, so several
 * small ones per worker even out store paths of very different sizes.
 */
const SEGMENTS_PER_LANE = 4;

export interface PackPlan {
  /** The layer's jobs in tar order: one whole job, or the segments of a split layer. */
  jobs: PackJob[];
  /** How many workers pack them at once. */
  lanes: number;
}

/**
 * Splits a layer's sorted store paths into contiguous segments when it has many of them and
 * there is more than one CPU. Concatenating the segments' tars in order gives exactly the
 * unsplit tar (only the first writes `nix/`, `nix/store/`, only the last the end of the archive).
 * A split layer is streamed as tar, never compressed whole by a worker (`wholeGzipLevel`).
 */
export function planPack(job: PackJob, parallelism = availableParallelism()): PackPlan {
  const count = job.storePaths.length;
  const lanes = Math.min(parallelism, MAX_LANES, Math.floor(count / SEGMENT_MIN_PATHS));
  if (count < SPLIT_MIN_PATHS || lanes < 2) return { jobs: [job], lanes: 1 };
  const segments = Math.min(lanes * SEGMENTS_PER_LANE, Math.floor(count / SEGMENT_MIN_PATHS));
  const jobs: PackJob[] = [];
  for (let i = 0; i < segments; i++) {
    const from = Math.floor((count * i) / segments);
    const to = Math.floor((count * (i + 1)) / segments);
    jobs.push({
      storePaths: job.storePaths.slice(from, to),
      segment: { first: i === 0, last: i === segments - 1 },
    });
  }
  return { jobs, lanes };
}
