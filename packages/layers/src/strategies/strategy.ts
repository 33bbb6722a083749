import type { Layer } from '../layer.js';
import type { ResolvedGroupingOptions } from '../options.js';
import type { Popularity } from '../popularity.js';
import type { RuntimeGraph } from '../runtime-graph.js';

/**
 * A way to split a validated runtime graph into at most `options.budget` layers. Every path
 * the strategy keeps must land in exactly one layer, and the result must not depend on the order
 * of the input.
 */
export interface GroupingStrategy {
  readonly name: string;
  group(graph: RuntimeGraph, popularity: Popularity, options: ResolvedGroupingOptions): Layer[];
}
