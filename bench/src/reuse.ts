// Layer reuse: how many bytes a client downloads when it pulls a realistic sequence of Nixery
// images, for every grouping strategy of @nixery/layers and three baselines. Layer bytes are NAR
// sizes (compression is not simulated); the root (symlink) layer is left out, being tiny and
// different for every image under every grouping.
import {
  DEFAULT_GROUPING_OPTIONS,
  type GroupingStrategyName,
  groupingStrategies,
  groupLayers,
  type RuntimeGraphJson,
} from '@nixery/layers';
import type { Figure } from './results.js';
import {
  type LayerSummary,
  oneLayerPerImage,
  oneLayerPerPath,
  popularityContest,
} from './reuse-baselines.js';
import { generatePackageSet, imageGraph, type PackageSet } from './reuse-packages.js';
import { updatePackageSet } from './reuse-update.js';
import { generateWorkload } from './reuse-workload.js';

/** Grouped layers per image (Nixery's budget; the root layer comes on top). */
export const REUSE_BUDGET = 94;
/** Docker refuses images of more layers than this. */
export const DOCKER_LAYER_LIMIT = 125;

export interface ReuseOptions {
  /** One seed, a small package set and 12 images: for CI. */
  smoke?: boolean;
  /** How many seeds (default 10; 1 with smoke). */
  seeds?: number;
  /** First seed (default 1). */
  firstSeed?: number;
}

/** A grouping under test: a @nixery/layers strategy or a baseline. */
export interface Grouping {
  name: string;
  kind: 'strategy' | 'baseline';
  group(graph: RuntimeGraphJson, set: PackageSet): LayerSummary[];
}

/** One grouping on one seed's workload. */
export interface SeedResult {
  grouping: string;
  /** Sum of the sizes of the images pulled (each image's whole closure). */
  imageBytes: number;
  /** Sum of the sizes of the distinct layers (by key) the registry holds for the workload. */
  storedBytes: number;
  /** Bytes a client downloads pulling the images in order, keeping every layer it pulled. */
  pulledBytes: number;
  /**
   * The part of `pulledBytes` that is store paths the client already held, under another layer:
   * bytes downloaded again. The rest (new paths) every grouping must download; this part is waste.
   */
  redownloadedBytes: number;
  /** The same for the second half of the sequence only, as a share of that half's image bytes. */
  secondHalfPulledPercent: number;
  /** Most grouped layers any image got. */
  maxLayers: number;
  /** Images whose grouped layers plus the root layer exceed Docker's 125. */
  imagesOverLimit: number;
}

export interface Spread {
  mean: number;
  min: number;
  max: number;
  stddev: number;
}

export interface GroupingSummary {
  grouping: string;
  kind: 'strategy' | 'baseline';
  /** Pulled bytes as a percentage of the image bytes. */
  pulledPercent: Spread;
  /** Stored bytes as a percentage of the image bytes (equal to pulled: one client pulls every image). */
  storedPercent: Spread;
  /** Pulled bytes divided by what Nixery's grouping makes the client pull, per seed. */
  ratioToNixery: Spread;
  /** Re-downloaded bytes as a percentage of the image bytes. */
  redownloadedPercent: Spread;
  /** Re-downloaded bytes divided by Nixery's, per seed. */
  redownloadRatioToNixery: Spread;
  secondHalfPulledPercent: Spread;
  maxLayers: number;
  imagesOverLimit: Spread;
}

/** A row for the benchmark driver's results table. */
export type ReuseFigure = Figure;

/** The best new strategy must make clients re-download at most this share of what Nixery's grouping does. */
export const REUSE_TARGET_RATIO = 0.5;

/** Every grouping on one workload, per seed and summarised. */
export interface WorkloadResults {
  workload: WorkloadName;
  perSeed: SeedResult[][];
  summary: GroupingSummary[];
}

