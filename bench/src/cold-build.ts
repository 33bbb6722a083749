import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tarPipelineMs } from './baselines.js';
import { buildInProcess } from './in-process-build.js';
import { profileLayerStages } from './layer-profile.js';
import { buildThrough, RegistryProcess } from './registry-process.js';
import { type Figure, withTarget } from './results.js';
import { MB, median, medianBy, ratio, round } from './stats.js';
import { imageClosure, imageName, narBytes, pickImage, type SyntheticSet } from './synthetic-set.js';

export interface ColdBuildResult {
  image: string;
  packages: number;
  closurePaths: number;
  closureBytes: number;
  /** Cold builds by fresh registry processes: requestMs and timings are the median build's. */
  rounds: number;
  /** Manifest request to 200 against the registry process (default parallel layer writing). */
  requestMs: number;
  timings: { nixMs: number; groupingMs: number; layersMs: number; totalMs: number; layers: number };
  /** The same build in-process with one layer at a time (single stream, like the baseline). */
  singleStream: { layersMs: number; totalMs: number };
  /** The same build in-process, parallel, at gzip level 1 (NIXERY_GZIP_LEVEL=1), and the bytes of both levels. */
  fastGzip: { layersMs: number; compressedBytes: number; defaultLevelBytes: number };
  /** tar|pigz: the median of as many runs as builds, alternating with them; tar|gzip: one run. */
  baselines: { tarGzipMs: number; tarPigzMs: number };
  /** The same closure through the archive stages alone (see layer-profile.ts). */
  profile: { bytes: number; tarMs: number; tarHashMs: number; tarHashGzipMs: number };
  serverPeakRssBytes: number;
}

/**
 * Cold build: the manifest of an image nobody asked for before, from a fresh storage, split
 * into the builder's stages; then the same closure through `tar | gzip -6 | sha256sum` and
 * `tar | pigz -6 | sha256sum`, the single-stream and all-core ways to do the same work.
 */
export async function runColdBuild(options: {
  set: SyntheticSet;
  targetBytes: number;
  rounds: number;
  workDir: string;
  /** Storage the registry process keeps (the warm-pull benchmark serves the image from it). */
  storagePath: string;
  log: (line: string) => void;
}): Promise<{ result: ColdBuildResult; registry: RegistryProcess; figures: Figure[] }> {
  const { set, log } = options;
  const picked = pickImage(set, options.targetBytes);
  const image = imageName(picked.attrs);
  const closure = [...imageClosure(set, picked.attrs)].sort();
  const closureBytes = narBytes(set, closure);
  log(`cold build: ${picked.attrs.length} packages, ${closure.length} paths, ${round(closureBytes / MB)} MB`);

  // The kept registry's build is the first round; more rounds are fresh registries of their own,
  // each followed by a pigz run, so the figure against pigz compares medians of alternating runs.
  const listFile = join(options.workDir, 'cold-closure.txt');
  const registry = await RegistryProcess.start({ storagePath: options.storagePath, pkgsPath: set.path });
  const builds = [await buildThrough(registry, image, closure)];
  const pigzRuns = [await tarPipelineMs(closure, 'pigz -6', listFile)];
  for (let i = 1; i < options.rounds; i++) {
    const roundPath = join(options.workDir, 'cold-round');
    await rm(roundPath, { recursive: true, force: true });
    const fresh = await RegistryProcess.start({ storagePath: roundPath, pkgsPath: set.path });
    try {
      builds.push(await buildThrough(fresh, image, closure));
    } finally {
      await fresh.stop();
      await rm(roundPath, { recursive: true, force: true });
    }
    pigzRuns.push(await tarPipelineMs(closure, 'pigz -6', listFile));
  }
  const tarPigzMs = median(pigzRuns);
  const { response, timings } = medianBy(builds, (b) => b.timings.layersMs);
  log(
    `  registry: ${builds.map((b) => `${Math.round(b.response.ms)} ms to 200 (${JSON.stringify(b.timings)})`).join('; ')}`,
  );

  const singleDir = join(options.workDir, 'cold-single-stream');
  await rm(singleDir, { recursive: true, force: true });
  const single = await buildInProcess({
    pkgsPath: set.path,
    storagePath: singleDir,
    image,
    layerConcurrency: 1,
    warmPaths: closure,
  });
  await rm(singleDir, { recursive: true, force: true });
  log(`  in-process, one layer at a time: layers ${single.timings.layersMs} ms`);

  const fastDir = join(options.workDir, 'cold-gzip-1');
  await rm(fastDir, { recursive: true, force: true });
  const fast = await buildInProcess({
    pkgsPath: set.path,
    storagePath: fastDir,
    image,
    gzipLevel: 1,
    warmPaths: closure,
  });
  await rm(fastDir, { recursive: true, force: true });
  const bytesOf = (layers: readonly { size: number }[]) => layers.reduce((sum, l) => sum + l.size, 0);
  const fastGzip = {
    layersMs: fast.timings.layersMs,
    compressedBytes: bytesOf(fast.record.layers),
    defaultLevelBytes: bytesOf(response.manifest.layers),
  };
  log(`  in-process, gzip level 1: ${JSON.stringify(fastGzip)}`);

  const tarGzipMs = await tarPipelineMs(closure, 'gzip -6', listFile);
  log(
    `  baselines: tar|gzip -6|sha256sum ${Math.round(tarGzipMs)} ms, tar|pigz -6|sha256sum ${pigzRuns.join(', ')} ms`,
  );

  const profile = await profileLayerStages(closure, tarGzipMs);
  log(`  stage profile: ${JSON.stringify(profile.result)}`);

  const result: ColdBuildResult = {
    image,
    packages: picked.attrs.length,
    closurePaths: closure.length,
    closureBytes,
    rounds: builds.length,
    requestMs: Math.round(response.ms),
    timings: {
      nixMs: timings.nixMs,
      groupingMs: timings.groupingMs,
      layersMs: timings.layersMs,
      totalMs: timings.totalMs,
      layers: timings.layersWritten + timings.layersReused,
    },
    singleStream: { layersMs: single.timings.layersMs, totalMs: single.timings.totalMs },
    fastGzip,
    baselines: { tarGzipMs, tarPigzMs },
    profile: profile.result,
    serverPeakRssBytes: (await registry.memory()).peakRss,
  };
  return { result, registry, figures: [...coldBuildFigures(result), ...profile.figures] };
}

