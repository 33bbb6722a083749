import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tarPipelineMs } from './baselines.js';
import { peaks, sampled } from './memory.js';
import {
  expandRoots,
  type FileSizeDistribution,
  fileSizeDistribution,
  prepareRealSet,
  type RealSet,
} from './real-set.js';
import { buildThrough, type fetchManifest, RegistryProcess } from './registry-process.js';
import { type Figure, withTarget } from './results.js';
import { MB, median, medianBy, ratio, round } from './stats.js';

export interface RealFilesResult {
  roots: string[];
  nixBuildMs: number;
  /** Cold builds timed (each by a fresh registry): the timings are the median build's. */
  rounds: number;
  closurePaths: number;
  distribution: FileSizeDistribution;
  layers: number;
  compressedBytes: number;
  timings: { nixMs: number; groupingMs: number; layersMs: number; totalMs: number };
  /** tar|pigz: the median of as many runs as builds, alternating with them; tar|gzip: one run. */
  baselines: { tarGzipMs: number; tarPigzMs: number };
  idleRssBytes: number;
  /** The highest of the rounds' peaks. */
  peakRssBytes: number;
  /** Peak RSS of the server's Nix spawner, a process of its own (null if it was not running). */
  spawnerPeakRssBytes: number | null;
}

/**
 * The real-files image (nix/bench-real: this machine's own installed software as store paths),
 * built cold by a fresh registry process whose RSS is sampled meanwhile, against `tar | pigz -6
 * | sha256sum` and `tar | gzip -6 | sha256sum` over the same paths.
 */
export async function runRealFiles(options: {
  roots: readonly string[];
  rounds: number;
  workDir: string;
  log: (line: string) => void;
}): Promise<{ result: RealFilesResult; figures: Figure[] }> {
  const { log, workDir } = options;
  const roots = await expandRoots(options.roots);
  if (roots.length === 0) throw new Error(`none of ${options.roots.join(', ')} exists on this machine`);
  const set = await prepareRealSet(roots, workDir);
  const distribution = await fileSizeDistribution(set.closure);
  log(
    `real files: ${set.closure.length} paths, ${distribution.files} files, ${round(distribution.bytes / MB)} MB (nix-build ${set.buildMs} ms)`,
  );

  // Fresh registry builds alternate with pigz runs, so a noisy minute lands on both; the gzip
  // baseline (twice pigz's time, far from any target) runs once.
  const listFile = join(workDir, 'real-closure.txt');
  const builds: RealBuild[] = [];
  const pigzRuns: number[] = [];
  for (let i = 0; i < options.rounds; i++) {
    builds.push(await buildInFreshRegistry(set, join(workDir, 'real-storage')));
    pigzRuns.push(await tarPipelineMs(set.closure, 'pigz -6', listFile));
  }
  const tarGzipMs = await tarPipelineMs(set.closure, 'gzip -6', listFile);
  const tarPigzMs = median(pigzRuns);
  log(
    `  registry layer writing ${builds.map((b) => b.timings.layersMs).join(', ')} ms; tar|pigz -6 ${pigzRuns.join(', ')} ms; tar|gzip -6 ${tarGzipMs} ms`,
  );
  const build = medianBy(builds, (b) => b.timings.layersMs);
  const manifest = build.manifest;
  const spawnerPeaks = builds.flatMap((b) => (b.spawnerPeakRssBytes === null ? [] : [b.spawnerPeakRssBytes]));

  const result: RealFilesResult = {
    roots,
    nixBuildMs: set.buildMs,
    closurePaths: set.closure.length,
    distribution,
    layers: manifest.manifest.layers.length,
    compressedBytes: manifest.manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
    rounds: builds.length,
    timings: {
      nixMs: build.timings.nixMs,
      groupingMs: build.timings.groupingMs,
      layersMs: build.timings.layersMs,
      totalMs: build.timings.totalMs,
    },
    baselines: { tarGzipMs, tarPigzMs },
    idleRssBytes: Math.max(...builds.map((b) => b.idleRssBytes)),
    // The target is a bound: the highest peak of any round.
    peakRssBytes: Math.max(...builds.map((b) => b.peakRssBytes)),
    spawnerPeakRssBytes: spawnerPeaks.length > 0 ? Math.max(...spawnerPeaks) : null,
  };
  return { result, figures: realFilesFigures(result) };
}

