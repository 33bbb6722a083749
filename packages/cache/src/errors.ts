export class CacheError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Cache keys are sha256 hex strings (layer keys from @nixery/layers, manifestCacheKey from @nixery/source). */
export class InvalidCacheKeyError extends CacheError {
  constructor(readonly key: string) {
    super(`invalid cache key ${JSON.stringify(key)}: expected 64 lowercase hex digits`);
  }
}

/** A layer entry whose blob is not (yet) in storage: caching it would hand out a dangling digest. */
export class BlobNotStoredError extends CacheError {
  constructor(
    readonly digest: string,
    detail: string,
  ) {
    super(`refusing to cache layer: blob ${digest} ${detail}`);
  }
}

/** An entry that does not have the documented shape, or a record that is not JSON. */
export class InvalidCacheEntryError extends CacheError {}
