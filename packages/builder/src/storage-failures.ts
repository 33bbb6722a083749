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
