import { parseServedRecord, type ServedRecord, type Storage, servedObjectKey } from '@nixery/storage';
import { LRUCache } from 'lru-cache';

export interface ServedRecorderOptions {
  /** At most one write per manifest per this long (default a day); far below any retention. */
  intervalMs?: number;
  now?: () => Date;
  /** Manifests whose last write is remembered in memory; default 10 000. */
  maxEntries?: number;
  /** A failed read or write (serving never waits for, nor fails on, the record). */
  onError?: (error: unknown, digest: string) => void;
}

/**
 * Records in storage when a manifest was last served (`served/sha256/<hex>`), so garbage
 * collection on any instance knows which images are in use. Cheap: a manifest is written at most
 * once per interval per instance; a manifest first served here reads the stored record once, so
 * instances sharing a storage do not each rewrite it.
 */
export class ServedRecorder {
  private readonly intervalMs: number;
  private readonly now: () => Date;
  /** Digest → when it was last recorded as served (by anyone), ms. */
  private readonly known: LRUCache<string, number>;
  private readonly pending = new Map<string, Promise<boolean>>();
  /** Writes made, for tests and metrics. */
  writes = 0;

  constructor(
    private readonly storage: Storage,
    private readonly options: ServedRecorderOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 86_400_000;
    this.now = options.now ?? (() => new Date());
    this.known = new LRUCache({ max: options.maxEntries ?? 10_000 });
  }

  /** Notes that `digest` was served; returns at once, never throws. */
  record(digest: string): void {
    void this.recordNow(digest);
  }

  /** As record, resolving to whether a record was written. */
  recordNow(digest: string): Promise<boolean> {
    const time = this.now().getTime();
    const last = this.known.get(digest);
    if (last !== undefined && time - last < this.intervalMs) return Promise.resolve(false);
    const running = this.pending.get(digest);
    if (running) return running;
    const work = this.write(digest, time, last === undefined)
      .catch((error: unknown) => {
        this.options.onError?.(error, digest);
        return false;
      })
      .finally(() => this.pending.delete(digest));
    this.pending.set(digest, work);
    return work;
  }

  private async write(digest: string, time: number, firstHere: boolean): Promise<boolean> {
    const key = servedObjectKey(digest);
    if (firstHere) {
      const stored = await this.storage.getObject(key);
      const at = stored ? storedTime(stored.body) : null;
      if (at !== null && time - at < this.intervalMs) {
        this.known.set(digest, at);
        return false;
      }
    }
    const record: ServedRecord = { servedAt: new Date(time).toISOString() };
    await this.storage.putObject(key, Buffer.from(JSON.stringify(record)), 'application/json');
    this.known.set(digest, time);
    this.writes++;
    return true;
  }
}

function storedTime(body: Buffer): number | null {
  try {
    return parseServedRecord(JSON.parse(body.toString('utf8')) as unknown).getTime();
  } catch {
    return null;
  }
}
