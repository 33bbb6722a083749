import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tarPipelineMs } from './baselines.js';
import { BuilderProcess } from './build-process.js';
import { run } from './processes.js';
import { type Figure, withTarget } from './results.js';
import { median, medianBy, ratio } from './stats.js';
import { ESSENTIALS, NIX_ENV, type SyntheticSet } from './synthetic-set.js';

/** Every store path of the scale<n> image (the builder adds the essentials), from nix-store. */
async function scaleClosure(set: SyntheticSet, n: number): Promise<string[]> {
  const built = await run('nix-build', [set.path, '-A', `scale${n}`, '--no-out-link'], { env: NIX_ENV });
  const roots = [built.stdout.trim(), ...ESSENTIALS.map((attr) => set.outPaths.get(attr)!)];
  const { stdout } = await run('nix-store', ['--query', '--requisites', ...roots], { env: NIX_ENV });
  return stdout.trim().split('\n').sort();
}

/** Issue 17's targets for the layer writing of the full profile's scale images. */
const LAYER_WRITING_TARGETS: Record<number, string> = { 1000: '≤ 1.2', 5000: '≤ 1.5' };

export interface ScalingPoint {
  requestedPaths: number;
  /** Store paths in the built image's layers (should equal requestedPaths). */
  paths: number;
  layers: number;
  /** Timed builds behind the medians below. */
  rounds: number;
  /** The stage timings of the build whose layer writing was the median one. */
  nixMs: number;
  groupingMs: number;
  layersMs: number;
  totalMs: number;
  /** tar|gzip -6|sha256sum over the same store paths, median of as many runs. */
  tarGzipMs: number;
}

/**
 * Full build time as the closure grows: the scale<N> images of the generated set (N store
 * paths of a few small files each), each built cold into its own storage folder, `rounds` times
 * (medians: one build of 90 small layers varies by ±15 % from disk and scheduling alone).
 */
export async function runScaling(options: {
  set: SyntheticSet;
  workDir: string;
  rounds: number;
  log: (line: string) => void;
}): Promise<{ result: ScalingPoint[]; figures: Figure[] }> {
  const points: ScalingPoint[] = [];
  for (const n of options.set.params.scalePaths) {
    const storagePath = join(options.workDir, `scale-${n}`);
    // Each image is built by a fresh builder process (build-process.ts), first once untimed into
    // storage of its own: that leaves its packing and gzip workers started and their code
    // compiled, and its Nix spawner and command shell started (their one fork of it behind), as
    // in a running server (together more than the 1,000-path image's whole layer stage).
    const closure = await scaleClosure(options.set, n);
    const builder = BuilderProcess.start();
    const builds: Awaited<ReturnType<BuilderProcess['build']>>[] = [];
    const baselineRuns: number[] = [];
    try {
      const build = (path: string) =>
        builder.build({
          pkgsPath: options.set.path,
          storagePath: path,
          image: `scale${n}`,
          warmPaths: closure,
        });
      const warmUpPath = `${storagePath}-warm-up`;
      await rm(warmUpPath, { recursive: true, force: true });
      await build(warmUpPath);
      await rm(warmUpPath, { recursive: true, force: true });
      const listFile = join(options.workDir, `scale-${n}.txt`);
      // Builds and baseline runs alternate, so a noisy minute on the shared machine lands on both.
      for (let round = 0; round < options.rounds; round++) {
        await rm(storagePath, { recursive: true, force: true });
        builds.push(await build(storagePath));
        await rm(storagePath, { recursive: true, force: true });
        baselineRuns.push(await tarPipelineMs(closure, 'gzip -6', listFile));
      }
    } finally {
      await builder.stop();
    }
    const inOrder = builds.map((b) => b.timings.layersMs);
    const { record, timings } = medianBy(builds, (b) => b.timings.layersMs);
    const point: ScalingPoint = {
      requestedPaths: n,
      paths: record.layers.reduce((sum, layer) => sum + layer.pathCount, 0),
      layers: record.layers.length,
      rounds: options.rounds,
      nixMs: timings.nixMs,
      groupingMs: timings.groupingMs,
      layersMs: timings.layersMs,
      totalMs: timings.totalMs,
      tarGzipMs: median(baselineRuns),
    };
    options.log(
      `scaling: ${point.paths} paths → layer writing ${inOrder.join(', ')} ms; baseline ${baselineRuns.join(', ')} ms`,
    );
    points.push(point);
  }
  const figures: Figure[] = points.flatMap((p) => {
    const section = `build time by closure size (${p.paths} paths, ${p.layers} layers)`;
    const stages: Figure[] = [
      { section, name: 'full build', value: p.totalMs, unit: 'ms' },
      { section, name: 'Nix evaluation + path-info', value: p.nixMs, unit: 'ms' },
      { section, name: 'grouping', value: p.groupingMs, unit: 'ms' },
    ];
    const layerWriting: Figure = {
      section,
      name: p.rounds > 1 ? `layer writing, median of ${p.rounds}` : 'layer writing',
      value: p.layersMs,
      unit: 'ms',
      baseline: { name: 'tar|gzip -6|sha256sum', value: p.tarGzipMs },
      ratio: ratio(p.layersMs, p.tarGzipMs),
    };
    const target = LAYER_WRITING_TARGETS[p.requestedPaths];
    return [...stages, target ? withTarget(layerWriting, target, 'ratio') : layerWriting];
  });
  return { result: points, figures };
}
