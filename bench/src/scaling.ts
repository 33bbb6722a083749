import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tarPipelineMs } from './baselines.js';
import { buildInProcess } from './in-process-build.js';
import { run } from './processes.js';
import type { Figure } from './results.js';
import { ratio } from './stats.js';
import { ESSENTIALS, NIX_ENV, type SyntheticSet } from './synthetic-set.js';

/** Every store path of the scale<n> image (the builder adds the essentials), from nix-store. */
async function scaleClosure(set: SyntheticSet, n: number): Promise<string[]> {
  const built = await run('nix-build', [set.path, '-A', `scale${n}`, '--no-out-link'], { env: NIX_ENV });
  const roots = [built.stdout.trim(), ...ESSENTIALS.map((attr) => set.outPaths.get(attr)!)];
  const { stdout } = await run('nix-store', ['--query', '--requisites', ...roots], { env: NIX_ENV });
  return stdout.trim().split('\n').sort();
}

export interface ScalingPoint {
  requestedPaths: number;
  /** Store paths in the built image's layers (should equal requestedPaths). */
  paths: number;
  layers: number;
  nixMs: number;
  groupingMs: number;
  layersMs: number;
  totalMs: number;
  /** tar|gzip -6|sha256sum over the same store paths. */
  tarGzipMs: number;
}

/**
 * Full build time as the closure grows: the scale<N> images of the generated set (N store
 * paths of a few small files each), each built cold into its own storage folder.
 */
export async function runScaling(options: {
  set: SyntheticSet;
  workDir: string;
  log: (line: string) => void;
}): Promise<{ result: ScalingPoint[]; figures: Figure[] }> {
  const points: ScalingPoint[] = [];
  for (const n of options.set.params.scalePaths) {
    const storagePath = join(options.workDir, `scale-${n}`);
    // One untimed build first, into storage of its own: a running server has its packing and
    // gzip workers started and warm, and the bench runs from sources, where starting a worker
    // (through tsx) costs hundreds of ms, more than the 1,000-path image's whole layer stage.
    const warmUpPath = `${storagePath}-warm-up`;
    await rm(warmUpPath, { recursive: true, force: true });
    await buildInProcess({ pkgsPath: options.set.path, storagePath: warmUpPath, image: `scale${n}` });
    await rm(warmUpPath, { recursive: true, force: true });
    await rm(storagePath, { recursive: true, force: true });
    const { record, timings } = await buildInProcess({
      pkgsPath: options.set.path,
      storagePath,
      image: `scale${n}`,
    });
    await rm(storagePath, { recursive: true, force: true });
    const closure = await scaleClosure(options.set, n);
    const tarGzipMs = await tarPipelineMs(closure, 'gzip -6', join(options.workDir, `scale-${n}.txt`));
    const point: ScalingPoint = {
      requestedPaths: n,
      paths: record.layers.reduce((sum, layer) => sum + layer.pathCount, 0),
      layers: record.layers.length,
      nixMs: timings.nixMs,
      groupingMs: timings.groupingMs,
      layersMs: timings.layersMs,
      totalMs: timings.totalMs,
      tarGzipMs,
    };
    options.log(`scaling: ${point.paths} paths → ${JSON.stringify(timings)}`);
    points.push(point);
  }
  const figures: Figure[] = points.flatMap((p) => {
    const section = `build time by closure size (${p.paths} paths, ${p.layers} layers)`;
    return [
      { section, name: 'full build', value: p.totalMs, unit: 'ms' },
      { section, name: 'Nix evaluation + path-info', value: p.nixMs, unit: 'ms' },
      { section, name: 'grouping', value: p.groupingMs, unit: 'ms' },
      {
        section,
        name: 'layer writing',
        value: p.layersMs,
        unit: 'ms',
        baseline: { name: 'tar|gzip -6|sha256sum', value: p.tarGzipMs },
        ratio: ratio(p.layersMs, p.tarGzipMs),
      },
    ];
  });
  return { result: points, figures };
}
