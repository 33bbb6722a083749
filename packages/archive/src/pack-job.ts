import { closeSync, openSync, readSync } from 'node:fs';
import { DigestAccumulator } from '@nixery/digest';
import { changedSize, DIRECTORY_MODE, type TarEntry } from './entries.js';
import { walkStorePath } from './store-walk.js';
import { END_OF_ARCHIVE, encodeHeader, paddingLength } from './tar-format.js';

/** What the packing worker is asked for: store paths, already validated and sorted. */
export interface PackJob {
  /** [name in the image without the leading `/` (`nix/store/<base>`), path on this machine] */
  storePaths: [string, string][];
  /**
   * When set, a tar that fits in one gzip member is compressed by the worker at this level and
   * handed over whole instead of as tar chunks: the same bytes as that one member (see
   * gzip-members.ts), without the compression stage's trips to the compression workers.
   */
  wholeGzipLevel?: number;
  /**
   * Set when the job is one segment of a layer split between workers (see pack-split.ts): only
   * the first segment writes `nix/` and `nix/store/`, only the last the end of the archive, and
   * no segment is hashed (the main thread hashes the whole tar, in order).
   */
  segment?: { first: boolean; last: boolean };
}

export interface PackSummary {
  /** `sha256:<hex>` of the whole tar (the layer's diffId). */
  digest: string;
  size: number;
}

/** What a worker reports for a job: a segment's digest is null (see PackJob.segment). */
export interface PackedJob {
  digest: string | null;
  size: number;
}

/** Bytes handed on at a time: few messages between threads, little memory per layer. */
export const PACK_CHUNK_BYTES = 256 * 1024;

/**
 * Packs a store-path layer's tar synchronously: walks each path, encodes headers and copies file
 * bodies straight into fixed-size chunks (one open, reads of up to a chunk, one close per file),
 * hashing the tar on the way (unless it is a segment). `emit` receives each full chunk and must not keep `chunk` after it
 * returns unless it owns it (the worker transfers it). `checkAborted` throws to stop.
 */
export function packStorePaths(
  job: PackJob,
  emit: (chunk: Buffer) => void,
  checkAborted: () => void,
  /** Supplies each empty chunk of PACK_CHUNK_BYTES (the worker reuses chunks handed back). */
  newChunk: () => Buffer = () => Buffer.allocUnsafeSlow(PACK_CHUNK_BYTES),
  /** Receives the chunk left unused at the end, for reuse. */
  unusedChunk: (chunk: Buffer) => void = () => {},
): PackedJob {
  const first = job.segment?.first ?? true;
  const last = job.segment?.last ?? true;
  const hash = job.segment ? null : new DigestAccumulator();
  let size = 0;
  let chunk = newChunk();
  let filled = 0;

  const flush = (last = false) => {
    if (filled === 0) {
      if (last) unusedChunk(chunk);
      return;
    }
    const full = filled === chunk.length ? chunk : chunk.subarray(0, filled);
    hash?.update(full);
    size += full.length;
    emit(full);
    filled = 0;
    if (!last) chunk = newChunk();
  };
  const write = (bytes: Buffer) => {
    let offset = 0;
    while (offset < bytes.length) {
      const copied = bytes.copy(chunk, filled, offset);
      filled += copied;
      offset += copied;
      if (filled === chunk.length) flush();
    }
  };
  const zeros = (count: number) => {
    let left = count;
    while (left > 0) {
      const n = Math.min(left, chunk.length - filled);
      chunk.fill(0, filled, filled + n);
      filled += n;
      left -= n;
      if (filled === chunk.length) flush();
    }
  };
  /** Copies a file of `size` bytes (as the walk saw it) into the chunks; fails if it changed. */
  const copyFile = (file: string, size: number) => {
    const fd = openSync(file, 'r');
    try {
      let copied = 0;
      for (;;) {
        if (filled === chunk.length) flush();
        // Ask for one byte more than is left, so a file that grew is noticed without another call.
        const want = Math.min(size - copied + 1, chunk.length - filled);
        const read = readSync(fd, chunk, filled, want, copied);
        if (copied + read > size) throw changedSize(file);
        filled += read;
        copied += read;
        if (read < want) break; // end of file
      }
      if (copied !== size) throw changedSize(file);
    } finally {
      closeSync(fd);
    }
  };
  const writeEntry = (entry: TarEntry) => {
    switch (entry.type) {
      case 'directory':
        write(encodeHeader({ type: 'directory', name: entry.name, mode: entry.mode }));
        return;
      case 'symlink':
        write(encodeHeader({ type: 'symlink', name: entry.name, mode: 0, linkname: entry.target }));
        return;
      case 'file':
        write(encodeHeader({ type: 'file', name: entry.name, mode: entry.mode, size: entry.size }));
        copyFile(entry.sourcePath, entry.size);
        zeros(paddingLength(entry.size));
        return;
    }
  };

  if (first) {
    writeEntry({ type: 'directory', name: 'nix/', mode: DIRECTORY_MODE });
    writeEntry({ type: 'directory', name: 'nix/store/', mode: DIRECTORY_MODE });
  }
  for (const [name, localPath] of job.storePaths) {
    for (const entry of walkStorePath(localPath, name, checkAborted)) writeEntry(entry);
  }
  if (last) write(END_OF_ARCHIVE);
  flush(true);
  return hash ? hash.summary() : { digest: null, size };
}
