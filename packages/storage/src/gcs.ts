import { readFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket, File } from '@google-cloud/storage';
import { BlobStore, DEFAULT_BLOB_CONTENT_TYPE } from './blob-store.js';
import type { ListedObject, ObjectStat, SmallObject, StorageDriver } from './driver.js';
import { InvalidArgumentError } from './errors.js';
import { loadGcsSdk } from './lazy-sdk.js';
import type { ByteRange } from './types.js';

export interface GcsStorageOptions {
  bucket: string;
  /** Service-account key file; defaults to GOOGLE_APPLICATION_CREDENTIALS, then ambient credentials. */
  credentialsFile?: string;
  /** Lifetime of signed blob URLs; default 300 s, at most 7 days (the V4 limit). */
  signedUrlTtlSeconds?: number;
}

const DEFAULT_SIGNED_URL_TTL_SECONDS = 300;
const MAX_SIGNED_URL_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Objects in a Google Cloud Storage bucket, under the same names as on a filesystem. GCS has no
 * rename: a move is a server-side copy and a delete. STORAGE_EMULATOR_HOST is honoured by the
 * client library itself.
 */
export class GcsDriver implements StorageDriver {
  readonly kind = 'gcs';
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
    const client = new (loadGcsSdk().Storage)(
      this.credentialsFile ? { keyFilename: this.credentialsFile } : {},
    );
    this.bucket = client.bucket(options.bucket);
  }

  get description(): string {
    return `GCS bucket ${this.bucket.name}`;
  }

  async upload(name: string, data: Readable | Buffer, contentType: string): Promise<void> {
    if (Buffer.isBuffer(data)) {
      await this.put(name, data, contentType);
      return;
    }
    // One streamed request (no resumable session): a layer that fails mid-way is rebuilt from
    // Nix anyway, and it saves the round trip that opens a session.
    await pipeline(data, this.bucket.file(name).createWriteStream({ resumable: false, contentType }));
  }

  async put(name: string, body: Buffer, contentType: string): Promise<void> {
    await this.bucket.file(name).save(body, { resumable: false, contentType });
  }

  async get(name: string): Promise<SmallObject | null> {
    try {
      const [metadata] = await this.bucket.file(name).getMetadata();
      // Read the generation we saw, so body and content type belong together.
      const generation = metadata.generation === undefined ? undefined : Number(metadata.generation);
      const [body] = await this.bucket.file(name, generation === undefined ? {} : { generation }).download();
      return { body, contentType: metadata.contentType ?? DEFAULT_BLOB_CONTENT_TYPE };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async stat(name: string): Promise<ObjectStat | null> {
    try {
      const [metadata] = await this.bucket.file(name).getMetadata();
      return {
        size: Number(metadata.size),
        contentType: metadata.contentType ?? null,
        modified: objectTime(metadata),
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async read(name: string, range?: ByteRange): Promise<Readable | null> {
    const stream = this.bucket.file(name).createReadStream({
      // Clients check the sha256 digest themselves; skip the library's crc32c pass.
      validation: false,
      decompress: false,
      ...(range === undefined ? {} : { start: range.start, end: range.end }),
    });
    return (await waitForResponse(stream)) ? stream : null;
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    for await (const item of this.bucket.getFilesStream({ prefix })) {
      const file = item as File;
      yield { name: file.name, size: Number(file.metadata.size ?? 0), modified: objectTime(file.metadata) };
    }
  }

  async delete(name: string): Promise<void> {
    await this.bucket.file(name).delete({ ignoreNotFound: true });
  }

  async move(from: string, to: string): Promise<void> {
    await this.bucket.file(from).copy(this.bucket.file(to));
    await this.delete(from);
  }

  async signedUrl(name: string): Promise<string | null> {
    if (!(await this.signingPossible())) return null;
    const [url] = await this.bucket.file(name).getSignedUrl({
      version: 'v4',
      action: 'read',
      expires: Date.now() + this.signedUrlTtlSeconds * 1000,
    });
    return url;
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

/** The blob store over a Cloud Storage bucket. */
export class GcsStorage extends BlobStore {
  readonly bucket: Bucket;

  constructor(options: GcsStorageOptions) {
    const driver = new GcsDriver(options);
    super(driver);
    this.bucket = driver.bucket;
  }
}

/** Last write of an object (GCS objects are immutable: a rewrite is a new generation). */
function objectTime(metadata: { updated?: string; timeCreated?: string }): Date {
  return new Date(Date.parse(metadata.updated ?? metadata.timeCreated ?? '') || 0);
}

/**
 * The library only sends the request once someone reads. Start it now and wait for the
 * status, so a missing object is known here (false; the registry answers 404) instead of
 * failing mid-response.
 */
function waitForResponse(stream: Readable): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onResponse = (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status === 404) {
        abandon(stream);
        resolve(false);
      } else if (status < 400) {
        stream.off('error', onError);
        resolve(true);
      }
      // Other failures: the library destroys the stream with a descriptive error next.
    };
    const onError = (error: unknown) => {
      stream.off('response', onResponse);
      abandon(stream);
      if (isNotFound(error)) resolve(false);
      else reject(error);
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
