import { isDigest } from '@nixery/digest';

/** Invalid input to, or invalid JSON for, an image config or manifest. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Throws ManifestError unless `value` is a `sha256:<64 hex>` digest; `what` names the field. */
export function assertDigest(value: unknown, what: string): asserts value is string {
  if (!isDigest(value))
    throw new ManifestError(`${what} must be a sha256 digest (sha256:<64 hex>), got ${String(value)}`);
}