export interface ReuseResults {
  seeds: number[];
  budget: number;
  images: {
    seed: number;
    count: number;
    paths: number;
    setPaths: number;
    imageBytes: number;
    /** Paths the channel update gave a new version, and paths it rebuilt because of them. */
    updatedPaths: number;
    rebuiltPaths: number;
  }[];
  /** The steady channel first, then the same requests with a channel update halfway. */
  workloads: WorkloadResults[];
  /**
   * Per grouping, beside Nixery's (% of image bytes): bytes pulled and bytes re-downloaded on the
   * steady channel, and bytes re-downloaded across the update.
   */
  figures: ReuseFigure[];
  markdown: string;
}

/** Every strategy @nixery/layers offers, then the baselines. */
export function groupings(budget = REUSE_BUDGET): Grouping[] {
  const strategies = (Object.keys(groupingStrategies) as GroupingStrategyName[]).map(
    (strategy): Grouping => ({
      name: strategy,
      kind: 'strategy',
      group: (graph, set) => groupLayers(graph, set.popularity, { budget, strategy }),
    }),
  );
  return [
    ...strategies,
    { name: 'popularity_contest', kind: 'baseline', group: (graph) => popularityContest(graph, budget) },
    { name: 'one layer per image', kind: 'baseline', group: (graph) => oneLayerPerImage(graph) },
    { name: 'one layer per store path', kind: 'baseline', group: (graph) => oneLayerPerPath(graph) },
  ];
}

/** One image pull: the package set it is built from (the channel at that time) and its attributes. */
export interface PullStep {
  set: PackageSet;
  attrs: readonly string[];
}

/** Which sequence of pulls a result is for. */
export type WorkloadName = 'steady channel' | 'channel update halfway';

/** Pulls one seed's workload through every grouping. */
export function measureSeed(
  steps: readonly PullStep[],
  list: readonly Grouping[] = groupings(),
): SeedResult[] {
  const graphs = steps.map((step) => imageGraph(step.set, step.attrs));
  const sizes = graphs.map((g) => g.graph.reduce((sum, p) => sum + p.narSize, 0));
  const imageBytes = sizes.reduce((a, b) => a + b, 0);
  const half = Math.floor(graphs.length / 2);
  const secondHalfBytes = sizes.slice(half).reduce((a, b) => a + b, 0);
  const pathSizes = graphs.map((g) => new Map(g.graph.map((p) => [p.path, p.narSize])));
  return list.map((grouping) => {
    const stored = new Map<string, number>();
    const held = new Set<string>();
    const heldPaths = new Set<string>();
    let pulledBytes = 0;
    let redownloadedBytes = 0;
    let secondHalfPulled = 0;
    let maxLayers = 0;
    let imagesOverLimit = 0;
    graphs.forEach((graph, i) => {
      const layers = grouping.group(graph, (steps[i] as PullStep).set);
      const sizeOfPath = pathSizes[i] as Map<string, number>;
      maxLayers = Math.max(maxLayers, layers.length);
      if (layers.length + 1 > DOCKER_LAYER_LIMIT) imagesOverLimit++;
      for (const layer of layers) {
        stored.set(layer.key, layer.narSize);
        if (held.has(layer.key)) continue;
        held.add(layer.key);
        pulledBytes += layer.narSize;
        if (i >= half) secondHalfPulled += layer.narSize;
        for (const path of layer.paths) {
          if (heldPaths.has(path)) redownloadedBytes += sizeOfPath.get(path) ?? 0;
          else heldPaths.add(path);
        }
      }
    });
    const storedBytes = [...stored.values()].reduce((a, b) => a + b, 0);
    return {
      grouping: grouping.name,
      imageBytes,
      storedBytes,
      pulledBytes,
      redownloadedBytes,
      secondHalfPulledPercent: secondHalfBytes === 0 ? 0 : (100 * secondHalfPulled) / secondHalfBytes,
      maxLayers,
      imagesOverLimit,
    };
  });
}

