import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { sortedNames, type TarEntry } from './entries.js';
import { DEFAULT_STORE_DIR, imageStorePath, type StorePathOptions } from './store-paths.js';
import { tarStream } from './tar-writer.js';
import { type ForestLimits, WalkBudget } from './walk-limits.js';

export interface RootLayerOptions extends StorePathOptions {
  /** Requested packages' out paths, in priority order: the first provider of a path wins. */
  packages: string[];
  /** Store path of the coreutils providing `/usr/bin/env`; null leaves `/usr/bin/env` out. */
  envPath: string | null;
  /** Bounds of the walk (entries, depth, time); defaults in {@link DEFAULT_FOREST_LIMITS}. */
  limits?: ForestLimits;
}

export const ROOT_DIRECTORY_MODE = 0o755;
export const TMP_MODE = 0o1777;

/** Something the image root is merged from: a directory on disk, or one of our own synthetic entries. */
type Provider = DiskDirectory | SyntheticNode;

interface DiskDirectory {
  kind: 'disk';
  /** A real directory (never a symlink to one): only those are descended into. */
  isDirectory: boolean;
  /** Where to read it on this machine. */
  localPath: string;
  /** Its absolute name inside the image (what forest symlinks point to). */
  imagePath: string;
  /** The package it belongs to, as named in the image (`/nix/store/<pkg>`). */
  packagePath: string;
}

type SyntheticNode =
  | { kind: 'synthetic'; isDirectory: true; mode: number; children: Map<string, SyntheticNode> }
  | { kind: 'synthetic'; isDirectory: false; target: string };

function syntheticRoot(envPath: string | null, storeDir: string): SyntheticNode {
  const children = new Map<string, SyntheticNode>();
  children.set('tmp', { kind: 'synthetic', isDirectory: true, mode: TMP_MODE, children: new Map() });
  if (envPath !== null) {
    const env: SyntheticNode = {
      kind: 'synthetic',
      isDirectory: false,
      target: `${imageStorePath(envPath, storeDir)}/bin/env`,
    };
    const bin: SyntheticNode = {
      kind: 'synthetic',
      isDirectory: true,
      mode: ROOT_DIRECTORY_MODE,
      children: new Map([['env', env]]),
    };
    children.set('usr', {
      kind: 'synthetic',
      isDirectory: true,
      mode: ROOT_DIRECTORY_MODE,
      children: new Map([['bin', bin]]),
    });
  }
  return { kind: 'synthetic', isDirectory: true, mode: ROOT_DIRECTORY_MODE, children };
}

/**
 * The children of a merged directory, without following symlinks: only a real directory
 * (lstat, which is what readdir's file types report) inside the package is descended into.
 * A symlink, wherever it points (`/etc`, `/`, `../..`, a sibling directory), is a leaf that the
 * forest links to as it is, so nothing outside the package's own tree is ever read.
 */
async function childrenOf(provider: Provider, budget: WalkBudget): Promise<Map<string, Provider>> {
  if (provider.kind === 'synthetic') {
    return provider.isDirectory ? provider.children : new Map();
  }
  budget.checkAlive(provider.packagePath);
  const children = new Map<string, Provider>();
  for (const child of await readdir(provider.localPath, { withFileTypes: true })) {
    children.set(child.name, {
      kind: 'disk',
      isDirectory: child.isDirectory(),
      localPath: path.join(provider.localPath, child.name),
      imagePath: `${provider.imagePath}/${child.name}`,
      packagePath: provider.packagePath,
    });
  }
  return children;
}

/** Who an entry is charged to when a bound breaks: its package, or the registry's own entries. */
function ownerOf(provider: Provider): string {
  return provider.kind === 'disk' ? provider.packagePath : 'the image root';
}

async function* mergeDirectories(
  prefix: string,
  providers: Provider[],
  depth: number,
  budget: WalkBudget,
): AsyncGenerator<TarEntry> {
  const candidates = new Map<string, Provider[]>();
  for (const provider of providers) {
    for (const [name, child] of await childrenOf(provider, budget)) {
      const list = candidates.get(name);
      if (list) list.push(child);
      else candidates.set(name, [child]);
    }
  }

  for (const name of sortedNames(candidates.keys())) {
    const [winner, ...others] = candidates.get(name)!;
    if (!winner) continue;
    budget.admit(ownerOf(winner), depth);
    const entryName = `${prefix}${name}`;
    if (winner.isDirectory) {
      const mode = winner.kind === 'synthetic' ? winner.mode : ROOT_DIRECTORY_MODE;
      yield { type: 'directory', name: `${entryName}/`, mode };
      // Later providers only contribute if they also have a directory here (lndir keeps the first).
      yield* mergeDirectories(
        `${entryName}/`,
        [winner, ...others.filter((other) => other.isDirectory)],
        depth + 1,
        budget,
      );
    } else if (winner.kind === 'synthetic') {
      yield { type: 'symlink', name: entryName, target: winner.target };
    } else {
      yield { type: 'symlink', name: entryName, target: winner.imagePath };
    }
  }
}

/**
 * Entries of the image-root layer: a symlink forest merging the packages' trees (real
 * directories become directories, everything else, symlinks included, a symlink to the first
 * package providing it), plus `tmp/` (1777) and `usr/bin/env`. Our synthetic entries take
 * priority over packages. A package whose out path is not a real directory (a file, or a
 * symlink to anywhere) contributes nothing. The walk is bounded (see {@link ForestLimits}) and
 * stops with the signal's reason when `signal` aborts.
 */
export async function* rootEntries(options: RootLayerOptions): AsyncGenerator<TarEntry> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const budget = new WalkBudget(options.limits, options.signal);
  const providers: Provider[] = [syntheticRoot(options.envPath, storeDir)];
  for (const pkg of options.packages) {
    const localPath = path.resolve(pkg);
    // Validates that it is a top-level store path before anything of it is read.
    const imagePath = imageStorePath(localPath, storeDir);
    const stats = await lstat(localPath);
    if (!stats.isDirectory()) continue;
    providers.push({ kind: 'disk', isDirectory: true, localPath, imagePath, packagePath: imagePath });
  }
  yield* mergeDirectories('', providers, 1, budget);
}

/** A reproducible, uncompressed tar stream of the image root (see {@link rootEntries}). */
export function rootTar(options: RootLayerOptions): Readable {
  return tarStream(rootEntries(options));
}
