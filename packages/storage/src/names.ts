// Everything that turns caller input into a storage name goes through here, so that
// no digest, key or range can name anything outside the blob/object namespaces.
import { randomUUID } from 'node:crypto';
import { digestHex as hexOfDigest, isDigest } from '@nixery/digest';
import { InvalidArgumentError, InvalidDigestError, InvalidKeyError } from './errors.js';
import type { ByteRange } from './types.js';

export const BLOB_PREFIX = 'blobs/sha256/';
export const STAGING_PREFIX = 'staging/';

const KEY_SEGMENT_PATTERN = /^[a-z0-9._-]+$/;
const MAX_KEY_LENGTH = 1024; // GCS's limit on object names
const RESERVED_PREFIXES = ['blobs/', 'staging/'];

/**
 * The hex part of a digest, throwing storage's own InvalidDigestError (a StorageError) unless
 * `digest` is `sha256:<64 lowercase hex>`.
 */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new InvalidDigestError(String(digest));
  return hexOfDigest(digest);
}

/** The storage name of a blob: `blobs/sha256/<hex>`. */
export function blobName(digest: string): string {
  return BLOB_PREFIX + digestHex(digest);
}

/** The digest stored under a blob name, or null for anything else in that folder. */
export function digestFromBlobName(name: string): string | null {
  if (!name.startsWith(BLOB_PREFIX)) return null;
  const digest = `sha256:${name.slice(BLOB_PREFIX.length)}`;
  return isDigest(digest) ? digest : null;
}

/**
 * Object keys are `[a-z0-9._-]+(/[a-z0-9._-]+)*`; segments made only of dots are refused
 * (`.` and `..` would move around a filesystem), and the blob and staging folders are
 * reserved for putBlob.
 */
export function assertObjectKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(String(key), 'empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(key, `longer than ${MAX_KEY_LENGTH} characters`);
  for (const segment of key.split('/')) {
    if (segment.length === 0) throw new InvalidKeyError(key, 'empty path segment');
    if (!KEY_SEGMENT_PATTERN.test(segment)) {
      throw new InvalidKeyError(key, 'only a-z, 0-9, ".", "_", "-" and "/" between segments are allowed');
    }
    if (/^\.+$/.test(segment)) throw new InvalidKeyError(key, 'a segment may not consist only of dots');
  }
  for (const prefix of RESERVED_PREFIXES) {
    if (key.startsWith(prefix)) throw new InvalidKeyError(key, `the ${prefix} folder is reserved for blobs`);
  }
}

/** A fresh staging name; random so that concurrent uploads never share one. */
export function newStagingName(): string {
  return STAGING_PREFIX + randomUUID();
}

/** Ranges are inclusive and must be non-negative safe integers with start <= end. */
export function assertRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new InvalidArgumentError(`invalid byte range ${start}-${end}`);
  }
}

/** Content types are stored as one header-like line: printable ASCII, no line breaks. */
export function assertContentType(contentType: string): void {
  if (typeof contentType !== 'string' || !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(contentType)) {
    throw new InvalidArgumentError(`invalid content type ${JSON.stringify(contentType)}`);
  }
}
