import { LayersError } from './errors.js';

/** Names of the grouping strategies `groupLayers` offers. */
export type GroupingStrategyName = 'nixery' | 'stable';

/** Every strategy name, for validating configuration (environment variables, CLI flags). */
export const GROUPING_STRATEGY_NAMES: readonly GroupingStrategyName[] = Object.freeze(['nixery', 'stable']);

export interface GroupingOptions {
  /** Most layers to return (Nixery: 94, leaving room under Docker's 125 for the root layer and users). */
  budget?: number;
  /** A path whose popularity is at least this gets its own candidate layer (Nixery: 100). */
  popularityThreshold?: number;
  /** A path whose closure is strictly bigger than this many bytes gets its own candidate layer (Nixery: 100 MB). */
  bigClosureThreshold?: number;
  /**
   * `stable` only: layers kept for groups of small paths once the largest paths have a layer each
   * (default 6, at least 1). Only used when the image has more paths than the budget.
   */
  groupSlots?: number;
  /**
   * How to group: `stable` (the default) keeps layer identities stable across images so clients
   * re-download about half of what Nixery's grouping makes them; `nixery` is Nixery's own.
   */
  strategy?: GroupingStrategyName;
}

export type ResolvedGroupingOptions = Required<GroupingOptions>;

export const DEFAULT_GROUPING_OPTIONS: Readonly<ResolvedGroupingOptions> = Object.freeze({
  budget: 94,
  popularityThreshold: 100,
  bigClosureThreshold: 100_000_000,
  groupSlots: 6,
  strategy: 'stable',
});

/** Fills in defaults and rejects options no grouping could honour. */
export function resolveGroupingOptions(options: GroupingOptions = {}): ResolvedGroupingOptions {
  const resolved: ResolvedGroupingOptions = {
    budget: options.budget ?? DEFAULT_GROUPING_OPTIONS.budget,
    popularityThreshold: options.popularityThreshold ?? DEFAULT_GROUPING_OPTIONS.popularityThreshold,
    bigClosureThreshold: options.bigClosureThreshold ?? DEFAULT_GROUPING_OPTIONS.bigClosureThreshold,
    groupSlots: options.groupSlots ?? DEFAULT_GROUPING_OPTIONS.groupSlots,
    strategy: options.strategy ?? DEFAULT_GROUPING_OPTIONS.strategy,
  };
  if (!Number.isSafeInteger(resolved.budget) || resolved.budget < 1) {
    throw new LayersError(
      'INVALID_OPTION',
      `layer budget must be a positive integer, got ${resolved.budget}`,
      {
        path: 'budget',
      },
    );
  }
  if (!Number.isSafeInteger(resolved.groupSlots) || resolved.groupSlots < 1) {
    throw new LayersError(
      'INVALID_OPTION',
      `groupSlots must be a positive integer, got ${resolved.groupSlots}`,
      { path: 'groupSlots' },
    );
  }
  for (const name of ['popularityThreshold', 'bigClosureThreshold'] as const) {
    const value = resolved[name];
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
      throw new LayersError('INVALID_OPTION', `${name} must be a non-negative number, got ${value}`, {
        path: name,
      });
    }
  }
  return resolved;
}
