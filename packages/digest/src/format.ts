/** The one digest form this project reads and writes: `sha256:` and 64 lowercase hex digits. */
const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const HEX_PATTERN = /^[0-9a-f]{64}$/;
const PREFIX = 'sha256:';

/** A value that is not a `sha256:<64 lowercase hex>` digest (or, for formatDigest, not 64 hex digits). */
export class DigestFormatError extends Error {
  constructor(readonly value: string) {
    super(`invalid digest ${JSON.stringify(value)}: expected sha256:<64 lowercase hex digits>`);
    this.name = 'DigestFormatError';
  }
}

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

/** The hex part of a digest; throws DigestFormatError for anything that is not one. */
export function digestHex(digest: string): string {
  if (!isDigest(digest)) throw new DigestFormatError(String(digest));
  return digest.slice(PREFIX.length);
}

/** `sha256:<hex>` from the 64 lowercase hex digits of a sha256. */
export function formatDigest(hex: string): string {
  if (typeof hex !== 'string' || !HEX_PATTERN.test(hex)) throw new DigestFormatError(String(hex));
  return PREFIX + hex;
}
