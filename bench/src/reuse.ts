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
import { generateWorkload, type ImageRequest } from './reuse-workload.js';

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
  secondHalfPulledPercent: Spread;
  maxLayers: number;
  imagesOverLimit: Spread;
}

/** A row for the benchmark driver's results table. */
export type ReuseFigure = Figure;

/** The best new strategy must make clients pull at most this share of what Nixery's grouping does. */
export const REUSE_TARGET_RATIO = 0.5;

export interface ReuseResults {
  seeds: number[];
  budget: number;
  images: { seed: number; count: number; paths: number; setPaths: number; imageBytes: number }[];
  perSeed: SeedResult[][];
  summary: GroupingSummary[];
  /** One figure per grouping: mean bytes pulled as a % of image bytes, beside Nixery's. */
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

/** Pulls one seed's workload through every grouping. */
export function measureSeed(
  set: PackageSet,
  workload: readonly ImageRequest[],
  list: readonly Grouping[] = groupings(),
): SeedResult[] {
  const graphs = workload.map((image) => imageGraph(set, image.attrs));
  const sizes = graphs.map((g) => g.graph.reduce((sum, p) => sum + p.narSize, 0));
  const imageBytes = sizes.reduce((a, b) => a + b, 0);
  const half = Math.floor(graphs.length / 2);
  const secondHalfBytes = sizes.slice(half).reduce((a, b) => a + b, 0);
  return list.map((grouping) => {
    const stored = new Map<string, number>();
    const held = new Set<string>();
    let pulledBytes = 0;
    let secondHalfPulled = 0;
    let maxLayers = 0;
    let imagesOverLimit = 0;
    graphs.forEach((graph, i) => {
      const layers = grouping.group(graph, set);
      maxLayers = Math.max(maxLayers, layers.length);
      if (layers.length + 1 > DOCKER_LAYER_LIMIT) imagesOverLimit++;
      for (const layer of layers) {
        stored.set(layer.key, layer.narSize);
        if (held.has(layer.key)) continue;
        held.add(layer.key);
        pulledBytes += layer.narSize;
        if (i >= half) secondHalfPulled += layer.narSize;
      }
    });
    const storedBytes = [...stored.values()].reduce((a, b) => a + b, 0);
    return {
      grouping: grouping.name,
      imageBytes,
      storedBytes,
      pulledBytes,
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
  const perSeed: SeedResult[][] = [];
  const images: ReuseResults['images'] = [];
  for (const seed of seeds) {
    const set = generatePackageSet({ seed, ...(smoke ? { filler: 300 } : {}) });
    const workload = generateWorkload(seed, smoke ? 12 : undefined);
    const results = measureSeed(set, workload, list);
    perSeed.push(results);
    const paths = workload.reduce((sum, image) => sum + imageGraph(set, image.attrs).graph.length, 0);
    images.push({
      seed,
      count: workload.length,
      paths,
      setPaths: set.paths.length,
      imageBytes: results[0]?.imageBytes ?? 0,
    });
    // Let other work on the event loop run between seeds.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const summary = summarise(list, perSeed);
  return {
    seeds,
    budget: REUSE_BUDGET,
    images,
    perSeed,
    summary,
    figures: reuseFigures(summary, seeds.length),
    markdown: reuseMarkdown(summary, images),
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
      secondHalfPulledPercent: spread(rows.map((r) => r.secondHalfPulledPercent)),
      maxLayers: Math.max(...rows.map((r) => r.maxLayers)),
      imagesOverLimit: spread(rows.map((r) => r.imagesOverLimit)),
    };
  });
}

/**
 * Figures for the driver: each grouping's mean pulled share beside Nixery's (ratio of the means);
 * the default strategy is held to the target ratio.
 */
function reuseFigures(summary: readonly GroupingSummary[], seedCount: number): ReuseFigure[] {
  const nixery = summary.find((s) => s.grouping === 'nixery');
  const defaultStrategy = DEFAULT_GROUPING_OPTIONS.strategy;
  return summary
    .filter((s) => s.grouping !== 'nixery')
    .map((s) => {
      const value = round(s.pulledPercent.mean);
      const figure: ReuseFigure = {
        section: 'layer reuse',
        name: `${s.grouping}: bytes pulled, % of image bytes (mean of ${seedCount} seeds)`,
        value,
        unit: '%',
      };
      if (!nixery) return figure;
      const baseline = round(nixery.pulledPercent.mean);
      figure.baseline = { name: 'nixery grouping', value: baseline };
      figure.ratio = value / baseline;
      if (s.grouping === defaultStrategy) {
        figure.target = `≤ ${REUSE_TARGET_RATIO}`;
        figure.met = figure.ratio <= REUSE_TARGET_RATIO;
      }
      return figure;
    });
}

const round = (value: number): number => Math.round(value * 100) / 100;

export function spread(values: readonly number[]): Spread {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
  return { mean, min: Math.min(...values), max: Math.max(...values), stddev: Math.sqrt(variance) };
}

/** The summary as a markdown table, with the set-up it was measured on. */
export function reuseMarkdown(summary: readonly GroupingSummary[], images: ReuseResults['images']): string {
  const percent = (s: Spread) => `${s.mean.toFixed(1)} % (${s.min.toFixed(1)}–${s.max.toFixed(1)})`;
  const ratio = (s: Spread) => `${s.mean.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
  const lines = [
    '| grouping | pulled, % of image bytes (min–max) | × Nixery (min–max) | second half pulled % | most layers | images > 125 layers (mean) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...summary.map(
      (s) =>
        `| ${s.kind === 'strategy' ? `\`${s.grouping}\`` : s.grouping} | ${percent(s.pulledPercent)} | ${ratio(s.ratioToNixery)} | ${percent(s.secondHalfPulledPercent)} | ${s.maxLayers} | ${s.imagesOverLimit.mean.toFixed(1)} |`,
    ),
  ];
  const imageCounts = images.map((i) => i.count);
  const setSizes = images.map((i) => i.setPaths);
  const pathsPerImage = images.map((i) => i.paths / i.count);
  lines.push(
    '',
    `${images.length} seed(s); per seed ${Math.min(...imageCounts)}–${Math.max(...imageCounts)} images pulled in order by one client ` +
      `from a package set of ${Math.min(...setSizes)}–${Math.max(...setSizes)} store paths ` +
      `(${Math.min(...pathsPerImage).toFixed(0)}–${Math.max(...pathsPerImage).toFixed(0)} paths per image on average). ` +
      `Budget ${REUSE_BUDGET} grouped layers. Layer bytes are NAR sizes: compression is not simulated. ` +
      'With one client pulling every image, the bytes stored by the registry equal the bytes pulled.',
  );
  return lines.join('\n');
}
