import { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { BlobStore, DEFAULT_BLOB_CONTENT_TYPE } from './blob-store.js';
import type { ListedObject, ObjectStat, SmallObject, StorageDriver } from './driver.js';
import { InvalidArgumentError } from './errors.js';
import { loadAwsSdk } from './lazy-sdk.js';
import type { ByteRange } from './types.js';

export interface S3StorageOptions {
  bucket: string;
  /** The bucket's region; defaults to the SDK's (AWS_REGION, then the shared config files). */
  region?: string;
  /** A custom endpoint for services other than AWS, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key`; most non-AWS services need it. */
  forcePathStyle?: boolean;
  /** Serve blobs by a presigned redirect (default true); false streams them through the server. */
  presignedUrls?: boolean;
  /** Lifetime of presigned URLs; default 300 s, at most 7 days (the SigV4 limit). */
  signedUrlTtlSeconds?: number;
  /** Fixed credentials (tests); by default the SDK's standard chain (environment, files, roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

const DEFAULT_SIGNED_URL_TTL_SECONDS = 300;
const MAX_SIGNED_URL_TTL_SECONDS = 7 * 24 * 3600;
/**
 * Multipart uploads buffer up to queueSize parts per upload (plus the one being filled): 8 MiB
 * parts, two in flight, keep a layer upload near 24 MiB whatever its size. A blob smaller than
 * one part goes up as a single PutObject.
 */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;
const UPLOAD_QUEUE_SIZE = 2;

/**
 * Objects in an S3 bucket (AWS or any S3-compatible service), under the same names as on a
 * filesystem. S3 has no rename: a move is a server-side CopyObject and a delete (single-request
 * copies stop at 5 GB; no layer comes near that).
 */
export class S3Driver implements StorageDriver {
  readonly kind = 's3';
  /** Loaded with the first S3 driver: a server on other storage never pays its memory. */
  private readonly aws = loadAwsSdk();
  readonly client: S3Client;
  readonly bucket: string;
  private readonly presignedUrls: boolean;
  private readonly signedUrlTtlSeconds: number;

  constructor(options: S3StorageOptions) {
    if (!options.bucket) throw new InvalidArgumentError('an S3 bucket name is required');
    const ttl = options.signedUrlTtlSeconds ?? DEFAULT_SIGNED_URL_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_SIGNED_URL_TTL_SECONDS) {
      throw new InvalidArgumentError(
        `signedUrlTtlSeconds must be 1..${MAX_SIGNED_URL_TTL_SECONDS}, got ${ttl}`,
      );
    }
    this.bucket = options.bucket;
    this.presignedUrls = options.presignedUrls ?? true;
    this.signedUrlTtlSeconds = ttl;
    const config: S3ClientConfig = {
      // Only the checksums S3 requires: S3-compatible services often reject the newer
      // trailing-checksum uploads, and every blob's sha256 is checked by the blob store anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(options.region ? { region: options.region } : {}),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    this.client = new this.aws.s3.S3Client(config);
  }

  get description(): string {
    // Shown on the public front page: the bucket's name, not the (possibly internal) endpoint.
    return `S3 bucket ${this.bucket}`;
  }

  async upload(name: string, data: Readable | Buffer, contentType: string): Promise<void> {
    if (Buffer.isBuffer(data)) {
      await this.put(name, data, contentType);
      return;
    }
    // Multipart for large bodies; a failed upload aborts its parts (leavePartsOnError: false).
    const upload = new this.aws.storage.Upload({
      client: this.client,
      // lib-storage reads a `size` or `length` property as the body's byte count (the hashing
      // stream has one that grows): a plain stream of the same chunks has neither.
      params: { Bucket: this.bucket, Key: name, Body: Readable.from(data), ContentType: contentType },
      partSize: UPLOAD_PART_BYTES,
      queueSize: UPLOAD_QUEUE_SIZE,
      leavePartsOnError: false,
    });
    await upload.done();
  }

  async put(name: string, body: Buffer, contentType: string): Promise<void> {
    await this.client.send(
      new this.aws.s3.PutObjectCommand({
        Bucket: this.bucket,
        Key: name,
        Body: body,
        ContentType: contentType,
      }),
    );
  }

  async get(name: string): Promise<SmallObject | null> {
    try {
      // One GET: body and content type belong to the same version of the object.
      const response = await this.client.send(
        new this.aws.s3.GetObjectCommand({ Bucket: this.bucket, Key: name }),
      );
      const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
      return {
        body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        contentType: response.ContentType ?? DEFAULT_BLOB_CONTENT_TYPE,
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async stat(name: string): Promise<ObjectStat | null> {
    try {
      const head = await this.client.send(
        new this.aws.s3.HeadObjectCommand({ Bucket: this.bucket, Key: name }),
      );
      return {
        size: head.ContentLength ?? 0,
        contentType: head.ContentType ?? null,
        modified: head.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async read(name: string, range?: ByteRange): Promise<Readable | null> {
    try {
      // The response (and so a 404) arrives before the body is read.
      const response = await this.client.send(
        new this.aws.s3.GetObjectCommand({
          Bucket: this.bucket,
          Key: name,
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }),
        }),
      );
      return (response.Body as Readable | undefined) ?? Readable.from([]);
    } catch (error) {
      if (isNotFound(error)) return null;
      // A range starting past the end: nothing to read, as on the other drivers.
      if (range !== undefined && statusOf(error) === 416 && (await this.stat(name)) !== null) {
        return Readable.from([]);
      }
      throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    const pages = this.aws.s3.paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: prefix },
    );
    for await (const page of pages) {
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { name: object.Key, size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
      }
    }
  }

  async delete(name: string): Promise<void> {
    // S3 answers 204 for a missing key too.
    await this.client.send(new this.aws.s3.DeleteObjectCommand({ Bucket: this.bucket, Key: name }));
  }

  async move(from: string, to: string): Promise<void> {
    // Names are [a-z0-9._/-] only (layout.ts), so they need no escaping in CopySource.
    await this.client.send(
      new this.aws.s3.CopyObjectCommand({
        Bucket: this.bucket,
        Key: to,
        CopySource: `${this.bucket}/${from}`,
      }),
    );
    await this.delete(from);
  }

  async signedUrl(name: string): Promise<string | null> {
    if (!this.presignedUrls) return null;
    return this.aws.presigner.getSignedUrl(
      this.client,
      new this.aws.s3.GetObjectCommand({ Bucket: this.bucket, Key: name }),
      {
        expiresIn: this.signedUrlTtlSeconds,
      },
    );
  }
}

/** The blob store over an S3 bucket. */
export class S3Storage extends BlobStore {
  readonly client: S3Client;
  readonly bucket: string;

  constructor(options: S3StorageOptions) {
    const driver = new S3Driver(options);
    super(driver);
    this.client = driver.client;
    this.bucket = driver.bucket;
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** A missing key; a missing bucket is a configuration error and must not read as "no blob". */
function isNotFound(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'NoSuchBucket') return false;
  return statusOf(error) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}
