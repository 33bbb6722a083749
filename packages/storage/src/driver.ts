import type { Readable } from 'node:stream';
import type { ByteRange } from './types.js';

/** One stored object as a listing reports it. */
export interface ListedObject {
  /** Its full name, e.g. `blobs/sha256/<hex>` or `layers/<key>.json`. */
  name: string;
  /** Bytes as stored. */
  size: number;
  /** When it was last written. */
  modified: Date;
}

export interface ObjectStat {
  size: number;
  /** The content type recorded with it, or null where the service keeps none. */
  contentType: string | null;
  modified: Date;
}

/** A stored object read as a whole, with the content type it was put with. */
export interface SmallObject {
  body: Buffer;
  contentType: string;
}

/** Random-access reads of one object, for the reusable-buffer pump (file-pump.ts). */
export interface PositionalReader {
  readonly size: number;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}

/**
 * What a storage service offers, and nothing more: named objects, put, read, list, delete and
 * move. Names come from layout.ts and have been validated by the blob store above; a driver
 * trusts them (the filesystem driver still checks it stays inside its root). The blob protocol
 * (staging, hashing, digest checks, moving only what is absent, sending with bounded memory) is
 * the blob store's (blob-store.ts), the same for every driver.
 */
export interface StorageDriver {
  /** `filesystem`, `gcs`, `s3`, …: for logs and messages only. */
  readonly kind: string;
  /**
   * What holds the objects, for people and public pages: `local folder storage`, `S3 bucket b`.
   * Never a host path or an endpoint address.
   */
  readonly description: string;
  /**
   * Streams `data` (or writes bytes already in memory) into a new object `name` and resolves
   * once it is durable. Rejects when `data` fails; what was written of `name` may remain (the
   * blob store deletes it).
   */
  upload(name: string, data: Readable | Buffer, contentType: string): Promise<void>;
  /**
   * Writes a small object carrying its content type; a reader sees the old one or the new one
   * whole. `durable: false` allows it to be lost in a crash (services are durable anyway).
   */
  put(name: string, body: Buffer, contentType: string, options?: { durable?: boolean }): Promise<void>;
  /** An object written by `put`; null when absent. */
  get(name: string): Promise<SmallObject | null>;
  /** null when absent. */
  stat(name: string): Promise<ObjectStat | null>;
  /**
   * The object's bytes (an inclusive range, clamped to its end), or null when absent. A missing
   * object is known before this resolves, so callers can answer 404 before sending anything.
   */
  read(name: string, range?: ByteRange): Promise<Readable | null>;
  /**
   * Random-access reads, where the service has them cheaply (a local file). Drivers without it
   * are sent from `read` instead.
   */
  openPositional?(name: string): Promise<PositionalReader | null>;
  /** Every object whose name starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<ListedObject>;
  /** Deleting a missing object is not an error. */
  delete(name: string): Promise<void>;
  /**
   * Makes `from`'s bytes (and content type) available under `to`, replacing `to`: a rename where
   * the service has one, else a server-side copy and a delete: `from` is gone afterwards.
   */
  move(from: string, to: string): Promise<void>;
  /**
   * True where `move` is one local atomic rename: moving over an object that is already there
   * costs no more than asking whether it is, so the blob store skips that question.
   */
  readonly movesByRename?: boolean;
  /**
   * A short-lived URL that serves the object without credentials, or null when this driver is
   * not set up to sign (the registry then streams the blob). Absent: the service has none.
   */
  signedUrl?(name: string): Promise<string | null>;
}
