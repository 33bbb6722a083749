export { BlobNotStoredError, CacheError, InvalidCacheEntryError, InvalidCacheKeyError } from './errors.js';
export { assertCacheKey, layerCacheObjectKey, manifestCacheObjectKey } from './keys.js';
export { LayerCache, type LayerCacheEntry, type LayerCacheOptions } from './layer-cache.js';
export { ManifestCache, type ManifestCacheOptions } from './manifest-cache.js';
export { type RunOptions, SingleFlight } from './single-flight.js';
