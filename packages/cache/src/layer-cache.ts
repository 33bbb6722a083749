import { InvalidEntryError, type LayerCacheEntry, parseLayerCacheEntry, type Storage } from '@nixery/storage';
import { BlobNotStoredError, InvalidCacheEntryError } from './errors.js';
import { layerCacheObjectKey } from './keys.js';
import type { CacheTier } from './tier.js';
import { TwoTierStore } from './two-tier.js';

/** What a layer build produced; stored as `layers/<key>.json` (the format is @nixery/storage's). */
export type { LayerCacheEntry };

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
  /** Blobs this process's putBlob stored a moment ago (digest → size), so `put` need not stat them. */
  private readonly justStored = new Map<string, number>();

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

  /**
   * Tells the cache that `storage.putBlob` just returned `stored`: the blob is at its digest's
   * name with that size, so the `put` recording it skips its own check (one storage call per
   * layer). Kept only until that put, and never more than a few hundred.
   */
  noteStored(stored: { digest: string; size: number }): void {
    if (this.justStored.size >= MAX_JUST_STORED) this.justStored.clear();
    this.justStored.set(stored.digest, stored.size);
  }

  /** Records a built layer; throws BlobNotStoredError unless its blob is stored with that size. */
  async put(key: string, entry: LayerCacheEntry): Promise<void> {
    const objectKey = layerCacheObjectKey(key);
    const clean = validLayerEntry(entry);
    const noted = this.justStored.get(clean.digest);
    this.justStored.delete(clean.digest);
    const blob = noted !== undefined ? { size: noted } : await this.storage.statBlob(clean.digest);
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

/** Blobs noted by noteStored at most (layers in flight at once are far fewer). */
const MAX_JUST_STORED = 256;

function parseLayerEntry(json: string): LayerCacheEntry {
  return validLayerEntry(JSON.parse(json) as unknown);
}

/** Checks the shape and keeps exactly the four documented fields (callers may pass more). */
function validLayerEntry(value: unknown): LayerCacheEntry {
  try {
    return parseLayerCacheEntry(value);
  } catch (error) {
    if (error instanceof InvalidEntryError) throw new InvalidCacheEntryError(error.message);
    throw error;
  }
}
