// @nixery/layers: popularity-driven grouping of a Nix runtime graph into image layers.
export { buildDominatorTree } from './dominator-tree.js';
export { type CompactDigraph, type Dominators, graphDominators, immediateDominators } from './dominators.js';
export { LayersError, type LayersErrorCode } from './errors.js';
export { dominatorTreeToDot, formatBytes, layersToJson, layersToTable } from './format.js';
export { groupingStrategies, groupLayers } from './group-layers.js';
export { compareStrings, type Layer, type LayerReason, layerKey } from './layer.js';
export {
  DEFAULT_GROUPING_OPTIONS,
  GROUPING_STRATEGY_NAMES,
  type GroupingOptions,
  type GroupingStrategyName,
  type ResolvedGroupingOptions,
  resolveGroupingOptions,
} from './options.js';
export { type PathInfoInput, readPathInfoList, runtimeGraphFromPathInfo } from './path-info.js';
export {
  computePopularity,
  type Popularity,
  parsePopularity,
  popularityFromJson,
  popularityOf,
  popularityToJson,
} from './popularity.js';
export {
  type GraphologyRuntimeGraph,
  isGraphologyGraph,
  type PathAttributes,
  type PathInfo,
  RuntimeGraph,
  type RuntimeGraphInput,
  type RuntimeGraphJson,
  toRuntimeGraph,
} from './runtime-graph.js';
export { storePathName } from './store-path.js';
export {
  type DominatorTreeNode,
  type DominatorTreeOptions,
  type ImageDominatorTree,
  nixeryStrategy,
} from './strategies/nixery.js';
export { stableStrategy } from './strategies/stable.js';
export type { GroupingStrategy } from './strategies/strategy.js';
