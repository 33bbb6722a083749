import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tarPipelineMs } from './baselines.js';
import { buildInProcess } from './in-process-build.js';
import { profileLayerStages } from './layer-profile.js';
import { settleDisk } from './processes.js';
import { fetchManifest, RegistryProcess } from './registry-process.js';
import { type Figure, withTarget } from './results.js';
import { MB, ratio, round } from './stats.js';
import { imageClosure, imageName, narBytes, pickImage, type SyntheticSet } from './synthetic-set.js';

export interface ColdBuildResult {
  image: string;
  packages: number;
  closurePaths: number;
  closureBytes: number;
  /** Manifest request to 200 against the registry process (default parallel layer writing). */
  requestMs: number;
  timings: { nixMs: number; groupingMs: number; layersMs: number; totalMs: number; layers: number };
  /** The same build in-process with one layer at a time (single stream, like the baseline). */
  singleStream: { layersMs: number; totalMs: number };
  /** The same build in-process, parallel, at gzip level 1 (NIXERY_GZIP_LEVEL=1), and the bytes of both levels. */
  fastGzip: { layersMs: number; compressedBytes: number; defaultLevelBytes: number };
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

  const registry = await RegistryProcess.start({ storagePath: options.storagePath, pkgsPath: set.path });
  await settleDisk();
  const buildDone = registry.nextBuild();
  const response = await fetchManifest(registry.url, image);
  const { timings } = await buildDone;
  log(`  registry: ${Math.round(response.ms)} ms to 200 (${JSON.stringify(timings)})`);

  const singleDir = join(options.workDir, 'cold-single-stream');
  await rm(singleDir, { recursive: true, force: true });
  const single = await buildInProcess({
    pkgsPath: set.path,
    storagePath: singleDir,
    image,
    layerConcurrency: 1,
  });
  await rm(singleDir, { recursive: true, force: true });
  log(`  in-process, one layer at a time: layers ${single.timings.layersMs} ms`);

  const fastDir = join(options.workDir, 'cold-gzip-1');
  await rm(fastDir, { recursive: true, force: true });
  const fast = await buildInProcess({ pkgsPath: set.path, storagePath: fastDir, image, gzipLevel: 1 });
  await rm(fastDir, { recursive: true, force: true });
  const bytesOf = (layers: readonly { size: number }[]) => layers.reduce((sum, l) => sum + l.size, 0);
  const fastGzip = {
    layersMs: fast.timings.layersMs,
    compressedBytes: bytesOf(fast.record.layers),
    defaultLevelBytes: bytesOf(response.manifest.layers),
  };
  log(`  in-process, gzip level 1: ${JSON.stringify(fastGzip)}`);

  const listFile = join(options.workDir, 'cold-closure.txt');
  const tarGzipMs = await tarPipelineMs(closure, 'gzip -6', listFile);
  const tarPigzMs = await tarPipelineMs(closure, 'pigz -6', listFile);
  log(
    `  baselines: tar|gzip -6|sha256sum ${Math.round(tarGzipMs)} ms, tar|pigz -6|sha256sum ${Math.round(tarPigzMs)} ms`,
  );

  const profile = await profileLayerStages(closure, tarGzipMs);
  log(`  stage profile: ${JSON.stringify(profile.result)}`);

  const result: ColdBuildResult = {
    image,
    packages: picked.attrs.length,
    closurePaths: closure.length,
    closureBytes,
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
    {
      section,
      name: 'layer writing, parallel, vs pigz',
      value: r.timings.layersMs,
      unit: 'ms',
      baseline: { name: 'tar|pigz -6|sha256sum', value: r.baselines.tarPigzMs },
      ratio: ratio(r.timings.layersMs, r.baselines.tarPigzMs),
    },
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
