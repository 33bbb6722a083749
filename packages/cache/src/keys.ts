import {
  isCacheKey,
  layerCacheObjectKey as layerKey,
  manifestCacheObjectKey as manifestKey,
} from '@nixery/storage';
import { InvalidCacheKeyError } from './errors.js';

// The names themselves belong to @nixery/storage's layout; the cache only refuses bad keys in its
// own terms first.

/** Validates a sha256-hex cache key; only such keys ever become part of a storage name. */
export function assertCacheKey(key: string): void {
  if (!isCacheKey(key)) throw new InvalidCacheKeyError(String(key));
}

export function layerCacheObjectKey(key: string): string {
  assertCacheKey(key);
  return layerKey(key);
}

export function manifestCacheObjectKey(key: string): string {
  assertCacheKey(key);
  return manifestKey(key);
}
