// Grouping at scale: synthetic nixpkgs-shaped closures of 1k to 100k paths, timed through
// @nixery/layers' groupLayers (validation included) and JSON.parse of the runtime graph file.
import { computePopularity, groupLayers, type PathInfo, type RuntimeGraphJson } from '@nixery/layers';
import { median } from './stats.js';

/** The base libraries nearly every package links against, most-referenced first. */
const BASE_LIBRARIES = [
  'glibc-2.37-8',
  'gcc-12.3.0-lib',
  'zlib-1.3',
  'bash-5.2-p15',
  'openssl-3.0.10',
  'ncurses-6.4',
  'libffi-3.4.4',
  'xz-5.4.4',
  'nss-cacert-3.92',
  'iana-etc-20230316',
];
const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** mulberry32: a small, fast, seeded PRNG, so every run sees the same graphs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticGraph {
  graph: RuntimeGraphJson;
  /** Popularity counted from the graph itself, as an instance without a published file would. */
  popularity: Map<string, number>;
  references: number;
}

/**
 * A closure of `size` paths shaped like a slice of nixpkgs:
 * - a few base libraries that most paths reference (glibc by ~90%, the next ones less);
 * - other references chosen by preferential attachment, so fan-in follows a power law;
 * - one path in four extends a chain by referencing the path built just before it (deep chains,
 *   like interpreter package sets);
 * - references only point at earlier paths, so the graph is a DAG; the paths nothing references are
 *   the requested ones, so every path is in the closure, as in real Nix output.
 * Closure sizes are a plausible estimate (own size + the largest dependency closure + a tenth of
 * the others), not an exact union: exact unions of 100k closures would dominate generation time.
 */
export function generateSyntheticGraph(size: number, seed = 1): SyntheticGraph {
  if (!Number.isSafeInteger(size) || size < BASE_LIBRARIES.length) {
    throw new RangeError(`a synthetic graph needs at least ${BASE_LIBRARIES.length} paths, got ${size}`);
  }
  const random = seededRandom(seed);
  const paths: string[] = [];
  const narSizes: number[] = [];
  const closureSizes: number[] = [];
  const references: number[][] = [];
  const referenced = new Uint8Array(size);
  // Each time a path is referenced it is pushed again: drawing from this pool is preferential attachment.
  const attachmentPool: number[] = [];
  let edgeCount = 0;

  for (let i = 0; i < size; i++) {
    const name =
      i < BASE_LIBRARIES.length ? (BASE_LIBRARIES[i] as string) : `pkg${i}-${1 + (i % 7)}.${i % 13}`;
    paths.push(`/nix/store/${storeHash(random)}-${name}`);
    // Log-uniform sizes from 1 KiB to ~64 MiB.
    narSizes.push(Math.round(1024 * 2 ** (random() * 16)));

    const refs = new Set<number>();
    if (i >= BASE_LIBRARIES.length) {
      BASE_LIBRARIES.forEach((_, b) => {
        if (random() < 0.9 / (b + 1)) refs.add(b);
      });
      if (random() < 0.25) refs.add(i - 1);
      const extra = Math.floor(-Math.log(1 - random()) * 3); // geometric-like, mean ~3
      for (let k = 0; k < extra && attachmentPool.length > 0; k++) {
        refs.add(
          random() < 0.7
            ? (attachmentPool[Math.floor(random() * attachmentPool.length)] as number)
            : Math.floor(random() * i),
        );
      }
    } else if (i > 0) {
      refs.add(0); // the base libraries themselves link against glibc
    }

    let largest = 0;
    let others = 0;
    for (const r of refs) {
      const c = closureSizes[r] as number;
      if (c > largest) {
        others += largest;
        largest = c;
      } else {
        others += c;
      }
      referenced[r] = 1;
      attachmentPool.push(r);
    }
    closureSizes.push(
      Math.min(Number.MAX_SAFE_INTEGER, (narSizes[i] as number) + largest + Math.round(others / 10)),
    );
    references.push([...refs]);
    attachmentPool.push(i);
    edgeCount += refs.size;
  }

  const graph: PathInfo[] = paths.map((path, i) => ({
    path,
    narSize: narSizes[i] as number,
    closureSize: closureSizes[i] as number,
    narHash: `sha256:${path.slice(11, 43)}${path.slice(11, 31)}`,
    // Nix lists a path among its own references when it refers to itself; keep that noise.
    references: [
      ...(references[i] as number[]).map((r) => paths[r] as string),
      ...(i % 5 === 0 ? [path] : []),
    ],
  }));
  const requested = paths.filter((_, i) => referenced[i] === 0);
  const json: RuntimeGraphJson = { graph, exportReferencesGraph: { graph: requested } };
  return { graph: json, popularity: computePopularity([json]), references: edgeCount };
}

