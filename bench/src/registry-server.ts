// Runs the registry as its own process, so that its memory can be measured apart from the
// benchmark's clients. Configured by Nixery's environment variables (STORAGE_PATH, PORT,
// NIXERY_PKGS_PATH, NIX_TIMEOUT, NIXERY_NIX_SUBSTITUTERS); logs pino JSON lines on stdout,
// which bench/src/registry-process.ts reads ('registry listening', 'build finished').
import { startRegistry } from '@nixery/registry';
import { loadConfig } from '@nixery/source';

const config = loadConfig(process.env);
const ttl = process.env.BENCH_UNPINNED_TTL_MS;
const registry = await startRegistry({
  config,
  host: '127.0.0.1',
  ...(ttl ? { unpinnedTtlMs: Number(ttl) } : {}),
});
const stop = () => {
  void registry.close().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
