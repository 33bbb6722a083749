/**
 * Why an image request did not produce an image. Each caller maps a reason to its own way of
 * reporting it (the registry to an HTTP status and error code, the CLI to an exit code), each
 * in one table, so this package says nothing about HTTP.
 */
export type ImageFailureReason =
  | 'invalid-name'
  | 'invalid-tag'
  | 'tag-not-served'
  | 'unknown-packages'
  | 'packages-removed'
  | 'packages-refused'
  | 'evaluation-failed'
  | 'unsupported-system'
  | 'timeout'
  | 'build-failed'
  | 'forest-limit'
  | 'nix-missing'
  /** Storage refused or failed a read or write while the image was stored. */
  | 'storage-failed'
  /** Storage was out of reach or overloaded (refused, reset, timed out, 5xx): worth retrying. */
  | 'storage-unavailable'
  /** Anything else nobody expected: a bug, not a property of the request. */
  | 'internal';

export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly reason: ImageFailureReason,
    message: string,
    /** The data a report needs beyond the message (package names, the Nix log tail, …). */
    readonly detail: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