function storeHash(random: () => number): string {
  let hash = '';
  for (let k = 0; k < 32; k++) hash += NIX_BASE32[Math.floor(random() * 32)];
  return hash;
}

export interface GroupingMeasurement {
  paths: number;
  references: number;
  /** Size of the runtime graph JSON text. */
  jsonBytes: number;
  /** Median JSON.parse time of the runtime graph text. */
  parseMs: number;
  /** Median groupLayers time (validation, dominators, rating, merging, sorting, hashing keys). */
  groupMs: number;
  layers: number;
  /** Grouping microseconds per path. */
  microsPerPath: number;
}

export interface GroupingBenchmark {
  runs: number;
  budget: number;
  measurements: GroupingMeasurement[];
  /**
   * Per-path grouping time at the largest size divided by per-path time at the smallest:
   * 1 is perfectly linear, 10 would mean each tenfold growth costs a hundredfold.
   */
  linearityRatio: number;
}

/** Times parsing and grouping at each size: medians of at least `runs` timed runs after a warm-up. */
export function benchmarkGrouping(
  options: { sizes?: number[]; runs?: number; budget?: number; seed?: number } = {},
): GroupingBenchmark {
  const sizes = options.sizes ?? [1_000, 10_000, 100_000];
  const runs = options.runs ?? 5;
  const budget = options.budget ?? 94;
  const measurements = sizes.map((size): GroupingMeasurement => {
    const synthetic = generateSyntheticGraph(size, options.seed ?? 1);
    const text = JSON.stringify(synthetic.graph);
    const parseMs = median(timed(runs, () => JSON.parse(text)));
    let layers = 0;
    const groupMs = median(
      timed(runs, () => {
        layers = groupLayers(synthetic.graph, synthetic.popularity, { budget }).length;
      }),
    );
    return {
      paths: size,
      references: synthetic.references,
      jsonBytes: Buffer.byteLength(text),
      parseMs,
      groupMs,
      layers,
      microsPerPath: (groupMs * 1000) / size,
    };
  });
  const first = measurements[0];
  const last = measurements[measurements.length - 1];
  const linearityRatio = first && last ? last.microsPerPath / first.microsPerPath : Number.NaN;
  return { runs, budget, measurements, linearityRatio };
}

/**
 * Times `work` after one warm-up run: at least `runs` times, and small inputs until a quarter of a
 * second has been measured (at most 200 runs), so their medians are not mostly timer noise.
 */
function timed(runs: number, work: () => void): number[] {
  work();
  const times: number[] = [];
  let total = 0;
  while (times.length < runs || (total < 250 && times.length < 200)) {
    const start = performance.now();
    work();
    const elapsed = performance.now() - start;
    times.push(elapsed);
    total += elapsed;
  }
  return times;
}

/** The benchmark as a plain-text table. */
export function formatGroupingBenchmark(result: GroupingBenchmark): string {
  const header = ['paths', 'references', 'JSON MiB', 'parse ms', 'group ms', 'µs/path', 'layers'];
  const rows = result.measurements.map((m) => [
    String(m.paths),
    String(m.references),
    (m.jsonBytes / 2 ** 20).toFixed(1),
    m.parseMs.toFixed(1),
    m.groupMs.toFixed(1),
    m.microsPerPath.toFixed(2),
    String(m.layers),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padStart(widths[c] as number)).join('  ');
  return [
    line(header),
    ...rows.map(line),
    '',
    `median of at least ${result.runs} runs, budget ${result.budget}; linearity ratio ${result.linearityRatio.toFixed(2)} (1 = linear)`,
  ].join('\n');
}
