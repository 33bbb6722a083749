// The CI-sized run of every benchmark (BENCH_SMOKE): a tiny generated package set, one round
// each. It checks that the benchmarks still run and report figures of the right shape and sane
// values; it holds no timing thresholds (this machine is shared and noisy).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ColdBuildResult } from '../src/cold-build.js';
import type { EvaluationCost } from '../src/evaluation.js';
import type { MemoryResult } from '../src/memory.js';
import { SMOKE_PROFILE } from '../src/profile.js';
import type { RealFilesResult } from '../src/real-files.js';
import { type BenchResults, renderMarkdown } from '../src/results.js';
import { runBenchmarks } from '../src/run.js';
import type { S3PullResult } from '../src/s3-pull.js';
import type { ScalingPoint } from '../src/scaling.js';
import type { WarmPullResult } from '../src/warm-pull.js';

let workDir: string;
let results: BenchResults;

function section<T>(name: string): T {
  const outcome = results.sections[name];
  expect(outcome, `section ${name}`).toBeDefined();
  if (!outcome?.ok) throw new Error(`section ${name} was skipped: ${outcome ? outcome.skipped : 'missing'}`);
  return outcome.result as T;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'nixery-bench-smoke-'));
  results = await runBenchmarks(SMOKE_PROFILE, { workDir, log: () => {} });
  // Every section runs once, S3, storm and evaluation included: minutes beside the rest of the suite.
}, 900_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('benchmark smoke run', () => {
  test('every figure is a finite, non-negative number with a unit-bearing row', () => {
    expect(results.mode).toBe('smoke');
    expect(results.figures.length).toBeGreaterThan(10);
    for (const figure of results.figures) {
      expect(Number.isFinite(figure.value), `${figure.section}: ${figure.name}`).toBe(true);
      expect(figure.value).toBeGreaterThanOrEqual(0);
      if (figure.baseline) expect(figure.baseline.value).toBeGreaterThan(0);
      if (figure.baseline && figure.ratio !== undefined) {
        // Ratios are rounded to three significant digits; a zero (the ideal's re-downloads) stays zero.
        if (figure.value === 0) expect(figure.ratio).toBe(0);
        else expect(Math.abs(figure.ratio / (figure.value / figure.baseline.value) - 1)).toBeLessThan(0.01);
      }
      if (figure.target !== undefined && figure.ratio !== undefined)
        expect(typeof figure.met).toBe('boolean');
    }
  });

  test('cold build: the stages add up to the build and the baselines ran on the same closure', () => {
    const cold = section<ColdBuildResult>('coldBuild');
    expect(cold.closurePaths).toBeGreaterThan(4);
    expect(cold.rounds).toBe(SMOKE_PROFILE.coldRounds);
    expect(cold.closureBytes).toBeGreaterThan(1_000_000);
    const { nixMs, groupingMs, layersMs, totalMs } = cold.timings;
    expect(nixMs + groupingMs + layersMs).toBeGreaterThanOrEqual(totalMs - 2);
    expect(nixMs + groupingMs + layersMs).toBeLessThanOrEqual(totalMs + 2);
    expect(cold.requestMs).toBeGreaterThanOrEqual(totalMs);
    expect(cold.timings.layers).toBeGreaterThan(1);
    expect(cold.baselines.tarGzipMs).toBeGreaterThan(0);
    expect(cold.baselines.tarPigzMs).toBeGreaterThan(0);
    expect(cold.singleStream.layersMs).toBeGreaterThan(0);
    // Level 1 builds the same tars: its bytes are within a few percent of level 6 at worst.
    expect(cold.fastGzip.layersMs).toBeGreaterThan(0);
    expect(cold.fastGzip.defaultLevelBytes).toBeGreaterThan(0);
    expect(cold.fastGzip.compressedBytes).toBeGreaterThan(cold.fastGzip.defaultLevelBytes * 0.9);
  });

  test('real files: a built image of host folders, its size classes adding up, its baselines run', () => {
    const real = section<RealFilesResult>('realFiles');
    expect(real.closurePaths).toBeGreaterThan(4);
    expect(real.rounds).toBe(SMOKE_PROFILE.coldRounds);
    expect(real.distribution.files).toBeGreaterThan(100);
    const classes = real.distribution.classes;
    expect(classes.reduce((sum, c) => sum + c.files, 0)).toBe(real.distribution.files);
    expect(classes.reduce((sum, c) => sum + c.bytes, 0)).toBe(real.distribution.bytes);
    expect(real.layers).toBeGreaterThan(1);
    expect(real.compressedBytes).toBeGreaterThan(0);
    const { nixMs, groupingMs, layersMs, totalMs } = real.timings;
    expect(nixMs + groupingMs + layersMs).toBeGreaterThanOrEqual(totalMs - 2);
    expect(real.baselines.tarPigzMs).toBeGreaterThan(0);
    expect(real.peakRssBytes).toBeGreaterThanOrEqual(real.idleRssBytes);
  });

  test('warm pull: skopeo copied the image and served requests and blob bytes', () => {
    const warm = section<WarmPullResult>('warmPull');
    expect(warm.imageBytes).toBeGreaterThan(100_000);
    expect(warm.skopeo.ours?.runsMs).toHaveLength(SMOKE_PROFILE.pullRounds);
    expect(warm.manifestHead.ours?.requestsPerSecond).toBeGreaterThan(0);
    expect(warm.manifestHead.ours?.errors).toBe(0);
    expect(warm.manifestGet.ours?.requestsPerSecond).toBeGreaterThan(0);
    expect(warm.manifestGet.ours?.errors).toBe(0);
    expect(warm.blob.size).toBe(SMOKE_PROFILE.largeBlobBytes);
    expect(warm.blob.mbPerSecond.ours).toBeGreaterThan(0);
    // Peers are compared only where installed; when present they must have answered too.
    for (const peer of Object.keys(warm.skopeo))
      expect(warm.manifestHead[peer]?.requestsPerSecond).toBeGreaterThan(0);
    // The plain node:http floor is always there (it needs nothing installed).
    expect(warm.manifestHead['node:http']?.requestsPerSecond).toBeGreaterThan(0);
    expect(warm.manifestGet['node:http']?.requestsPerSecond).toBeGreaterThan(0);
  });

  test('evaluation cost: each image ran a timed nix-instantiate that took time and memory', () => {
    const costs = section<EvaluationCost[]>('evaluation');
    expect(costs.length).toBeGreaterThan(0);
    for (const cost of costs) {
      expect(cost.ok).toBe(true);
      expect(cost.evaluations).toBeGreaterThanOrEqual(1);
      expect(cost.evaluationMs).toBeGreaterThan(0);
      expect(cost.wallMs).toBeGreaterThanOrEqual(cost.evaluationMs - 50);
      // nix-instantiate cannot evaluate anything in under 5 MB.
      expect(cost.peakRssBytes).toBeGreaterThan(5_000_000);
    }
  });

  test('S3 warm pull: one redirecting and one streaming instance over one bucket, beside the filesystem', () => {
    const s3 = section<S3PullResult>('s3Pull');
    expect(s3.blobStatus).toEqual({ presigned: 307, streamed: 200 });
    for (const name of ['filesystem', 's3-presigned', 's3-streamed'])
      expect(s3.skopeo[name]?.runsMs, name).toHaveLength(SMOKE_PROFILE.s3PullRounds);
    expect(s3.imageBytes).toBe(section<WarmPullResult>('warmPull').imageBytes);
  });

  test('scaling: each scale image holds exactly the store paths it was generated with', () => {
    const points = section<ScalingPoint[]>('scaling');
    expect(points.map((p) => p.requestedPaths)).toEqual(SMOKE_PROFILE.set.scalePaths);
    for (const point of points) {
      expect(point.paths).toBe(point.requestedPaths);
      expect(point.totalMs).toBeGreaterThan(0);
    }
  });

  test('memory: the peak is the higher of VmHWM and sampling, and the pulls moved every byte', () => {
    const memory = section<MemoryResult>('memory');
    for (const run of [memory.build, memory.concurrentPulls]) {
      expect(run.idleRssBytes).toBeGreaterThan(10_000_000);
      expect(run.peakRssBytes).toBe(Math.max(run.kernelHighWaterBytes, run.sampledMaxRssBytes));
      // Sampling saw the running process (a Node server cannot run in under 10 MB).
      expect(run.sampledMaxRssBytes).toBeGreaterThan(10_000_000);
    }
    expect(memory.build.largestPathBytes).toBeGreaterThanOrEqual(SMOKE_PROFILE.set.bigPathMiB * 2 ** 20);
    const warm = section<WarmPullResult>('warmPull');
    expect(memory.concurrentPulls.bytesPulled).toBe(warm.imageBytes * SMOKE_PROFILE.pullClients);
  });

  test('the markdown table has a row per figure', () => {
    const markdown = renderMarkdown(results);
    const rows = markdown
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| section') && !line.startsWith('| ---'));
    expect(rows).toHaveLength(results.figures.length);
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  });
});