/** The benchmark: seeds × (package set, workload) × groupings, summarised with spreads. */
export async function runReuseBenchmark(options: ReuseOptions = {}): Promise<ReuseResults> {
  const smoke = options.smoke ?? false;
  const count = options.seeds ?? (smoke ? 1 : 10);
  const first = options.firstSeed ?? 1;
  const seeds = Array.from({ length: count }, (_, k) => first + k);
  const list = groupings();
  const steady: SeedResult[][] = [];
  const update: SeedResult[][] = [];
  const images: ReuseResults['images'] = [];
  for (const seed of seeds) {
    const set = generatePackageSet({ seed, ...(smoke ? { filler: 300 } : {}) });
    const workload = generateWorkload(seed, smoke ? 12 : undefined);
    const results = measureSeed(
      workload.map((image) => ({ set, attrs: image.attrs })),
      list,
    );
    steady.push(results);
    // The same requests, but the channel moves on halfway: the second half builds from the update.
    const updated = updatePackageSet(set, { seed });
    const half = Math.floor(workload.length / 2);
    update.push(
      measureSeed(
        workload.map((image, i) => ({ set: i < half ? set : updated.set, attrs: image.attrs })),
        list,
      ),
    );
    const paths = workload.reduce((sum, image) => sum + imageGraph(set, image.attrs).graph.length, 0);
    images.push({
      seed,
      count: workload.length,
      paths,
      setPaths: set.paths.length,
      imageBytes: results[0]?.imageBytes ?? 0,
      updatedPaths: updated.updated,
      rebuiltPaths: updated.rebuilt,
    });
    // Let other work on the event loop run between seeds.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const workloads: WorkloadResults[] = [
    { workload: 'steady channel', perSeed: steady, summary: summarise(list, steady) },
    { workload: 'channel update halfway', perSeed: update, summary: summarise(list, update) },
  ];
  return {
    seeds,
    budget: REUSE_BUDGET,
    images,
    workloads,
    figures: workloads.flatMap((w) => reuseFigures(w, seeds.length)),
    markdown: reuseMarkdown(workloads, images),
  };
}

function summarise(list: readonly Grouping[], perSeed: SeedResult[][]): GroupingSummary[] {
  const nixery = (results: SeedResult[]) => results.find((r) => r.grouping === 'nixery') as SeedResult;
  return list.map((grouping, g) => {
    const rows = perSeed.map((results) => results[g] as SeedResult);
    return {
      grouping: grouping.name,
      kind: grouping.kind,
      pulledPercent: spread(rows.map((r) => (100 * r.pulledBytes) / r.imageBytes)),
      storedPercent: spread(rows.map((r) => (100 * r.storedBytes) / r.imageBytes)),
      ratioToNixery: spread(
        perSeed.map((results, s) => (rows[s] as SeedResult).pulledBytes / nixery(results).pulledBytes),
      ),
      redownloadedPercent: spread(rows.map((r) => (100 * r.redownloadedBytes) / r.imageBytes)),
      redownloadRatioToNixery: spread(
        perSeed.map(
          (results, s) => (rows[s] as SeedResult).redownloadedBytes / nixery(results).redownloadedBytes,
        ),
      ),
      secondHalfPulledPercent: spread(rows.map((r) => r.secondHalfPulledPercent)),
      maxLayers: Math.max(...rows.map((r) => r.maxLayers)),
      imagesOverLimit: spread(rows.map((r) => r.imagesOverLimit)),
    };
  });
}

/**
 * Figures for the driver: each grouping's mean shares beside Nixery's (ratio of the means). The
 * default strategy is held to the target on re-downloaded bytes, the ones a better grouping can
 * save; new paths cost the same under every grouping. Across the update only re-downloads are shown.
 */
