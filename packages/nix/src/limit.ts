/**
 * A bound on how many tasks run at once (a counting semaphore): `limit(run)` starts `run` when
 * fewer than `max` are running, else queues it in arrival order.
 */
export function createLimit(max: number): <T>(run: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(max) || max < 1) throw new Error(`a limit must be a whole number ≥ 1, not ${max}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  return async <T>(run: () => Promise<T>): Promise<T> => {
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await run();
    } finally {
      release();
    }
  };
}
