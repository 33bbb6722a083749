import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
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
  return entriesOf(byName);
}

async function* entriesOf(byName: Map<string, string>): AsyncGenerator<TarEntry> {
  yield { type: 'directory', name: 'nix/', mode: DIRECTORY_MODE };
  yield { type: 'directory', name: 'nix/store/', mode: DIRECTORY_MODE };
  for (const name of sortedNames(byName.keys())) {
    yield* walk(byName.get(name)!, name);
  }
}

async function* walk(localPath: string, name: string): AsyncGenerator<TarEntry> {
  const stats = await lstat(localPath);
  if (stats.isDirectory()) {
    yield { type: 'directory', name: `${name}/`, mode: DIRECTORY_MODE };
    for (const child of sortedNames(await readdir(localPath))) {
      yield* walk(path.join(localPath, child), `${name}/${child}`);
    }
  } else if (stats.isSymbolicLink()) {
    yield { type: 'symlink', name, target: await readlink(localPath) };
  } else if (stats.isFile()) {
    // Hard links are deliberately stored as separate regular files: simpler for every
    // consumer, and Nix store optimisation makes them an accident of the local machine.
    yield {
      type: 'file',
      name,
      mode: normalisedFileMode(stats.mode),
      size: stats.size,
      sourcePath: localPath,
    };
  } else {
    throw new UnsupportedFileTypeError(localPath, describeFileType(stats));
  }
}

/** A reproducible, uncompressed tar stream of the given store paths (see {@link storePathEntries}). */
export function storePathsTar(paths: string[], options: StorePathOptions = {}): Readable {
  return tarStream(storePathEntries(paths, options));
}
