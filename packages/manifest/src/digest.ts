import { createHash } from 'node:crypto';

const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST_PATTERN.test(value);
}

export function assertDigest(value: unknown, what: string): asserts value is string {
  if (!isDigest(value))
    throw new ManifestError(`${what} must be a sha256 digest (sha256:<64 hex>), got ${String(value)}`);
}

/** Invalid input to, or invalid JSON for, an image config or manifest. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}
