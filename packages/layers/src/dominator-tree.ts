import { type GroupingOptions, resolveGroupingOptions } from './options.js';
import type { Popularity } from './popularity.js';
import { type RuntimeGraphInput, toRuntimeGraph } from './runtime-graph.js';
import { type ImageDominatorTree, imageDominatorTree } from './strategies/nixery.js';

/**
 * The dominator tree Nixery's grouping harvests (for inspection and `dominatorTreeToDot`):
 * image root → requested and big-or-popular paths, path → references. Only the threshold options matter.
 */
export function buildDominatorTree(
  graph: RuntimeGraphInput,
  popularity: Popularity,
  options: GroupingOptions = {},
): ImageDominatorTree {
  const resolved = resolveGroupingOptions(options);
  return imageDominatorTree(toRuntimeGraph(graph), popularity, resolved);
}
