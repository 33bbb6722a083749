import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  fsync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

/**
 * The filesystem driver's short system calls, made synchronously (here, and its renames and
 * stats): an open, a write, a close, a rename, a stat or the read of a small file takes tens of
 * microseconds on a local disk, while its promise form costs two hand-offs between this thread
 * and libuv's pool (about a dozen per layer blob and its cache record). A build of 90 small
 * layers spent more CPU on those hand-offs than on the calls; written this way it took ~10 % less
 * time and CPU (bench/README.md). An fsync waits for the device (milliseconds), so it always goes
 * to the pool.
 */

/** Bytes up to which a buffer is written, or a file read, with synchronous calls. */
export const SMALL_FILE_BYTES = 1024 * 1024;

const fsyncOnPool = promisify(fsync);

/** Creates `file` (it must not exist) holding `bytes`; with `durable`, fsynced before close. */
export async function writeNewFile(file: string, bytes: Buffer, durable: boolean): Promise<void> {
  const fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o666);
  try {
    for (let written = 0; written < bytes.length; ) {
      written += writeSync(fd, bytes, written, bytes.length - written);
    }
    if (durable) await fsyncOnPool(fd);
  } finally {
    closeSync(fd);
  }
}

/** The whole of `file`: read here when small, through the pool when larger. */
export async function readWholeFile(file: string): Promise<Buffer> {
  const fd = openSync(file, fsConstants.O_RDONLY);
  let size: number;
  try {
    const info = fstatSync(fd);
    if (info.isDirectory()) throw Object.assign(new Error(`EISDIR: ${file} is a folder`), { code: 'EISDIR' });
    size = info.size;
    if (size <= SMALL_FILE_BYTES) {
      const bytes = Buffer.allocUnsafe(size);
      let filled = 0;
      while (filled < size) {
        const read = readSync(fd, bytes, filled, size - filled, filled);
        if (read === 0) break; // shrank meanwhile: what is there
        filled += read;
      }
      return bytes.subarray(0, filled);
    }
  } finally {
    closeSync(fd);
  }
  return readFile(file);
}

/** fsyncs a folder so renames into it are durable; EINVAL & co: the filesystem cannot. */
export async function syncFolder(folder: string): Promise<void> {
  let fd: number | undefined;
  try {
    fd = openSync(folder, fsConstants.O_RDONLY);
    await fsyncOnPool(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP') throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
