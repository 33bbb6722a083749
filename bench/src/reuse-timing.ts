// Grouping time per strategy on bench/src/grouping.ts's synthetic closures, so a new strategy
// can be checked against Nixery's at 100k paths.
import { type GroupingStrategyName, groupingStrategies, groupLayers, RuntimeGraph } from '@nixery/layers';
import { generateSyntheticGraph } from './grouping.js';
import { median } from './stats.js';

export interface StrategyTiming {
  strategy: string;
  paths: number;
  /** Median milliseconds of groupLayers on an already validated RuntimeGraph. */
  groupMs: number;
  /** Median milliseconds including validation of the JSON graph. */
  withValidationMs: number;
  layers: number;
}

/** Times every strategy at each size: medians of `runs` runs after a warm-up, strategies interleaved. */
export function timeStrategies(sizes: readonly number[] = [100_000], runs = 5, seed = 1): StrategyTiming[] {
  const names = Object.keys(groupingStrategies) as GroupingStrategyName[];
  const results: StrategyTiming[] = [];
  for (const size of sizes) {
    const { graph, popularity } = generateSyntheticGraph(size, seed);
    const validated = RuntimeGraph.fromJson(graph);
    const samples = new Map(
      names.map((n) => [n, { group: [] as number[], full: [] as number[], layers: 0 }]),
    );
    for (const strategy of names) groupLayers(validated, popularity, { strategy }); // warm-up
    // Interleaving the strategies spreads the machine's load changes over all of them alike.
    for (let run = 0; run < runs; run++) {
      for (const strategy of names) {
        const sample = samples.get(strategy) as { group: number[]; full: number[]; layers: number };
        let start = performance.now();
        sample.layers = groupLayers(validated, popularity, { strategy }).length;
        sample.group.push(performance.now() - start);
        start = performance.now();
        groupLayers(graph, popularity, { strategy });
        sample.full.push(performance.now() - start);
      }
    }
    for (const [strategy, sample] of samples) {
      results.push({
        strategy,
        paths: size,
        groupMs: median(sample.group),
        withValidationMs: median(sample.full),
        layers: sample.layers,
      });
    }
  }
  return results;
}

/** The timings as a markdown table. */
export function timingMarkdown(timings: readonly StrategyTiming[]): string {
  return [
    '| strategy | paths | groupLayers ms (validated graph) | with JSON validation ms | layers |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...timings.map(
      (t) =>
        `| \`${t.strategy}\` | ${t.paths} | ${t.groupMs.toFixed(0)} | ${t.withValidationMs.toFixed(0)} | ${t.layers} |`,
    ),
  ].join('\n');
}
