import { LRUCache } from 'lru-cache';

export interface WarmManifestsOptions<M> {
  /** Bytes of manifests kept at most (their `sizeOf`). */
  maxBytes: number;
  /** The bytes one manifest holds in memory. */
  sizeOf: (manifest: M) => number;
  /** Milliseconds since the epoch; injectable so expiry is testable. Default Date.now. */
  now?: () => number;
}

/** Bookkeeping bytes charged per entry beside its own bytes (keys, the entry object, LRU nodes). */
const ENTRY_OVERHEAD = 200;

/**
 * Recently served manifests in memory, so a warm HEAD or GET needs no storage read and no
 * builder lookup: manifests by digest (content-addressed, so true for good) and what a name and
 * tag resolved to for one negotiated format, until `reuseUntil` (the builder's reuse window of an
 * unpinned source; Infinity for a pinned one). Both maps are LRUs bounded by bytes. Nothing here
 * checks storage: whoever deletes a manifest (garbage collection) must `forgetDigest` it.
 */
export class WarmManifests<M> {
  private readonly byDigest: LRUCache<string, { manifest: M }>;
  private readonly byTag: LRUCache<string, { digest: string; reuseUntil: number }>;
  private readonly now: () => number;

  constructor(options: WarmManifestsOptions<M>) {
    const { maxBytes } = options;
    this.now = options.now ?? Date.now;
    this.byDigest = new LRUCache({
      maxSize: maxBytes,
      sizeCalculation: (entry) => Math.max(1, options.sizeOf(entry.manifest) + ENTRY_OVERHEAD),
    });
    // Tag entries are small; a tenth of the budget holds tens of thousands of them.
    this.byTag = new LRUCache({
      maxSize: Math.max(1, Math.floor(maxBytes / 10)),
      sizeCalculation: (entry, key) => key.length * 2 + entry.digest.length * 2 + ENTRY_OVERHEAD,
    });
  }

  /** The manifest stored under `digest`, if it is remembered (marks it recently used). */
  byDigestGet(digest: string): M | undefined {
    return this.byDigest.get(digest)?.manifest;
  }

  /** The manifest `name:tag` resolves to in `format`, while its reuse window lasts. */
  byTagGet(name: string, tag: string, format: string): M | undefined {
    const key = tagKey(name, tag, format);
    const entry = this.byTag.get(key);
    if (entry === undefined) return undefined;
    if (entry.reuseUntil <= this.now()) {
      this.byTag.delete(key);
      return undefined;
    }
    return this.byDigest.get(entry.digest)?.manifest;
  }

  /** Remembers a manifest by its digest (a manifest larger than the whole budget is not kept). */
  rememberDigest(digest: string, manifest: M): void {
    this.byDigest.set(digest, { manifest });
  }

  /**
   * Remembers that `name:tag` in `format` is the manifest `digest` until `reuseUntil`
   * (milliseconds since the epoch); a window already over keeps nothing.
   */
  rememberTag(name: string, tag: string, format: string, digest: string, reuseUntil: number): void {
    if (!(reuseUntil > this.now())) return;
    this.byTag.set(tagKey(name, tag, format), { digest, reuseUntil });
  }

  forgetDigest(digest: string): void {
    this.byDigest.delete(digest);
  }

  /** Entries and bytes held, for tests and metrics. */
  get stats(): { digests: number; tags: number; bytes: number } {
    return {
      digests: this.byDigest.size,
      tags: this.byTag.size,
      bytes: this.byDigest.calculatedSize + this.byTag.calculatedSize,
    };
  }
}

// NUL never occurs in a valid name, tag or format, so the parts cannot run into each other.
function tagKey(name: string, tag: string, format: string): string {
  return `${name}\0${tag}\0${format}`;
}
