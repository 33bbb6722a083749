import { type Dirent, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import {
  DIRECTORY_MODE,
  describeFileType,
  normalisedFileMode,
  type TarEntry,
  UnsupportedFileTypeError,
} from './entries.js';

/**
 * Walks one store path, synchronously, with lstat semantics: a symlink is recorded as a symlink
 * (its target verbatim, never read through) and only real directories are descended into, so
 * the walk never leaves the store path. Children are sorted byte-wise, parents come first.
 *
 * Synchronous on purpose: it runs in the packing worker (see pack-worker.ts), where plain system
 * calls cost a fraction of the thread-pool round trip an asynchronous call takes per file.
 * `checkAborted` runs before each file-system call that visits an entry.
 */
export function* walkStorePath(
  localPath: string,
  name: string,
  checkAborted: () => void,
): Generator<TarEntry> {
  checkAborted();
  const stats = lstatSync(localPath);
  if (stats.isDirectory()) yield* walkDirectory(localPath, name, checkAborted);
  else if (stats.isSymbolicLink()) yield { type: 'symlink', name, target: readlinkSync(localPath) };
  else yield fileEntry(localPath, name, stats);
}

function* walkDirectory(localPath: string, name: string, checkAborted: () => void): Generator<TarEntry> {
  yield { type: 'directory', name: `${name}/`, mode: DIRECTORY_MODE };
  checkAborted();
  // Directory entries carry their type, so only files (for size and mode) need an lstat.
  for (const child of sortedChildren(readdirSync(localPath, { withFileTypes: true }))) {
    const childPath = `${localPath}/${child.name}`;
    const childName = `${name}/${child.name}`;
    checkAborted();
    if (child.isDirectory()) yield* walkDirectory(childPath, childName, checkAborted);
    else if (child.isSymbolicLink())
      yield { type: 'symlink', name: childName, target: readlinkSync(childPath) };
    else yield fileEntry(childPath, childName, lstatSync(childPath));
  }
}

function fileEntry(localPath: string, name: string, stats: Stats): TarEntry {
  if (!stats.isFile()) throw new UnsupportedFileTypeError(localPath, describeFileType(stats));
  // Hard links are deliberately stored as separate regular files: simpler for every consumer,
  // and Nix store optimisation makes them an accident of the local machine.
  return {
    type: 'file',
    name,
    mode: normalisedFileMode(stats.mode),
    size: stats.size,
    sourcePath: localPath,
  };
}

/** Byte-wise order of names; ASCII names (nearly all) compare without encoding them. */
function sortedChildren(children: Dirent[]): Dirent[] {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range itself
  const ascii = children.every((child) => /^[\u0000-\u007f]*$/.test(child.name));
  if (ascii) return children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const keyed = children.map((child) => ({ child, bytes: Buffer.from(child.name) }));
  keyed.sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  return keyed.map((k) => k.child);
}
