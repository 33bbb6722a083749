import path from 'node:path';
import { DIRECTORY_MODE, sortedNames, type TarEntry } from './entries.js';
import type { PackJob } from './pack-job.js';
import { WorkerTarStream } from './pack-pool.js';
import { planPack } from './pack-split.js';
import { walkStorePath } from './store-walk.js';

export const DEFAULT_STORE_DIR = '/nix/store';

export interface StorePathOptions {
  /**
   * Where the store paths live on this machine (default `/nix/store`). Entries are always named
   * `nix/store/<basename>/...`, so a fixture store elsewhere produces the same archive.
   */
  storeDir?: string;
  /** Aborting stops the walk (and a layer being written) with the signal's reason. */
  signal?: AbortSignal;
}

/** The name a store path has inside an image (`/nix/store/<base>`), whatever the local store dir. */
export function imageStorePath(localPath: string, storeDir = DEFAULT_STORE_DIR): string {
  const resolved = path.resolve(localPath);
  if (path.dirname(resolved) !== path.resolve(storeDir)) {
    throw new Error(`${localPath} is not a top-level path of the store ${storeDir}`);
  }
  return `${DEFAULT_STORE_DIR}/${path.basename(resolved)}`;
}

/** The store paths of a layer as the packer takes them: validated, deduplicated, sorted by name. */
export function packJob(paths: string[], storeDir: string): PackJob {
  const byName = new Map<string, string>();
  for (const localPath of paths) {
    byName.set(imageStorePath(localPath, storeDir).slice(1), path.resolve(localPath));
  }
  return { storePaths: sortedNames(byName.keys()).map((name) => [name, byName.get(name)!]) };
}

/**
 * Entries for a set of store paths: `nix/`, `nix/store/`, then each path (sorted byte-wise,
 * duplicates dropped) walked depth first with every directory's children sorted byte-wise.
 * The walk uses synchronous file-system calls on the calling thread, a directory at a time;
 * {@link storePathsTar} runs the same walk in a worker thread.
 */
export function storePathEntries(paths: string[], options: StorePathOptions = {}): AsyncGenerator<TarEntry> {
  // Validate before any streaming starts, so a bad path throws at the call site.
  const job = packJob(paths, options.storeDir ?? DEFAULT_STORE_DIR);
  return entriesOf(job, options.signal);
}

async function* entriesOf(job: PackJob, signal?: AbortSignal): AsyncGenerator<TarEntry> {
  yield { type: 'directory', name: 'nix/', mode: DIRECTORY_MODE };
  yield { type: 'directory', name: 'nix/store/', mode: DIRECTORY_MODE };
  const checkAborted = () => signal?.throwIfAborted();
  for (const [name, localPath] of job.storePaths) yield* walkStorePath(localPath, name, checkAborted);
}

/**
 * A reproducible, uncompressed tar stream of the given store paths (see {@link storePathEntries}),
 * packed in worker threads (several at once for a layer of many store paths, see pack-split.ts). Its `summary()` is the tar's sha256 and size once it has ended.
 * Aborting `options.signal` destroys the stream with the signal's reason.
 */
export function storePathsTar(
  paths: string[],
  options: StorePathOptions = {},
  /** For writeLayer: let the worker compress a layer of one gzip member (see PackJob). */
  wholeGzipLevel?: number,
): WorkerTarStream {
  const job = packJob(paths, options.storeDir ?? DEFAULT_STORE_DIR);
  const tar = new WorkerTarStream(planPack(wholeGzipLevel === undefined ? job : { ...job, wholeGzipLevel }));
  const signal = options.signal;
  if (signal) {
    const onAbort = () => tar.destroy(signal.reason);
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      tar.once('close', () => signal.removeEventListener('abort', onAbort));
    }
  }
  return tar;
}
