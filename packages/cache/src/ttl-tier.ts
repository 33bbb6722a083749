import type { CacheTier } from './tier.js';

export interface TtlTierOptions {
  /** How long a value is handed out after it was put; 0 or less keeps nothing. */
  ttlMs: number;
  /** Values kept at most; the oldest go first. Default 1 000. */
  maxEntries?: number;
  /** Milliseconds now; injectable so expiry is testable. Default Date.now. */
  now?: () => number;
}

/**
 * Values that are only true for a while, in memory: an image built from an unpinned source (a
 * branch, a channel name, a local path) may change under the same name, so it is reused for a
 * bounded time and then built again. Any key is accepted (nothing here becomes a storage name).
 */
export class TtlTier<V> implements CacheTier<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly options: TtlTierOptions) {
    this.maxEntries = options.maxEntries ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  async get(key: string): Promise<V | null> {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt > this.now()) return entry.value;
    this.entries.delete(key);
    return null;
  }

  async put(key: string, value: V): Promise<void> {
    if (this.options.ttlMs <= 0) return;
    // Re-inserting moves the key to the end, so Map order stays oldest-put first.
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  async forget(key: string): Promise<void> {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
