import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Bucket, type File, Storage as GcsClient } from '@google-cloud/storage';
import { DigestStream } from '@nixery/digest';
import { BlobNotFoundError, DigestMismatchError, InvalidArgumentError } from './errors.js';
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

export interface GcsStorageOptions {
  bucket: string;
  /** Service-account key file; defaults to GOOGLE_APPLICATION_CREDENTIALS, then ambient credentials. */
  credentialsFile?: string;
  /** Lifetime of signed blob URLs; default 300 s, at most 7 days (the V4 limit). */
  signedUrlTtlSeconds?: number;
}

const DEFAULT_SIGNED_URL_TTL_SECONDS = 300;
const MAX_SIGNED_URL_TTL_SECONDS = 7 * 24 * 3600;
const DEFAULT_BLOB_CONTENT_TYPE = 'application/octet-stream';

/**
 * Blobs and objects in a Google Cloud Storage bucket, under the same names as on a
 * filesystem. GCS has no rename: an upload goes to `staging/<uuid>`, is copied to its
 * digest's name server-side, and the staging object is deleted. STORAGE_EMULATOR_HOST
 * is honoured by the client library itself.
 */
export class GcsStorage implements Storage {
  readonly kind = 'gcs' as const;
  readonly bucket: Bucket;
  private readonly signedUrlTtlSeconds: number;
  private readonly credentialsFile: string | undefined;
  private canSign: Promise<boolean> | null = null;

