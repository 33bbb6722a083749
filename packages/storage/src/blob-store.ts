import { pipeline as pipelineStreams, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type BlobSummary, DigestStream, sha256Digest } from '@nixery/digest';
import type { StorageDriver } from './driver.js';
import { BlobNotFoundError, DigestMismatchError } from './errors.js';
import { pumpFile } from './file-pump.js';
import {
  assertObjectKey,
  BLOB_PREFIX,
  blobName,
  digestFromBlobName,
  newStagingName,
  STAGING_PREFIX,
} from './layout.js';
import { assertContentType, assertKeyGrammar, assertRange, digestHex } from './names.js';
import type {
  BlobInfo,
  BlobStat,
  ByteRange,
  ObjectInfo,
  PutBlobOptions,
  PutBlobResult,
  PutObjectOptions,
  SendBlobOptions,
  StagingInfo,
  StagingSummary,
  Storage,
  StoredObject,
} from './types.js';

export const DEFAULT_BLOB_CONTENT_TYPE = 'application/octet-stream';

/**
 * The blob protocol, once for every driver: a blob is streamed to a fresh staging name while it
 * is hashed, checked against the digest the caller promised, and moved to its digest's name only
 * if nothing is there yet (same digest, same bytes); the staging copy is always removed. So no
 * partial or wrong bytes ever appear under a digest, whatever the service. Every name and
 * argument is validated here before a driver sees it.
 */
export class BlobStore implements Storage {
  constructor(protected readonly driver: StorageDriver) {}

  get kind(): string {
    return this.driver.kind;
  }

  get description(): string {
    return this.driver.description;
  }

  async putBlob(data: Readable | Buffer, opts: PutBlobOptions = {}): Promise<PutBlobResult> {
    if (opts.expectedDigest !== undefined) digestHex(opts.expectedDigest);
    if (opts.contentType !== undefined) assertContentType(opts.contentType);

    const staging = newStagingName();
    let moved = false;
    try {
      const result = await this.uploadHashed(staging, data, opts.contentType ?? DEFAULT_BLOB_CONTENT_TYPE);
      if (opts.expectedDigest !== undefined && opts.expectedDigest !== result.digest) {
        throw new DigestMismatchError(opts.expectedDigest, result.digest, result.size);
      }
      const target = blobName(result.digest);
      // Idempotent: a blob already there is kept (or, by a rename, replaced by the same bytes);
      // two racing moves write the same bytes. A service's copy is dearer than the check.
      if (this.driver.movesByRename || (await this.driver.stat(target)) === null) {
        await this.driver.move(staging, target);
        moved = true; // a move leaves nothing at the staging name
      }
      return result;
    } finally {
      if (!moved) {
        await this.driver.delete(staging).catch(() => {
          // Best effort; cleanStaging removes whatever a failed delete leaves behind.
        });
      }
    }
  }

  /** Uploads `data` to `staging`, hashing it on the way (bytes in memory: at once). */
  private async uploadHashed(
    staging: string,
    data: Readable | Buffer,
    contentType: string,
  ): Promise<BlobSummary> {
    if (Buffer.isBuffer(data)) {
      const summary = { digest: sha256Digest(data), size: data.length };
      await this.driver.upload(staging, data, contentType);
      return summary;
    }
    const digesting = new DigestStream();
    // The callback form returns the hashing stream and destroys it if the source fails.
    const hashed = pipelineStreams(data, digesting, () => {});
    await this.driver.upload(staging, hashed, contentType);
    return digesting.summary();
  }

  async statBlob(digest: string): Promise<BlobStat | null> {
    const stat = await this.driver.stat(blobName(digest));
    return stat === null ? null : { size: stat.size, contentType: stat.contentType };
  }

  async readBlob(digest: string, range?: ByteRange): Promise<Readable> {
    const name = blobName(digest);
    if (range !== undefined) assertRange(range);
    const body = await this.driver.read(name, range);
    if (body === null) throw new BlobNotFoundError(digest);
    return body;
  }

