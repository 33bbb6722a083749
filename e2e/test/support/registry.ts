import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@nixery/config';
import { type RunningRegistry, startRegistry } from '@nixery/registry';
import { createStorage, type Storage } from '@nixery/storage';
import { type Logger, pino } from 'pino';

export interface TestRegistry extends RunningRegistry {
  /** `127.0.0.1:<port>`, the registry host as clients name it. */
  host: string;
  storagePath: string;
  stop(): Promise<void>;
}

/**
 * Starts the real registry on a free loopback port with the bundled package set and a fresh
 * storage folder (or a given one, to share storage between instances).
 */
export async function startTestRegistry(
  options: {
    storagePath?: string;
    env?: Record<string, string>;
    storage?: Storage;
    /** The registry's clock (last-served records, periodic gc). */
    now?: () => Date;
    unpinnedTtlMs?: number;
    logger?: Logger;
  } = {},
): Promise<TestRegistry> {
  const ownsStorage = options.storagePath === undefined;
  const storagePath = options.storagePath ?? (await mkdtemp(join(tmpdir(), 'nixery-e2e-')));
  const config = loadConfig({ env: { STORAGE_PATH: storagePath, PORT: '0', ...options.env } });
  const registry = await startRegistry({
    config,
    host: '127.0.0.1',
    logger: options.logger ?? pino({ level: process.env.NIXERY_TEST_LOG ?? 'silent' }),
    storage: options.storage ?? createStorage(config.storage),
    ...(options.now ? { now: options.now } : {}),
    ...(options.unpinnedTtlMs !== undefined ? { unpinnedTtlMs: options.unpinnedTtlMs } : {}),
  });
  return {
    ...registry,
    host: `127.0.0.1:${registry.port}`,
    storagePath,
    async stop() {
      await registry.close();
      // A build aborted by the close may still be unwinding its staging files: retry what it adds.
      if (ownsStorage)
        await rm(storagePath, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
  };
}

/** Reads one counter's value from the registry's Prometheus text, summed over matching labels. */
export async function metricValue(
  registry: RunningRegistry,
  name: string,
  labels: Record<string, string> = {},
) {
  const text = await registry.metrics.registry.metrics();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}
