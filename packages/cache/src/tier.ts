/** One place a cached value can be looked up and kept (memory, storage objects, a TTL map). */
export interface CacheTier<V> {
  get(key: string): Promise<V | null>;
  put(key: string, value: V): Promise<void>;
  /** Drops a value (e.g. one whose stored parts garbage collection removed). */
  forget?(key: string): Promise<void>;
}
