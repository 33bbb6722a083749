import type { Storage } from '@nixery/storage';
import { collectGarbage, type GcOptions, type GcReport } from './collect.js';

export interface PeriodicGcOptions extends Omit<GcOptions, 'dryRun'> {
  intervalMs: number;
  onReport?: (report: GcReport, ms: number) => void;
  onError?: (error: unknown) => void;
}

/**
 * Runs collectGarbage every `intervalMs`, counted from the end of the previous run, so runs never
 * overlap. The timer does not keep the process alive. Returns a stop function that waits for a
 * run in progress.
 */
export function startPeriodicGc(storage: Storage, options: PeriodicGcOptions): () => Promise<void> {
  const { intervalMs, onReport, onError, ...gc } = options;
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      const started = performance.now();
      running = collectGarbage(storage, gc)
        .then((report) => onReport?.(report, Math.round(performance.now() - started)))
        .catch((error: unknown) => onError?.(error))
        .finally(() => {
          running = null;
          schedule();
        });
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
