import { createWriteStream, constants as fsConstants } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  opendir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestStream } from '@nixery/digest';
import { BlobNotFoundError, DigestMismatchError, StorageError } from './errors.js';
import { pumpFile } from './file-pump.js';
import {
  assertContentType,
  assertObjectKey,
  assertRange,
  BLOB_PREFIX,
  blobName,
  digestFromBlobName,
  digestHex,
  newStagingName,
  STAGING_PREFIX,
} from './names.js';
import type {
  BlobStat,
  ByteRange,
  PutBlobOptions,
  PutBlobResult,
  SendBlobOptions,
  StagingSummary,
  Storage,
  StoredObject,
} from './types.js';

/** 1 MiB read chunks: measured about twice as fast as the 64 KiB default when serving layers. */
const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * Blobs and objects in a directory. Every write goes to `<root>/staging/` first and is
 * renamed into place after an fsync, so a reader never sees a partial file under a
 * digest or key. Blob content types are not recorded (statBlob reports null); objects
 * keep theirs in a one-line header inside the same file, so type and body change together.
 */
export class FilesystemStorage implements Storage {
  readonly kind = 'filesystem' as const;
  readonly root: string;
  private layoutReady: Promise<void> | null = null;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async putBlob(data: Readable, opts: PutBlobOptions = {}): Promise<PutBlobResult> {
    if (opts.expectedDigest !== undefined) digestHex(opts.expectedDigest);
    if (opts.contentType !== undefined) assertContentType(opts.contentType);
    await this.ensureLayout();

    const stagingPath = this.resolve(newStagingName());
    const digesting = new DigestStream();
    try {
      // flush: fsync before close, so the rename below can never expose unwritten blocks.
      await pipeline(data, digesting, createWriteStream(stagingPath, { flags: 'wx', flush: true }));
    } catch (error) {
      await rm(stagingPath, { force: true });
      throw error;
    }

    const result = digesting.summary();
    try {
      if (opts.expectedDigest !== undefined && opts.expectedDigest !== result.digest) {
        throw new DigestMismatchError(opts.expectedDigest, result.digest, result.size);
      }
      const finalPath = this.resolve(blobName(result.digest));
      if (await exists(finalPath)) {
        // Same digest, same bytes: keep the blob that is already there.
        await rm(stagingPath, { force: true });
      } else {
        await rename(stagingPath, finalPath);
        await syncDirectory(path.dirname(finalPath));
      }
    } catch (error) {
      await rm(stagingPath, { force: true });
      throw error;
    }
    return result;
  }

