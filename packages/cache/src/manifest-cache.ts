import type { Storage } from '@nixery/storage';
import { InvalidCacheEntryError } from './errors.js';
import { manifestCacheObjectKey } from './keys.js';
import type { CacheTier } from './tier.js';
import { TwoTierStore } from './two-tier.js';

export interface ManifestCacheOptions {
  /** Records kept in memory; default 1 000. */
  maxMemoryEntries?: number;
}

/**
 * manifestCacheKey (from @nixery/source, only for pinned sources) → the built image record,
 * stored as `manifests/<key>.json`. The record is any JSON-serialisable value; it comes back
 * as parsed JSON, a fresh copy on every hit.
 */
export class ManifestCache<T> implements CacheTier<T> {
  private readonly tiers: TwoTierStore;

  constructor(storage: Storage, options: ManifestCacheOptions = {}) {
    this.tiers = new TwoTierStore(storage, options.maxMemoryEntries ?? 1_000);
  }

  async get(key: string): Promise<T | null> {
    const objectKey = manifestCacheObjectKey(key);
    const remembered = this.tiers.peekMemory(objectKey);
    if (remembered !== undefined) return JSON.parse(remembered) as T;

    const stored = await this.tiers.readStorage(objectKey);
    if (stored === null) return null;
    let record: T;
    try {
      record = JSON.parse(stored) as T;
    } catch {
      return null; // unreadable record: the next build rewrites it
    }
    this.tiers.remember(objectKey, stored);
    return record;
  }

  async put(key: string, record: T): Promise<void> {
    const objectKey = manifestCacheObjectKey(key);
    const json = JSON.stringify(record);
    if (typeof json !== 'string' || record === null) {
      throw new InvalidCacheEntryError('a manifest cache record must be a JSON-serialisable, non-null value');
    }
    await this.tiers.write(objectKey, json);
  }

  async forget(key: string): Promise<void> {
    await this.tiers.forget(manifestCacheObjectKey(key));
  }

  get memoryEntries(): number {
    return this.tiers.memoryEntries;
  }
}
