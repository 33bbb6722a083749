import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExternalBenchOptions, ExternalBenchResult, Figure } from './results.js';
import { round } from './stats.js';

/**
 * Benchmarks written in other modules of this package (grouping scale, layer reuse) are loaded
 * only when their file exists, so the driver runs before (and without) them.
 */
async function loadSibling(moduleName: string): Promise<Record<string, unknown> | null> {
  const url = new URL(`./${moduleName}.ts`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return null;
  return (await import(url.href)) as Record<string, unknown>;
}

/**
 * Grouping scale (bench/src/grouping.ts: `benchmarkGrouping({ sizes, runs })`): parse and group
 * synthetic runtime graphs of growing size.
 */
export async function runGroupingSection(
  options: ExternalBenchOptions,
): Promise<{ found: false } | { found: true; result: ExternalBenchResult }> {
  const module = await loadSibling('grouping');
  if (!module) return { found: false };
  const benchmark = module.benchmarkGrouping;
  if (typeof benchmark !== 'function') throw new Error('grouping.ts does not export benchmarkGrouping()');
  const sizes = options.smoke ? [1_000, 5_000] : [1_000, 10_000, 100_000];
  const raw = benchmark({ sizes, runs: options.smoke ? 1 : 5 }) as {
    measurements: {
      paths: number;
      parseMs: number;
      groupMs: number;
      microsPerPath: number;
      layers: number;
    }[];
    linearityRatio: number;
  };
  const figures: Figure[] = raw.measurements.flatMap((m) => [
    {
      section: `grouping scale (${m.paths} paths, ${m.layers} layers)`,
      name: 'groupLayers, median',
      value: round(m.groupMs),
      unit: 'ms',
    },
    {
      section: `grouping scale (${m.paths} paths, ${m.layers} layers)`,
      name: 'JSON.parse of the runtime graph, median',
      value: round(m.parseMs),
      unit: 'ms',
    },
  ]);
  figures.push({
    section: 'grouping scale',
    name: 'µs per path at the largest size ÷ at the smallest (1 = linear)',
    value: round(raw.linearityRatio),
    unit: '',
  });
  options.log(`grouping: ${JSON.stringify(raw.measurements)}`);
  return { found: true, result: { figures, details: raw } };
}

/**
 * Layer reuse (bench/src/reuse.ts: `runReuseBenchmark(options: ExternalBenchOptions)`), which
 * returns `{ figures, details }` (ExternalBenchResult); any other shape is kept as details.
 */
export async function runReuseSection(
  options: ExternalBenchOptions,
): Promise<{ found: false } | { found: true; result: ExternalBenchResult }> {
  const module = await loadSibling('reuse');
  if (!module) return { found: false };
  const run = module.runReuseBenchmark;
  if (typeof run !== 'function') throw new Error('reuse.ts does not export runReuseBenchmark()');
  const raw = (await run(options)) as unknown;
  if (raw && typeof raw === 'object' && Array.isArray((raw as { figures?: unknown }).figures)) {
    const figures = (raw as { figures: Figure[] }).figures
      .filter((f) => f && typeof f.name === 'string' && typeof f.value === 'number')
      .map((f) => ({ ...f, section: f.section ?? 'layer reuse' }));
    return { found: true, result: { figures, details: (raw as { details?: unknown }).details ?? raw } };
  }
  return { found: true, result: { figures: [], details: raw } };
}