function reuseFigures(results: WorkloadResults, seedCount: number): ReuseFigure[] {
  const nixery = results.summary.find((s) => s.grouping === 'nixery');
  const defaultStrategy = DEFAULT_GROUPING_OPTIONS.strategy;
  const steady = results.workload === 'steady channel';
  const measures = [
    ...(steady
      ? [{ label: 'bytes pulled', of: (s: GroupingSummary) => s.pulledPercent.mean, target: false }]
      : []),
    {
      label: steady ? 'bytes re-downloaded' : 'bytes re-downloaded across a channel update',
      of: (s: GroupingSummary) => s.redownloadedPercent.mean,
      target: true,
    },
  ];
  return results.summary
    .filter((s) => s.grouping !== 'nixery')
    .flatMap((s) =>
      measures.map((measure) => {
        const value = round(measure.of(s));
        const figure: ReuseFigure = {
          section: 'layer reuse',
          name: `${s.grouping}: ${measure.label}, % of image bytes (mean of ${seedCount} seeds)`,
          value,
          unit: '%',
        };
        if (!nixery) return figure;
        const baseline = round(measure.of(nixery));
        figure.baseline = { name: 'nixery grouping', value: baseline };
        figure.ratio = baseline === 0 ? 0 : value / baseline;
        if (measure.target && s.grouping === defaultStrategy) {
          figure.target = `≤ ${REUSE_TARGET_RATIO}`;
          figure.met = figure.ratio <= REUSE_TARGET_RATIO;
        }
        return figure;
      }),
    );
}

const round = (value: number): number => Math.round(value * 100) / 100;

export function spread(values: readonly number[]): Spread {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
  return { mean, min: Math.min(...values), max: Math.max(...values), stddev: Math.sqrt(variance) };
}

/** One table per workload, with the set-up they were measured on. */
export function reuseMarkdown(workloads: readonly WorkloadResults[], images: ReuseResults['images']): string {
  const percent = (s: Spread) => `${s.mean.toFixed(1)} % (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  const ratio = (s: Spread) => `${s.mean.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
  const lines: string[] = [];
  for (const { workload, summary } of workloads) {
    lines.push(
      `**${workload}**`,
      '',
      '| grouping | pulled, % of image bytes (min–max) | × Nixery (min–max) | re-downloaded, % of image bytes | × Nixery (min–max) | second half pulled % | most layers | images > 125 layers (mean) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...summary.map(
        (s) =>
          `| ${s.kind === 'strategy' ? `\`${s.grouping}\`` : s.grouping} | ${percent(s.pulledPercent)} | ${ratio(s.ratioToNixery)} | ${percent(s.redownloadedPercent)} | ${ratio(s.redownloadRatioToNixery)} | ${percent(s.secondHalfPulledPercent)} | ${s.maxLayers} | ${s.imagesOverLimit.mean.toFixed(1)} |`,
      ),
      '',
    );
  }
  const imageCounts = images.map((i) => i.count);
  const setSizes = images.map((i) => i.setPaths);
  const pathsPerImage = images.map((i) => i.paths / i.count);
  const changed = images.map((i) => (100 * (i.updatedPaths + i.rebuiltPaths)) / i.setPaths);
  lines.push(
    `${images.length} seed(s); per seed ${Math.min(...imageCounts)}–${Math.max(...imageCounts)} images pulled in order by one client ` +
      `from a package set of ${Math.min(...setSizes)}–${Math.max(...setSizes)} store paths ` +
      `(${Math.min(...pathsPerImage).toFixed(0)}–${Math.max(...pathsPerImage).toFixed(0)} paths per image on average). ` +
      `Budget ${REUSE_BUDGET} grouped layers. Layer bytes are NAR sizes: compression is not simulated. ` +
      'With one client pulling every image, the bytes stored by the registry equal the bytes pulled. ' +
      'Re-downloaded bytes are store paths the client already held, downloaded again in a layer it lacked. ' +
      'With the channel update, the second half of the images is built from a set in which 2 % of the ' +
      'non-base packages have a new version and everything depending on them a new store path ' +
      `(${Math.min(...changed).toFixed(0)}–${Math.max(...changed).toFixed(0)} % of the store paths changed); ` +
      'changed paths are new to the client, so only unchanged paths count as re-downloaded.',
  );
  return lines.join('\n');
}
