export { BlobNotStoredError, CacheError, InvalidCacheEntryError, InvalidCacheKeyError } from './errors.js';
export { GetOrBuild, type GetOrBuildOptions, type GetOrBuildOutcome } from './get-or-build.js';
export { assertCacheKey, layerCacheObjectKey, manifestCacheObjectKey } from './keys.js';
export { LayerCache, type LayerCacheEntry, type LayerCacheOptions } from './layer-cache.js';
export { ManifestCache, type ManifestCacheOptions } from './manifest-cache.js';
export { saltedKey } from './salted-key.js';
export { type RunOptions, SingleFlight } from './single-flight.js';
export type { CacheTier } from './tier.js';
export { TtlTier, type TtlTierOptions } from './ttl-tier.js';
