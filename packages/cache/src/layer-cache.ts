import { isDigest } from '@nixery/digest';
import type { Storage } from '@nixery/storage';
import { BlobNotStoredError, InvalidCacheEntryError } from './errors.js';
import { layerCacheObjectKey } from './keys.js';
import type { CacheTier } from './tier.js';
import { TwoTierStore } from './two-tier.js';

/** What a layer build produced; stored as `layers/<key>.json`. */
export interface LayerCacheEntry {
  /** sha256 of the gzip blob, `sha256:<hex>`. */
  digest: string;
  /** sha256 of the uncompressed tar, `sha256:<hex>`. */
  diffId: string;
  /** Bytes of the gzip blob. */
  size: number;
  mediaType: string;
}

export interface LayerCacheOptions {
  /** Entries kept in memory; default 10 000 (a few hundred bytes each). */
  maxMemoryEntries?: number;
}

/**
 * Layer key (sha256 hex of the layer's sorted store paths) → the blob built for it.
 * Memory hits are trusted; storage hits are checked against the blob, because another
 * process (or a garbage collection) may have removed it since the entry was written.
 */
export class LayerCache implements CacheTier<LayerCacheEntry> {
  private readonly tiers: TwoTierStore;

  constructor(
    private readonly storage: Storage,
    options: LayerCacheOptions = {},
  ) {
    this.tiers = new TwoTierStore(storage, options.maxMemoryEntries ?? 10_000);
  }

  async get(key: string): Promise<LayerCacheEntry | null> {
    const objectKey = layerCacheObjectKey(key);
    const remembered = this.tiers.peekMemory(objectKey);
    if (remembered !== undefined) return parseLayerEntry(remembered);

    const stored = await this.tiers.readStorage(objectKey);
    if (stored === null) return null;
    let entry: LayerCacheEntry;
    try {
      entry = parseLayerEntry(stored);
    } catch {
      return null; // unreadable entry: rebuilding the layer rewrites it
    }
    const blob = await this.storage.statBlob(entry.digest);
    if (blob === null || blob.size !== entry.size) {
      // The blob went away: the entry would point clients at nothing.
      await this.tiers.forget(objectKey);
      return null;
    }
    this.tiers.remember(objectKey, stored);
    return entry;
  }

  /** Records a built layer; throws BlobNotStoredError unless its blob is stored with that size. */
  async put(key: string, entry: LayerCacheEntry): Promise<void> {
    const objectKey = layerCacheObjectKey(key);
    const clean = validLayerEntry(entry);
    const blob = await this.storage.statBlob(clean.digest);
    if (blob === null) throw new BlobNotStoredError(clean.digest, 'is not in storage');
    if (blob.size !== clean.size) {
      throw new BlobNotStoredError(clean.digest, `has ${blob.size} bytes, the entry says ${clean.size}`);
    }
    await this.tiers.write(objectKey, JSON.stringify(clean));
  }

  /** Drops an entry from both tiers, e.g. after its blob turned out to be missing. */
  async forget(key: string): Promise<void> {
    await this.tiers.forget(layerCacheObjectKey(key));
  }

  get memoryEntries(): number {
    return this.tiers.memoryEntries;
  }
}

function parseLayerEntry(json: string): LayerCacheEntry {
  return validLayerEntry(JSON.parse(json) as unknown);
}

/** Checks the shape and keeps exactly the four documented fields (callers may pass more). */
function validLayerEntry(value: unknown): LayerCacheEntry {
  const entry = value as Partial<LayerCacheEntry> | null;
  if (
    typeof entry !== 'object' ||
    entry === null ||
    typeof entry.digest !== 'string' ||
    !isDigest(entry.digest) ||
    typeof entry.diffId !== 'string' ||
    !isDigest(entry.diffId) ||
    typeof entry.size !== 'number' ||
    !Number.isSafeInteger(entry.size) ||
    entry.size < 0 ||
    typeof entry.mediaType !== 'string' ||
    entry.mediaType.length === 0
  ) {
    throw new InvalidCacheEntryError(`not a layer cache entry: ${JSON.stringify(value)}`);
  }
  return { digest: entry.digest, diffId: entry.diffId, size: entry.size, mediaType: entry.mediaType };
}
