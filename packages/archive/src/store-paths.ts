import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  compareBytes,
  DIRECTORY_MODE,
  describeFileType,
  normalisedFileMode,
  sortedNames,
  type TarEntry,
  UnsupportedFileTypeError,
} from './entries.js';
import { tarStream } from './tar-writer.js';

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

/**
 * Entries for a set of store paths: `nix/`, `nix/store/`, then each path (sorted byte-wise,
 * duplicates dropped) walked depth first with every directory's children sorted byte-wise.
 */
export function storePathEntries(paths: string[], options: StorePathOptions = {}): AsyncGenerator<TarEntry> {
  // Validate before any streaming starts, so a bad path throws at the call site.
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const byName = new Map<string, string>();
  for (const localPath of paths) {
    byName.set(imageStorePath(localPath, storeDir).slice(1), path.resolve(localPath));
  }
  return entriesOf(byName, options.signal);
}

/**
 * How many store paths are walked ahead of the one being written. Only metadata is collected
 * (names, modes, sizes), so a store path of many small directories costs a few hundred bytes an
 * entry; overlapping the walks hides each `readdir`'s latency.
 */
const WALK_AHEAD = 8;

async function* entriesOf(byName: Map<string, string>, signal?: AbortSignal): AsyncGenerator<TarEntry> {
  yield { type: 'directory', name: 'nix/', mode: DIRECTORY_MODE };
  yield { type: 'directory', name: 'nix/store/', mode: DIRECTORY_MODE };
  const names = sortedNames(byName.keys());
  const walks: Promise<TarEntry[]>[] = [];
  const startWalk = (index: number) => {
    const name = names[index];
    if (name === undefined) return;
    const collected = collect(walk(byName.get(name)!, name, signal));
    // Awaited in order below; a failure before then must not go unhandled.
    collected.catch(() => {});
    walks.push(collected);
  };
  for (let index = 0; index < Math.min(WALK_AHEAD, names.length); index++) startWalk(index);
  for (let index = 0; index < names.length; index++) {
    const entries = await walks[index]!;
    startWalk(index + WALK_AHEAD);
    yield* entries;
  }
}

/**
 * How many files of a directory are stat'ed at once. The walk is bound by the latency of each
 * file-system call, not by throughput, so asking for a batch at a time keeps libuv's pool busy.
 */
const STAT_BATCH = 128;

/** What a walk needs to know of a path before visiting it: its type, and for files their stats. */
type Visit =
  | { kind: 'directory' }
  | { kind: 'symlink' }
  | { kind: 'file'; stats: Stats }
  | { kind: 'other'; stats: Stats };

async function visitOf(localPath: string): Promise<Visit> {
  const stats = await lstat(localPath);
  if (stats.isDirectory()) return { kind: 'directory' };
  if (stats.isSymbolicLink()) return { kind: 'symlink' };
  return { kind: stats.isFile() ? 'file' : 'other', stats };
}

/**
 * Walks one store path with lstat semantics: a symlink is recorded as a symlink (its target
 * verbatim, never read through), and only real directories are descended into, so the walk
 * never leaves the store path.
 */
async function* walk(
  localPath: string,
  name: string,
  signal: AbortSignal | undefined,
  visit?: Visit,
): AsyncGenerator<TarEntry> {
  signal?.throwIfAborted();
  const info = visit ?? (await visitOf(localPath));
  switch (info.kind) {
    case 'directory': {
      yield { type: 'directory', name: `${name}/`, mode: DIRECTORY_MODE };
      // Directory entries carry their type, so only files (for size and mode) need an lstat.
      const children = (await readdir(localPath, { withFileTypes: true })).sort((a, b) =>
        compareBytes(a.name, b.name),
      );
      for (let start = 0; start < children.length; start += STAT_BATCH) {
        const batch = children.slice(start, start + STAT_BATCH);
        const visits = await Promise.all(
          batch.map((child): Visit | Promise<Visit> =>
            child.isDirectory()
              ? { kind: 'directory' }
              : child.isSymbolicLink()
                ? { kind: 'symlink' }
                : visitOf(path.join(localPath, child.name)),
          ),
        );
        for (const [index, child] of batch.entries()) {
          yield* walk(path.join(localPath, child.name), `${name}/${child.name}`, signal, visits[index]);
        }
      }
      return;
    }
    case 'symlink':
      yield { type: 'symlink', name, target: await readlink(localPath) };
      return;
    case 'file':
      // Hard links are deliberately stored as separate regular files: simpler for every
      // consumer, and Nix store optimisation makes them an accident of the local machine.
      yield {
        type: 'file',
        name,
        mode: normalisedFileMode(info.stats.mode),
        size: info.stats.size,
        sourcePath: localPath,
      };
      return;
    case 'other':
      throw new UnsupportedFileTypeError(localPath, describeFileType(info.stats));
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** A reproducible, uncompressed tar stream of the given store paths (see {@link storePathEntries}). */
export function storePathsTar(paths: string[], options: StorePathOptions = {}): Readable {
  return tarStream(storePathEntries(paths, options));
}
