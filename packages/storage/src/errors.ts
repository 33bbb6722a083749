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
