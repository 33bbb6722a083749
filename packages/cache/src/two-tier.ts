import type { Storage } from '@nixery/storage';
import { LRUCache } from 'lru-cache';

const JSON_CONTENT_TYPE = 'application/json';

/**
 * Memory (bounded LRU) in front of storage objects. Values are kept as their JSON text, so
 * every hit hands out a fresh copy that callers may mutate, and a memory hit returns exactly
 * what a storage hit (another process) would.
 */
export class TwoTierStore {
  private readonly memory: LRUCache<string, string>;

  constructor(
    private readonly storage: Storage,
    maxEntries: number,
  ) {
    this.memory = new LRUCache({ max: maxEntries });
  }

  /** The JSON text under `objectKey` if the memory tier has it (marks it recently used). */
  peekMemory(objectKey: string): string | undefined {
    return this.memory.get(objectKey);
  }

  async readStorage(objectKey: string): Promise<string | null> {
    const stored = await this.storage.getObject(objectKey);
    return stored ? stored.body.toString('utf8') : null;
  }

  remember(objectKey: string, json: string): void {
    this.memory.set(objectKey, json);
  }

  async write(objectKey: string, json: string): Promise<void> {
    // A record is checked when read and rebuilt when missing, so a crash may lose it: no fsyncs.
    await this.storage.putObject(objectKey, Buffer.from(json, 'utf8'), JSON_CONTENT_TYPE, { durable: false });
    this.memory.set(objectKey, json);
  }

  async forget(objectKey: string): Promise<void> {
    this.memory.delete(objectKey);
    await this.storage.deleteObject(objectKey);
  }

  get memoryEntries(): number {
    return this.memory.size;
  }
}