  constructor(options: GcsStorageOptions) {
    if (!options.bucket) throw new InvalidArgumentError('a GCS bucket name is required');
    const ttl = options.signedUrlTtlSeconds ?? DEFAULT_SIGNED_URL_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_SIGNED_URL_TTL_SECONDS) {
      throw new InvalidArgumentError(
        `signedUrlTtlSeconds must be 1..${MAX_SIGNED_URL_TTL_SECONDS}, got ${ttl}`,
      );
    }
    this.signedUrlTtlSeconds = ttl;
    this.credentialsFile = options.credentialsFile ?? process.env.GOOGLE_APPLICATION_CREDENTIALS;
    const client = new GcsClient(this.credentialsFile ? { keyFilename: this.credentialsFile } : {});
    this.bucket = client.bucket(options.bucket);
  }

  async putBlob(data: Readable, opts: PutBlobOptions = {}): Promise<PutBlobResult> {
    if (opts.expectedDigest !== undefined) digestHex(opts.expectedDigest);
    if (opts.contentType !== undefined) assertContentType(opts.contentType);

    const staging = this.bucket.file(newStagingName());
    const digesting = new DigestStream();
    try {
      // One streamed request (no resumable session): a layer that fails mid-way is rebuilt
      // from Nix anyway, and it saves the round trip that opens a session.
      const upload = staging.createWriteStream({
        resumable: false,
        contentType: opts.contentType ?? DEFAULT_BLOB_CONTENT_TYPE,
      });
      await pipeline(data, digesting, upload);

      const result = digesting.summary();
      if (opts.expectedDigest !== undefined && opts.expectedDigest !== result.digest) {
        throw new DigestMismatchError(opts.expectedDigest, result.digest, result.size);
      }
      const target = this.bucket.file(blobName(result.digest));
      const [alreadyStored] = await target.exists();
      // Same digest, same bytes: an existing blob is kept as it is.
      if (!alreadyStored) await staging.copy(target);
      return result;
    } finally {
      await staging.delete({ ignoreNotFound: true }).catch(() => {
        // Best effort; cleanStaging removes whatever a failed delete leaves behind.
      });
    }
  }

  async statBlob(digest: string): Promise<BlobStat | null> {
    const file = this.bucket.file(blobName(digest));
    try {
      const [metadata] = await file.getMetadata();
      return { size: Number(metadata.size), contentType: metadata.contentType ?? null };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async readBlob(digest: string, range?: ByteRange): Promise<Readable> {
    const file = this.bucket.file(blobName(digest));
    if (range !== undefined) assertRange(range);
    const stream = file.createReadStream({
      // Clients check the sha256 digest themselves; skip the library's crc32c pass.
      validation: false,
      decompress: false,
      ...(range === undefined ? {} : { start: range.start, end: range.end }),
    });
    await waitForResponse(stream, digest);
    return stream;
  }

  async sendBlob(digest: string, destination: Writable, options: SendBlobOptions = {}): Promise<void> {
    const body = await this.readBlob(digest, options.range);
    const { onChunk } = options;
    if (onChunk) body.on('data', (chunk: Buffer) => onChunk(chunk.length));
    // The library's stream allocates per chunk; signed-URL redirects keep bulk traffic off this path.
    await pipeline(body, destination);
  }

  async blobRedirect(digest: string): Promise<string | null> {
    const file = this.bucket.file(blobName(digest));
    if (!(await this.signingPossible())) return null;
    const [url] = await file.getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: Date.now() + this.signedUrlTtlSeconds * 1000,
    });
    return url;
  }

  async putObject(key: string, body: Buffer, contentType: string): Promise<void> {
    assertObjectKey(key);
    assertContentType(contentType);
    await this.bucket.file(key).save(body, { resumable: false, contentType });
  }

  async getObject(key: string): Promise<StoredObject | null> {
    assertObjectKey(key);
    try {
      const [metadata] = await this.bucket.file(key).getMetadata();
      // Read the generation we saw, so body and content type belong together.
      const generation = metadata.generation === undefined ? undefined : Number(metadata.generation);
      const [body] = await this.bucket.file(key, generation === undefined ? {} : { generation }).download();
      return { body, contentType: metadata.contentType ?? DEFAULT_BLOB_CONTENT_TYPE };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async deleteObject(key: string): Promise<void> {
    assertObjectKey(key);
    await this.bucket.file(key).delete({ ignoreNotFound: true });
  }

  async *listBlobs(): AsyncIterable<string> {
    for await (const file of this.bucket.getFilesStream({ prefix: BLOB_PREFIX })) {
      const digest = digestFromBlobName((file as File).name);
      if (digest !== null) yield digest;
    }
  }

  async deleteBlob(digest: string): Promise<void> {
    await this.bucket.file(blobName(digest)).delete({ ignoreNotFound: true });
  }

  async cleanStaging(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for await (const item of this.bucket.getFilesStream({ prefix: STAGING_PREFIX })) {
      const file = item as File;
      const created = Date.parse(file.metadata.timeCreated ?? '');
      if (!(created < cutoff)) continue;
      await file.delete({ ignoreNotFound: true });
      removed++;
    }
    return removed;
  }

  async stagingSummary(): Promise<StagingSummary> {
    const now = Date.now();
    const summary: StagingSummary = { count: 0, bytes: 0, oldestAgeMs: null };
    for await (const item of this.bucket.getFilesStream({ prefix: STAGING_PREFIX })) {
      const { metadata } = item as File;
      summary.count++;
      summary.bytes += Number(metadata.size ?? 0) || 0;
      const written = Date.parse(metadata.updated ?? metadata.timeCreated ?? '');
      if (Number.isFinite(written)) {
        summary.oldestAgeMs = Math.max(summary.oldestAgeMs ?? 0, Math.max(0, now - written));
      }
    }
    return summary;
  }

  /** Signing needs a private key; only a service-account key file has one (Nixery does the same). */
  private signingPossible(): Promise<boolean> {
    this.canSign ??= (async () => {
      if (!this.credentialsFile) return false;
      try {
        const key = JSON.parse(await readFile(this.credentialsFile, 'utf8')) as Record<string, unknown>;
        return typeof key.private_key === 'string' && typeof key.client_email === 'string';
      } catch {
        return false;
      }
    })();
    return this.canSign;
  }
}

/**
 * The library only sends the request once someone reads. Start it now and wait for the
 * status, so a missing blob throws here (and maps to 404) instead of failing mid-response.
 */
function waitForResponse(stream: Readable, digest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status === 404) {
        abandon(stream);
        reject(new BlobNotFoundError(digest));
      } else if (status < 400) {
        stream.off('error', onError);
        resolve();
      }
      // Other failures: the library destroys the stream with a descriptive error next.
    };
    const onError = (error: unknown) => {
      stream.off('response', onResponse);
      abandon(stream);
      reject(isNotFound(error) ? new BlobNotFoundError(digest) : error);
    };
    stream.once('response', onResponse);
    stream.once('error', onError);
    stream.read(0);
  });
}

/** Stops a stream nobody will read; the library may still report its error body later. */
function abandon(stream: Readable): void {
  stream.removeAllListeners('error');
  stream.on('error', () => {});
  stream.destroy();
}

function isNotFound(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 404;
}
