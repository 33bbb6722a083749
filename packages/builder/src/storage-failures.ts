import { PassThrough, type Readable } from 'node:stream';
import { type Storage, StorageError } from '@nixery/storage';

/**
 * The builder's view of storage: every call that rejects, rejects with a StorageError (drivers
 * pass raw errors through, such as ENOSPC or a reset connection), so the builder can report a
 * storage failure as one. The original error stays the `cause`: a blob upload that failed
 * because its input stream did (a forest bound) is still recognised by asImageError.
 */
export function reportingStorageFailures(storage: Storage): Storage {
  return new Proxy(storage, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          if (error instanceof StorageError) throw error;
          const message = error instanceof Error ? error.message : String(error);
          throw new StorageError(message, { cause: error });
        });
      };
    },
  });
}

/**
 * A blob sink that tells who failed first. The stream goes to storage through a relay, so an
 * upstream failure (a forest bound, an unreadable store path) reaches storage only through us:
 * it is rethrown as itself, while storage failing on its own rejects with its StorageError
 * (without the relay, storage's ENOSPC would come back out of the layer stream looking like
 * anyone's error).
 */
export function sinkReportingOrigin<R>(
  put: (data: Readable | Buffer) => Promise<R>,
): (data: Readable | Buffer) => Promise<R> {
  return (data) => {
    // Bytes already in memory (a small layer compressed whole) cannot fail on their way.
    if (Buffer.isBuffer(data)) return put(data);
    let upstreamError: { error: unknown } | null = null;
    const relay = new PassThrough();
    data.on('error', (error: unknown) => {
      if (relay.destroyed) return;
      upstreamError = { error };
      relay.destroy(error instanceof Error ? error : new Error(String(error)));
    });
    data.pipe(relay);
    return put(relay).catch((error: unknown) => {
      throw upstreamError ? upstreamError.error : error;
    });
  };
}
