import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { sortedNames, type TarEntry } from './entries.js';
import { DEFAULT_STORE_DIR, imageStorePath, type StorePathOptions } from './store-paths.js';
import { tarStream } from './tar-writer.js';

export interface RootLayerOptions extends StorePathOptions {
  /** Requested packages' out paths, in priority order: the first provider of a path wins. */
  packages: string[];
  /** Store path of the coreutils providing `/usr/bin/env`; null leaves `/usr/bin/env` out. */
  envPath: string | null;
}

export const ROOT_DIRECTORY_MODE = 0o755;
export const TMP_MODE = 0o1777;

/** Something the image root is merged from: a directory on disk, or one of our own synthetic entries. */
type Provider = DiskDirectory | SyntheticNode;

interface DiskDirectory {
  kind: 'disk';
  isDirectory: boolean;
  /** Where to read it on this machine. */
  localPath: string;
  /** Its absolute name inside the image (what forest symlinks point to). */
  imagePath: string;
  /** Real paths of this directory and its ancestors, to stop at symlink cycles. */
  seen: ReadonlySet<string>;
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
      target: `${toImagePath(envPath, storeDir)}/bin/env`,
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

function toImagePath(storePath: string, storeDir: string): string {
  return storeDir === DEFAULT_STORE_DIR ? storePath : imageStorePath(storePath, storeDir);
}

/**
 * Describes one child of a merged directory. `stat` follows symlinks, as lndir (symlinkJoin)
 * does: a symlink that resolves to a directory is merged into like a directory, at any depth,
 * unless it leads back to one of its own ancestors.
 */
async function diskChild(parent: DiskDirectory, name: string): Promise<DiskDirectory> {
  const localPath = path.join(parent.localPath, name);
  const imagePath = `${parent.imagePath}/${name}`;
  const leaf: DiskDirectory = { kind: 'disk', isDirectory: false, localPath, imagePath, seen: parent.seen };
  const stats = await stat(localPath).catch(() => null); // dangling links are plain leaves
  if (!stats?.isDirectory()) return leaf;
  const real = await realpath(localPath);
  if (parent.seen.has(real)) return leaf;
  return { ...leaf, isDirectory: true, seen: new Set([...parent.seen, real]) };
}

async function childrenOf(provider: Provider): Promise<Map<string, Provider>> {
  if (provider.kind === 'synthetic') {
    return provider.isDirectory ? provider.children : new Map();
  }
  const names = await readdir(provider.localPath);
  const children = new Map<string, Provider>();
  for (const name of names) children.set(name, await diskChild(provider, name));
  return children;
}

async function* mergeDirectories(prefix: string, providers: Provider[]): AsyncGenerator<TarEntry> {
  const candidates = new Map<string, Provider[]>();
  for (const provider of providers) {
    for (const [name, child] of await childrenOf(provider)) {
      const list = candidates.get(name);
      if (list) list.push(child);
      else candidates.set(name, [child]);
    }
  }

  for (const name of sortedNames(candidates.keys())) {
    const [winner, ...others] = candidates.get(name)!;
    if (!winner) continue;
    const entryName = `${prefix}${name}`;
    if (winner.isDirectory) {
      const mode = winner.kind === 'synthetic' ? winner.mode : ROOT_DIRECTORY_MODE;
      yield { type: 'directory', name: `${entryName}/`, mode };
      // Later providers only contribute if they also have a directory here (lndir keeps the first).
      yield* mergeDirectories(`${entryName}/`, [winner, ...others.filter((other) => other.isDirectory)]);
    } else if (winner.kind === 'synthetic') {
      yield { type: 'symlink', name: entryName, target: winner.target };
    } else {
      yield { type: 'symlink', name: entryName, target: winner.imagePath };
    }
  }
}

/**
 * Entries of the image-root layer: a symlink forest merging the packages' trees (directories
 * become real directories, everything else a symlink to the first package providing it),
 * plus `tmp/` (1777) and `usr/bin/env`. Our synthetic entries take priority over packages.
 * A package whose out path is not a directory contributes nothing (there is nothing to merge).
 */
export async function* rootEntries(options: RootLayerOptions): AsyncGenerator<TarEntry> {
  const storeDir = options.storeDir ?? DEFAULT_STORE_DIR;
  const providers: Provider[] = [syntheticRoot(options.envPath, storeDir)];
  for (const pkg of options.packages) {
    const localPath = path.resolve(pkg);
    const stats = await stat(localPath);
    if (!stats.isDirectory()) continue;
    providers.push({
      kind: 'disk',
      isDirectory: true,
      localPath,
      imagePath: toImagePath(localPath, storeDir),
      seen: new Set([await realpath(localPath)]),
    });
  }
  yield* mergeDirectories('', providers);
}

/** A reproducible, uncompressed tar stream of the image root (see {@link rootEntries}). */
export function rootTar(options: RootLayerOptions): Readable {
  return tarStream(rootEntries(options));
}