  async statBlob(digest: string): Promise<BlobStat | null> {
    const blobPath = this.resolve(blobName(digest));
    try {
      const info = await stat(blobPath);
      return info.isFile() ? { size: info.size, contentType: null } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async readBlob(digest: string, range?: ByteRange): Promise<Readable> {
    // Opened here, not lazily by the stream, so a missing blob is an error the caller can map to 404.
    const handle = await this.openBlob(digest, range);
    return handle.createReadStream({
      highWaterMark: READ_CHUNK_BYTES,
      ...(range === undefined ? {} : { start: range.start, end: range.end }),
    });
  }

  async sendBlob(digest: string, destination: Writable, options: SendBlobOptions = {}): Promise<void> {
    const handle = await this.openBlob(digest, options.range);
    let range: Required<ByteRange>;
    try {
      const size = (await handle.stat()).size;
      range = { start: options.range?.start ?? 0, end: Math.min(options.range?.end ?? size - 1, size - 1) };
    } catch (error) {
      await handle.close();
      throw error;
    }
    try {
      await pumpFile(handle, destination, range, options.onChunk);
    } catch (error) {
      destination.destroy();
      throw error;
    }
  }

  private async openBlob(digest: string, range: ByteRange | undefined): Promise<FileHandle> {
    const blobPath = this.resolve(blobName(digest));
    if (range !== undefined) assertRange(range);
    try {
      return await open(blobPath, fsConstants.O_RDONLY);
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFoundError(digest);
      throw error;
    }
  }

  async blobRedirect(digest: string): Promise<string | null> {
    digestHex(digest);
    return null;
  }

  async putObject(key: string, body: Buffer, contentType: string): Promise<void> {
    assertObjectKey(key);
    assertContentType(contentType);
    await this.ensureLayout();
    const stagingPath = this.resolve(newStagingName());
    const finalPath = this.resolve(key);
    try {
      const file = Buffer.concat([Buffer.from(`${contentType}\n`, 'latin1'), body]);
      await writeFile(stagingPath, file, { flag: 'wx', flush: true });
      await mkdir(path.dirname(finalPath), { recursive: true });
      await rename(stagingPath, finalPath);
    } catch (error) {
      await rm(stagingPath, { force: true });
      throw error;
    }
    await syncDirectory(path.dirname(finalPath));
  }

  async getObject(key: string): Promise<StoredObject | null> {
    assertObjectKey(key);
    let file: Buffer;
    try {
      file = await readFile(this.resolve(key));
    } catch (error) {
      if (isMissing(error) || errorCode(error) === 'EISDIR') return null;
      throw error;
    }
    const newline = file.indexOf(0x0a);
    if (newline <= 0) throw new StorageError(`object ${key} has no content-type header line`);
    return { contentType: file.subarray(0, newline).toString('latin1'), body: file.subarray(newline + 1) };
  }

  async deleteObject(key: string): Promise<void> {
    assertObjectKey(key);
    try {
      await rm(this.resolve(key));
    } catch (error) {
      // A folder is not an object, so it is "missing" as an object too.
      const code = errorCode(error);
      if (!isMissing(error) && code !== 'EISDIR' && code !== 'ERR_FS_EISDIR') throw error;
    }
  }

  async *listBlobs(): AsyncIterable<string> {
    let directory: Awaited<ReturnType<typeof opendir>>;
    try {
      directory = await opendir(this.resolve(BLOB_PREFIX));
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for await (const entry of directory) {
      const digest = entry.isFile() ? digestFromBlobName(BLOB_PREFIX + entry.name) : null;
      if (digest !== null) yield digest;
    }
  }

  async deleteBlob(digest: string): Promise<void> {
    await rm(this.resolve(blobName(digest)), { force: true });
  }

  async cleanStaging(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let directory: Awaited<ReturnType<typeof opendir>>;
    try {
      directory = await opendir(this.resolve(STAGING_PREFIX));
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
    let removed = 0;
    for await (const entry of directory) {
      const entryPath = path.join(directory.path, entry.name);
      try {
        const info = await stat(entryPath);
        if (info.mtimeMs >= cutoff) continue;
        await rm(entryPath, { recursive: true });
        removed++;
      } catch (error) {
        // Another cleaner, or the upload itself, got there first.
        if (!isMissing(error)) throw error;
      }
    }
    return removed;
  }

  async stagingSummary(): Promise<StagingSummary> {
    const now = Date.now();
    const summary: StagingSummary = { count: 0, bytes: 0, oldestAgeMs: null };
    let directory: Awaited<ReturnType<typeof opendir>>;
    try {
      directory = await opendir(this.resolve(STAGING_PREFIX));
    } catch (error) {
      if (isMissing(error)) return summary;
      throw error;
    }
    for await (const entry of directory) {
      try {
        const info = await stat(path.join(directory.path, entry.name));
        summary.count++;
        summary.bytes += info.isFile() ? info.size : 0;
        const age = Math.max(0, now - info.mtimeMs);
        summary.oldestAgeMs = Math.max(summary.oldestAgeMs ?? 0, age);
      } catch (error) {
        if (!isMissing(error)) throw error; // an upload that finished while we looked
      }
    }
    return summary;
  }

  /** Maps a validated storage name to a path, refusing (again) anything that leaves the root. */
  private resolve(name: string): string {
    const resolved = path.resolve(this.root, ...name.split('/'));
    if (!resolved.startsWith(this.root + path.sep)) {
      throw new StorageError(`refusing path outside the storage root: ${name}`);
    }
    return resolved;
  }

  private ensureLayout(): Promise<void> {
    this.layoutReady ??= (async () => {
      await mkdir(this.resolve(BLOB_PREFIX), { recursive: true });
      await mkdir(this.resolve(STAGING_PREFIX), { recursive: true });
    })().catch((error: unknown) => {
      this.layoutReady = null; // let a later call retry, e.g. once the disk is mounted
      throw error;
    });
    return this.layoutReady;
  }
}

async function exists(filePath: string): Promise<boolean> {
  try {
    await stat(filePath);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

/** Makes a rename durable; filesystems that cannot fsync a directory simply skip it. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, fsConstants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP') throw error;
  } finally {
    await handle?.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** ENOTDIR: a path component is a file, so the entry cannot exist either. */
function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