function coldBuildFigures(r: ColdBuildResult): Figure[] {
  const section = `cold build (${r.closurePaths} paths, ${round(r.closureBytes / MB)} MB)`;
  const gzip = { name: 'tar|gzip -6|sha256sum', value: r.baselines.tarGzipMs };
  return [
    { section, name: 'manifest request to 200', value: r.requestMs, unit: 'ms' },
    { section, name: 'Nix evaluation + path-info (set prebuilt)', value: r.timings.nixMs, unit: 'ms' },
    { section, name: 'grouping', value: r.timings.groupingMs, unit: 'ms' },
    withTarget(
      {
        section,
        name: `layer writing, parallel (${r.timings.layers} layers)`,
        value: r.timings.layersMs,
        unit: 'ms',
        baseline: gzip,
        ratio: ratio(r.timings.layersMs, gzip.value),
      },
      '< 1',
      'ratio',
    ),
    withTarget(
      {
        section,
        name: 'layer writing, one layer at a time',
        value: r.singleStream.layersMs,
        unit: 'ms',
        baseline: gzip,
        ratio: ratio(r.singleStream.layersMs, gzip.value),
      },
      '≤ 1.3',
      'ratio',
    ),
    withTarget(
      {
        section,
        name: `layer writing, parallel, vs pigz (medians of ${r.rounds} fresh servers and runs)`,
        value: r.timings.layersMs,
        unit: 'ms',
        baseline: { name: 'tar|pigz -6|sha256sum', value: r.baselines.tarPigzMs },
        ratio: ratio(r.timings.layersMs, r.baselines.tarPigzMs),
      },
      '≤ 1',
      'ratio',
    ),
    {
      section,
      name: 'layer writing, parallel, gzip level 1 (in-process)',
      value: r.fastGzip.layersMs,
      unit: 'ms',
      baseline: { name: 'level 6 (registry)', value: r.timings.layersMs },
      ratio: ratio(r.fastGzip.layersMs, r.timings.layersMs),
    },
    {
      section,
      name: 'compressed layers, gzip level 1 (this data is random: levels differ only on real files)',
      value: round(r.fastGzip.compressedBytes / MB),
      unit: 'MB',
      baseline: { name: 'level 6', value: round(r.fastGzip.defaultLevelBytes / MB) },
      ratio: ratio(r.fastGzip.compressedBytes, r.fastGzip.defaultLevelBytes),
    },
    {
      section,
      name: 'layer writing throughput (parallel)',
      value: round(r.closureBytes / MB / (r.timings.layersMs / 1000)),
      unit: 'MB/s',
      baseline: { name: 'tar|gzip -6', value: round(r.closureBytes / MB / (r.baselines.tarGzipMs / 1000)) },
    },
  ];
}