function sizeLabel(bytes: number | null): string {
  if (bytes === null) return '∞';
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

function realFilesFigures(r: RealFilesResult): Figure[] {
  const d = r.distribution;
  const section = `real files (${r.closurePaths} paths, ${d.files} files, ${round(d.bytes / MB)} MB)`;
  const pigz = { name: `tar|pigz -6|sha256sum (median of ${r.rounds})`, value: r.baselines.tarPigzMs };
  const figures: Figure[] = [
    { section, name: 'nix-build of the set (small when already built)', value: r.nixBuildMs, unit: 'ms' },
    withTarget(
      {
        section,
        name: `layer writing, whole image (${r.layers} layers), median of ${r.rounds} fresh servers`,
        value: r.timings.layersMs,
        unit: 'ms',
        baseline: pigz,
        ratio: ratio(r.timings.layersMs, pigz.value),
      },
      '≤ 1',
      'ratio',
    ),
    {
      section,
      name: 'layer writing vs single-stream gzip',
      value: r.timings.layersMs,
      unit: 'ms',
      baseline: { name: 'tar|gzip -6|sha256sum', value: r.baselines.tarGzipMs },
      ratio: ratio(r.timings.layersMs, r.baselines.tarGzipMs),
    },
    { section, name: 'full build (Nix + grouping + layers)', value: r.timings.totalMs, unit: 'ms' },
    {
      section,
      name: 'compressed layers',
      value: round(r.compressedBytes / MB),
      unit: 'MB',
      baseline: { name: 'files', value: round(d.bytes / MB) },
      ratio: ratio(r.compressedBytes, d.bytes),
    },
    withTarget(
      {
        section,
        name: `server peak RSS while building (idle ${round(r.idleRssBytes / MB)} MB)`,
        value: round(r.peakRssBytes / MB),
        unit: 'MB',
      },
      '< 200',
      'value',
    ),
    ...(r.spawnerPeakRssBytes === null
      ? []
      : [
          {
            section,
            name: "peak RSS of the server's Nix spawner (a process of its own, beside the server's)",
            value: round(r.spawnerPeakRssBytes / MB),
            unit: 'MB',
          },
        ]),
  ];
  let lower = 0;
  for (const c of d.classes) {
    figures.push({
      section,
      name: `files of ${sizeLabel(lower)}–${sizeLabel(c.below)}: ${round((100 * c.bytes) / Math.max(d.bytes, 1))} % of the bytes`,
      value: c.files,
      unit: 'files',
    });
    lower = c.below ?? lower;
  }
  figures.push({
    section,
    name: 'directories / symlinks',
    value: d.directories,
    unit: `dirs, ${d.symlinks} links`,
  });
  return figures;
}

interface RealBuild {
  timings: Awaited<ReturnType<RegistryProcess['nextBuild']>>['timings'];
  manifest: Awaited<ReturnType<typeof fetchManifest>>;
  idleRssBytes: number;
  peakRssBytes: number;
  spawnerPeakRssBytes: number | null;
}

/** One cold build of `real` by a fresh registry process into empty storage, its RSS sampled. */
async function buildInFreshRegistry(set: RealSet, storagePath: string): Promise<RealBuild> {
  await rm(storagePath, { recursive: true, force: true });
  const registry = await RegistryProcess.start({ storagePath, pkgsPath: set.path });
  try {
    const idleRssBytes = (await registry.memory()).rss;
    const work = await sampled(registry, () => buildThrough(registry, 'real', set.closure));
    const memory = peaks((await registry.memory()).peakRss, work.max);
    return {
      timings: work.value.timings,
      manifest: work.value.response,
      idleRssBytes,
      peakRssBytes: memory.peakRssBytes,
      spawnerPeakRssBytes: await registry.spawnerPeakRss(),
    };
  } finally {
    await registry.stop();
    await rm(storagePath, { recursive: true, force: true });
  }
}
