/** Base class so callers can catch every storage error with one `instanceof`. */
export class StorageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The uploaded bytes do not hash to the digest the caller promised; nothing was stored. */
export class DigestMismatchError extends StorageError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    readonly size: number,
  ) {
    super(`digest mismatch: expected ${expected}, got ${actual} (${size} bytes)`);
  }
}

/** A digest that is not `sha256:` followed by 64 lowercase hex digits. */
export class InvalidDigestError extends StorageError {
  constructor(readonly digest: string) {
    super(`invalid digest ${JSON.stringify(digest)}: expected sha256:<64 lowercase hex digits>`);
  }
}

/** An object key outside the allowed grammar (or under a reserved prefix). */
export class InvalidKeyError extends StorageError {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid object key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** An argument that is neither a digest nor a key but still wrong (a range, a content type). */
export class InvalidArgumentError extends StorageError {}

export class BlobNotFoundError extends StorageError {
  constructor(readonly digest: string) {
    super(`blob ${digest} not found`);
  }
}

/** A stored record (layer-cache entry, image record) that does not have its documented shape. */
export class InvalidEntryError extends StorageError {
  constructor(
    message: string,
    /** What is wrong, without the record's content. */
    readonly reason: string,
  ) {
    super(message);
  }
}

/** Socket and name-resolution failures: the service did not answer, not that it refused. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** A service's answers that mean "not now" (501 Not Implemented never changes). */
const UNAVAILABLE_STATUSES = new Set([500, 502, 503, 504]);

/**
 * Whether `error` (or one of its causes) says the storage service is out of reach or
 * overloaded for now (a connection refused or reset, a timeout, a 5xx or throttling answer
 * from S3 or GCS), so the same request may succeed later; a full disk, a refused key or a
 * digest mismatch is not.
 */
export function isStorageUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e != null && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const candidate = e as {
      code?: unknown;
      name?: unknown;
      $metadata?: { httpStatusCode?: unknown };
    };
    if (typeof candidate.code === 'string' && UNREACHABLE_CODES.has(candidate.code)) return true;
    // GCS (gaxios) errors carry the HTTP status as a numeric code.
    if (typeof candidate.code === 'number' && UNAVAILABLE_STATUSES.has(candidate.code)) return true;
    // The AWS SDK: the response's status; its names for a timeout and for throttling.
    const status = candidate.$metadata?.httpStatusCode;
    if (typeof status === 'number' && UNAVAILABLE_STATUSES.has(status)) return true;
    if (candidate.name === 'TimeoutError' || candidate.name === 'SlowDown') return true;
  }
  return false;
}
