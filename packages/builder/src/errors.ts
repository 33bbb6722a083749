/**
 * Errors an image request can end in, each already mapped to the registry protocol's error code
 * and HTTP status, so every caller (the registry, the CLI) reports the same thing the same way.
 */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'TAG_INVALID'
  | 'UNSUPPORTED'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'TOOMANYREQUESTS';

/** Why a build did not produce an image; also the CLI's exit-code classes. */
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
  | 'storage-failed';

export class ImageError extends Error {
  override readonly name = 'ImageError';
  constructor(
    readonly reason: ImageFailureReason,
    readonly code: RegistryErrorCode,
    readonly status: number,
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
