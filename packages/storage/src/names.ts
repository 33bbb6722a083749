// The grammar of what callers hand in: digests, object keys, ranges, content types. Nothing that
// fails these checks is ever turned into a storage name (layout.ts builds the names).
import { digestHex as hexOfDigest, isDigest } from '@nixery/digest';
import { InvalidArgumentError, InvalidDigestError, InvalidKeyError } from './errors.js';
import type { ByteRange } from './types.js';

const KEY_SEGMENT_PATTERN = /^[a-z0-9._-]+$/;
const MAX_KEY_LENGTH = 1024; // GCS's limit on object names (S3's is 1024 bytes too)

/**
 * The hex part of a digest, throwing storage's own InvalidDigestError (a StorageError) unless
 * `digest` is `sha256:<64 lowercase hex>`.
 */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new InvalidDigestError(String(digest));
  return hexOfDigest(digest);
}

/**
 * Keys are `[a-z0-9._-]+(/[a-z0-9._-]+)*`; segments made only of dots are refused (`.` and `..`
 * would move around a filesystem). The reserved folders are layout.ts's business.
 */
export function assertKeyGrammar(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidKeyError(String(key), 'empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidKeyError(key, `longer than ${MAX_KEY_LENGTH} characters`);
  for (const segment of key.split('/')) {
    if (segment.length === 0) throw new InvalidKeyError(key, 'empty path segment');
    if (!KEY_SEGMENT_PATTERN.test(segment)) {
      throw new InvalidKeyError(key, 'only a-z, 0-9, ".", "_", "-" and "/" between segments are allowed');
    }
    if (/^\.+$/.test(segment)) throw new InvalidKeyError(key, 'a segment may not consist only of dots');
  }
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
