import { type RunOptions, SingleFlight } from './single-flight.js';
import type { CacheTier } from './tier.js';

/** Where a value came from: a tier, this call's own build, or a build another caller started. */
export type GetOrBuildOutcome<V, B> =
  | { from: 'cache'; value: V }
  | { from: 'build' | 'shared-build'; value: B };

export interface GetOrBuildOptions<V, B> extends RunOptions {
  /** What of a build is kept in the tiers (a build may return more than is worth caching). */
  store: (built: B) => V;
  /** Called once the tiers were asked, before any build starts (`hit` says whether one answered). */
  onLookup?: (hit: boolean) => void;
}

/**
 * The caching pattern every cached build follows: ask the tiers in order (a hit in a later tier
 * is copied into the earlier ones), else build under single flight so concurrent callers share
 * one build, and put the result into every tier before any caller sees it. Failures are never
 * cached: the next call builds again.
 */
export class GetOrBuild<V> {
  private readonly flights = new SingleFlight<string, unknown>();

  constructor(private readonly tiers: readonly CacheTier<V>[]) {}

  async get<B>(
    key: string,
    build: (signal: AbortSignal) => Promise<B>,
    options: GetOrBuildOptions<V, B>,
  ): Promise<GetOrBuildOutcome<V, B>> {
    const cached = await this.lookup(key);
    options.onLookup?.(cached !== null);
    if (cached !== null) return { from: 'cache', value: cached };

    let builtHere = false;
    const value = (await this.flights.run(
      key,
      async (signal) => {
        builtHere = true;
        const built = await build(signal);
        const kept = options.store(built);
        for (const tier of this.tiers) await tier.put(key, kept);
        return built;
      },
      options.signal ? { signal: options.signal } : {},
    )) as B;
    return { from: builtHere ? 'build' : 'shared-build', value };
  }

  /** Drops `key` from every tier, so the next get builds it again. */
  async forget(key: string): Promise<void> {
    for (const tier of this.tiers) await tier.forget?.(key);
  }

  private async lookup(key: string): Promise<V | null> {
    for (const [index, tier] of this.tiers.entries()) {
      const value = await tier.get(key);
      if (value === null) continue;
      for (const earlier of this.tiers.slice(0, index)) await earlier.put(key, value);
      return value;
    }
    return null;
  }
}