  async sendBlob(digest: string, destination: Writable, options: SendBlobOptions = {}): Promise<void> {
    const name = blobName(digest);
    if (options.range !== undefined) assertRange(options.range);
    if (this.driver.openPositional) {
      const reader = await this.driver.openPositional(name);
      if (reader === null) throw new BlobNotFoundError(digest);
      const end = Math.min(options.range?.end ?? reader.size - 1, reader.size - 1);
      try {
        // Two reused buffers per send, from a shared budget: no garbage per chunk (file-pump.ts).
        await pumpFile(reader, destination, { start: options.range?.start ?? 0, end }, options.onChunk);
      } catch (error) {
        destination.destroy();
        throw error;
      }
      return;
    }
    // Streams from a service: backpressure bounds what is buffered; redirects keep bulk traffic away.
    const body = await this.readBlob(digest, options.range);
    const { onChunk } = options;
    if (onChunk) body.on('data', (chunk: Buffer) => onChunk(chunk.length));
    await pipeline(body, destination);
  }

  async blobRedirect(digest: string): Promise<string | null> {
    const name = blobName(digest);
    return this.driver.signedUrl ? this.driver.signedUrl(name) : null;
  }

  async putObject(
    key: string,
    body: Buffer,
    contentType: string,
    opts: PutObjectOptions = {},
  ): Promise<void> {
    assertObjectKey(key);
    assertContentType(contentType);
    await this.driver.put(key, body, contentType, opts.durable === false ? { durable: false } : {});
  }

  async getObject(key: string): Promise<StoredObject | null> {
    assertObjectKey(key);
    return this.driver.get(key);
  }

  async deleteObject(key: string): Promise<void> {
    assertObjectKey(key);
    await this.driver.delete(key);
  }

  async *listObjects(prefix: string): AsyncIterable<ObjectInfo> {
    // A prefix is a key, or the start of one, possibly ending in '/'.
    if (prefix !== '') assertKeyGrammar(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
    for await (const object of this.driver.list(prefix)) {
      if (object.name.startsWith('blobs/') || object.name.startsWith(STAGING_PREFIX)) continue;
      yield { key: object.name, size: object.size, modified: object.modified };
    }
  }

  async *listBlobs(): AsyncIterable<string> {
    for await (const blob of this.listBlobInfo()) yield blob.digest;
  }

  async *listBlobInfo(): AsyncIterable<BlobInfo> {
    for await (const object of this.driver.list(BLOB_PREFIX)) {
      const digest = digestFromBlobName(object.name);
      if (digest !== null) yield { digest, size: object.size, modified: object.modified };
    }
  }

  async deleteBlob(digest: string): Promise<void> {
    await this.driver.delete(blobName(digest));
  }

  async *listStaging(): AsyncIterable<StagingInfo> {
    for await (const object of this.driver.list(STAGING_PREFIX)) {
      yield { name: object.name.slice(STAGING_PREFIX.length), size: object.size, modified: object.modified };
    }
  }

  async stagingSummary(): Promise<StagingSummary> {
    const now = Date.now();
    const summary: StagingSummary = { count: 0, bytes: 0, oldestAgeMs: null };
    for await (const upload of this.listStaging()) {
      summary.count++;
      summary.bytes += upload.size;
      // A clock skewed ahead of ours (a service's) is no negative age.
      const age = Math.max(0, now - upload.modified.getTime());
      if (Number.isFinite(age)) summary.oldestAgeMs = Math.max(summary.oldestAgeMs ?? 0, age);
    }
    return summary;
  }

  async cleanStaging(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for await (const upload of this.listStaging()) {
      if (!(upload.modified.getTime() < cutoff)) continue;
      await this.driver.delete(STAGING_PREFIX + upload.name);
      removed++;
    }
    return removed;
  }
}
