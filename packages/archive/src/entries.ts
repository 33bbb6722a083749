/**
 * The normalised description of one tar entry. Every producer (store paths, root forest)
 * yields these; the tar writer turns them into headers and streams file contents.
 */
export type TarEntry =
  | { type: 'directory'; name: string; mode: number }
  | { type: 'symlink'; name: string; target: string }
  | { type: 'file'; name: string; mode: number; size: number; sourcePath: string };

/** 1 second after the epoch: a fixed, non-zero mtime (some tools treat 0 as "unset"). */
export const FIXED_MTIME = new Date(1000);

export const DIRECTORY_MODE = 0o555;
export const EXECUTABLE_MODE = 0o555;
export const FILE_MODE = 0o444;
export const SYMLINK_MODE = 0o777;

/** Store files are read-only; only the "is it executable" bit survives. */
export function normalisedFileMode(mode: number): number {
  return (mode & 0o111) !== 0 ? EXECUTABLE_MODE : FILE_MODE;
}

/** Byte-wise (not locale or UTF-16) ordering of names, so the order is the same everywhere. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function sortedNames(names: Iterable<string>): string[] {
  return [...names].sort(compareBytes);
}

/** Thrown for file types a layer cannot carry (sockets, devices, fifos). */
export class UnsupportedFileTypeError extends Error {
  constructor(
    readonly path: string,
    readonly fileType: string,
  ) {
    super(`cannot archive ${path}: unsupported file type (${fileType})`);
    this.name = 'UnsupportedFileTypeError';
  }
}

/** A file whose size differs from what the walk saw: the layer fails rather than lie in a header. */
export function changedSize(file: string): Error {
  return new Error(`${file} changed size while it was packed`);
}

export function describeFileType(stats: {
  isSocket(): boolean;
  isFIFO(): boolean;
  isBlockDevice(): boolean;
  isCharacterDevice(): boolean;
}): string {
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isCharacterDevice()) return 'character device';
  return 'unknown';
}
