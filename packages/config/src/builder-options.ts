import type { ImageBuilderOptions } from '@nixery/builder';
import type { Config } from './load.js';

/** What the configuration decides of a builder; storage, popularity and events are the caller's. */
export type ConfiguredBuilderOptions = Omit<ImageBuilderOptions, 'storage' | 'popularity' | 'onEvent'>;

/** The one mapping from configuration to builder options, used by the registry and `nixery build`. */
export function builderOptions(config: Config): ConfiguredBuilderOptions {
  return {
    source: config.source,
    nixTimeoutSeconds: config.nixTimeoutSeconds,
    ...(config.nixSubstituters !== null ? { nixSubstituters: config.nixSubstituters } : {}),
    ...(config.nixFleet.trustedPublicKeys !== null
      ? { nixTrustedPublicKeys: config.nixFleet.trustedPublicKeys }
      : {}),
    ...(config.nixFleet.builders !== null ? { nixBuilders: config.nixFleet.builders } : {}),
    allowUnfree: config.allowUnfree,
    evaluationTimeoutSeconds: config.evaluationTimeoutSeconds,
    evaluationConcurrency: config.evaluationConcurrency,
    layerBudget: config.layerBudget,
    layerStrategy: config.layerStrategy,
    gzipLevel: config.gzipLevel,
    ...(config.gcRootsDir !== null ? { gcRootsDir: config.gcRootsDir } : {}),
    unpinnedTtlMs: config.unpinnedTtlSeconds * 1000,
    platforms: config.platforms,
    ...(config.nixExtraPlatforms !== null ? { nixExtraPlatforms: config.nixExtraPlatforms } : {}),
  };
}
