import type { Readable, Writable } from 'node:stream';

/** Size and (where the backend records one) content type of a stored blob. */
export interface BlobStat {
  size: number;
  contentType: string | null;
}

/** A byte range of a blob; both ends are inclusive, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface PutObjectOptions {
  /**
   * false: the object may be lost (never torn) if the machine crashes soon after, which saves a
   * filesystem its fsyncs. Only for records that are checked when read and rebuilt when missing
   * (cache records); default true.
   */
  durable?: boolean;
}

export interface PutBlobOptions {
  /** `sha256:<hex>`; when given, a blob whose bytes hash differently is rejected and not stored. */
  expectedDigest?: string;
  contentType?: string;
}

export interface PutBlobResult {
  digest: string;
  size: number;
}

export interface SendBlobOptions {
  /** Only these bytes (clamped to the blob's end, like `readBlob`). */
  range?: ByteRange;
  /** Called with each chunk's size as it is handed to the destination (for byte counters). */
  onChunk?: (bytes: number) => void;
}

/** What lies under `staging/`: uploads in progress, or leftovers of uploads that never finished. */
export interface StagingSummary {
  count: number;
  bytes: number;
  /** Age of the oldest entry (since its last write), ms; null when staging is empty. */
  oldestAgeMs: number | null;
}

export interface StoredObject {
  body: Buffer;
  contentType: string;
}

/** A stored blob as a listing reports it. */
export interface BlobInfo {
  digest: string;
  size: number;
  /** When it was written (an existing blob is never rewritten). */
  modified: Date;
}

/** A keyed object as a listing reports it. */
export interface ObjectInfo {
  key: string;
  /** Bytes as stored (on the filesystem that includes the one-line content-type header). */
  size: number;
  modified: Date;
}

/** An upload in progress, or one a crash left behind. */
export interface StagingInfo {
  /** The name inside the staging folder (`staging/<name>`). */
  name: string;
  size: number;
  /** When it was last written to: a leftover stops changing. */
  modified: Date;
}

/**
 * Content-addressed blobs plus small keyed objects (manifests, cache entries).
 * Blobs live at `blobs/sha256/<hex>`; objects at their key; uploads in progress at `staging/…`
 * (layout.ts has every name).
 */
export interface Storage {
  /** The driver's name (`filesystem`, `gcs`, `s3`, …), for messages only. */
  readonly kind: string;
  /** What holds the data, safe to show publicly: `local folder storage`, `GCS bucket <name>`, `S3 bucket <name>`. */
  readonly description: string;
  /**
   * Streams `data` to a staging name while hashing it, then moves it to its digest's name. A
   * Buffer (a small blob already in memory) is hashed at once and written in one call.
   */
  putBlob(data: Readable | Buffer, opts?: PutBlobOptions): Promise<PutBlobResult>;
  /** null when the blob does not exist. */
  statBlob(digest: string): Promise<BlobStat | null>;
  /** Throws BlobNotFoundError when the blob does not exist. */
  readBlob(digest: string, range?: ByteRange): Promise<Readable>;
  /**
   * Writes the blob (or a range of it) to `destination` and ends it: the way to serve a blob.
   * Throws BlobNotFoundError before writing anything when the blob does not exist; on a later
   * failure, or if the destination closes early, the destination is destroyed and this rejects.
   * Memory stays bounded whatever the number of concurrent sends.
   */
  sendBlob(digest: string, destination: Writable, options?: SendBlobOptions): Promise<void>;
  /** A URL the client may fetch the blob from directly (a signed URL), or null to stream it. */
  blobRedirect(digest: string): Promise<string | null>;
  putObject(key: string, body: Buffer, contentType: string, opts?: PutObjectOptions): Promise<void>;
  /** null when the object does not exist. */
  getObject(key: string): Promise<StoredObject | null>;
  /** Addition to the ARCHITECTURE.md contract (used by @nixery/cache to drop stale entries); a missing object is not an error. */
  deleteObject(key: string): Promise<void>;
  /**
   * Every object whose key starts with `prefix` (`layers/`, `manifests/`; '' for all), never a
   * blob or a staging upload; in no particular order.
   */
  listObjects(prefix: string): AsyncIterable<ObjectInfo>;
  /** Digests (`sha256:<hex>`) of every stored blob, in no particular order. */
  listBlobs(): AsyncIterable<string>;
  /** Every stored blob with its size and time, in no particular order (for garbage collection). */
  listBlobInfo(): AsyncIterable<BlobInfo>;
  /** Deleting a missing blob is not an error. */
  deleteBlob(digest: string): Promise<void>;
  /** What is in the staging folder: uploads in progress and leftovers of crashed ones. */
  listStaging(): AsyncIterable<StagingInfo>;
  /** Removes staging leftovers older than `olderThanMs`; returns how many were removed. */
  cleanStaging(olderThanMs: number): Promise<number>;
  /** Counts what is under staging (as cleanStaging would see it), so leftovers can be reported. */
  stagingSummary(): Promise<StagingSummary>;
}
