import { InvalidCacheKeyError } from './errors.js';

const CACHE_KEY_PATTERN = /^[a-f0-9]{64}$/;

/** Validates a sha256-hex cache key; only such keys ever become part of a storage name. */
export function assertCacheKey(key: string): void {
  if (typeof key !== 'string' || !CACHE_KEY_PATTERN.test(key)) throw new InvalidCacheKeyError(String(key));
}

export function layerCacheObjectKey(key: string): string {
  assertCacheKey(key);
  return `layers/${key}.json`;
}

export function manifestCacheObjectKey(key: string): string {
  assertCacheKey(key);
  return `manifests/${key}.json`;
}
