import { LayersError } from './errors.js';
import type { Layer } from './layer.js';
import { type GroupingOptions, type GroupingStrategyName, resolveGroupingOptions } from './options.js';
import type { Popularity } from './popularity.js';
import { type RuntimeGraphInput, toRuntimeGraph } from './runtime-graph.js';
import { nixeryStrategy } from './strategies/nixery.js';
import { stableStrategy } from './strategies/stable.js';
import type { GroupingStrategy } from './strategies/strategy.js';

/** The strategies `groupLayers` can use, by name. */
export const groupingStrategies: Readonly<Record<GroupingStrategyName, GroupingStrategy>> = Object.freeze({
  nixery: nixeryStrategy,
  stable: stableStrategy,
});

/**
 * Groups an image's runtime graph into at most `budget` layers, in manifest order (highest rating
 * first). The graph is the `exportReferencesGraph` JSON, a graphology graph (read as
 * `RuntimeGraph.fromGraphology` describes: node keys are store paths with `narSize`,
 * `closureSize` and `topLevel` attributes, edges are references) or a `RuntimeGraph`, the
 * typed-array form the grouping runs on. JSON and graphology input are validated first (a
 * `LayersError` names the fault). Deterministic: the same graph and popularity give the same
 * layers whatever the order of paths and references.
 */
export function groupLayers(
  graph: RuntimeGraphInput,
  popularity: Popularity,
  options: GroupingOptions = {},
): Layer[] {
  const resolved = resolveGroupingOptions(options);
  const strategy = Object.hasOwn(groupingStrategies, resolved.strategy)
    ? groupingStrategies[resolved.strategy]
    : undefined;
  if (!strategy) {
    throw new LayersError(
      'INVALID_OPTION',
      `unknown grouping strategy ${JSON.stringify(resolved.strategy)}`,
      {
        path: 'strategy',
      },
    );
  }
  return strategy.group(toRuntimeGraph(graph), popularity, resolved);
}
