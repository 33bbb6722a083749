import type { ServerResponse } from 'node:http';
import { ImageError, type ImageFailureReason } from '@nixery/builder';
import { RequestError } from '@nixery/source';
import { AdmissionRefusedError } from './admission.js';

/** The distribution spec's error codes this registry answers with. */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'UNSUPPORTED'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'TOOMANYREQUESTS';

/** Every way a registry request can fail: an image request's reasons, and the protocol's own. */
export type RegistryFailureReason =
  | ImageFailureReason
  | 'digest-invalid'
  | 'manifest-not-stored'
  | 'blob-unknown'
  | 'range-unsatisfiable'
  | 'method-not-offered'
  | 'body-refused'
  /** A referrers query's `artifactType` that is not a media type. */
  | 'filter-invalid'
  | 'no-endpoint'
  /** `/builds/<id>` of a build the board does not know (never was, or no longer kept). */
  | 'build-unknown'
  | 'unauthenticated'
  | 'throttled'
  /** The build queue is full (admission.ts): retry after a while. */
  | 'queue-full'
  /** The server is shutting down and starts no build; another instance, or this one restarted, will. */
  | 'draining'
  /** An unexpected failure while a blob was served (its code names the blob route). */
  | 'blob-internal'
  | 'blob-unavailable';

/**
 * The one table from a failure's reason to the HTTP status and error code the client gets.
 * 4xx: the request is the client's to change; 5xx: the server or its package set is at fault.
 */
export const FAILURE_RESPONSES: Readonly<
  Record<RegistryFailureReason, { status: number; code: RegistryErrorCode }>
> = {
  'invalid-name': { status: 400, code: 'NAME_INVALID' },
  // OCI distribution 1.1: a reference that is neither a tag nor a digest names no manifest.
  'invalid-tag': { status: 404, code: 'MANIFEST_UNKNOWN' },
  'tag-not-served': { status: 404, code: 'MANIFEST_UNKNOWN' },
  'unknown-packages': { status: 404, code: 'MANIFEST_UNKNOWN' },
  'packages-removed': { status: 404, code: 'MANIFEST_UNKNOWN' },
  // Policy (unfree, broken, insecure): the name is understood and refused.
  'packages-refused': { status: 403, code: 'DENIED' },
  // The package set is at fault, not the name.
  'evaluation-failed': { status: 500, code: 'MANIFEST_UNKNOWN' },
  // UNSUPPORTED: a valid name this registry will not serve (a foreign system, an oversized root).
  'unsupported-system': { status: 400, code: 'UNSUPPORTED' },
  'forest-limit': { status: 400, code: 'UNSUPPORTED' },
  timeout: { status: 504, code: 'MANIFEST_UNKNOWN' },
  'build-failed': { status: 500, code: 'MANIFEST_UNKNOWN' },
  'nix-missing': { status: 503, code: 'MANIFEST_UNKNOWN' },
  'storage-failed': { status: 500, code: 'MANIFEST_UNKNOWN' },
  // The storage service is out of reach for now: the client may retry (Retry-After).
  'storage-unavailable': { status: 503, code: 'MANIFEST_UNKNOWN' },
  internal: { status: 500, code: 'MANIFEST_UNKNOWN' },
  'digest-invalid': { status: 400, code: 'DIGEST_INVALID' },
  'manifest-not-stored': { status: 404, code: 'MANIFEST_UNKNOWN' },
  'blob-unknown': { status: 404, code: 'BLOB_UNKNOWN' },
  'range-unsatisfiable': { status: 416, code: 'BLOB_UNKNOWN' },
  'method-not-offered': { status: 405, code: 'UNSUPPORTED' },
  'body-refused': { status: 400, code: 'UNSUPPORTED' },
  'filter-invalid': { status: 400, code: 'UNSUPPORTED' },
  'no-endpoint': { status: 404, code: 'NAME_UNKNOWN' },
  'build-unknown': { status: 404, code: 'NAME_UNKNOWN' },
  unauthenticated: { status: 401, code: 'UNAUTHORIZED' },
  throttled: { status: 429, code: 'TOOMANYREQUESTS' },
  'queue-full': { status: 429, code: 'TOOMANYREQUESTS' },
  // The spec's codes have none for "try elsewhere"; the manifest is what could not be had.
  draining: { status: 503, code: 'MANIFEST_UNKNOWN' },
  'blob-internal': { status: 500, code: 'BLOB_UNKNOWN' },
  'blob-unavailable': { status: 503, code: 'BLOB_UNKNOWN' },
};

/**
 * Retry-After of the reasons that always mean "try again shortly": storage out of reach, for
 * long enough for a blip to pass. (Admission refusals compute theirs per refusal.)
 */
const RETRY_AFTER_SECONDS: Partial<Record<RegistryFailureReason, number>> = {
  'storage-unavailable': 10,
  'blob-unavailable': 10,
};

/** A failure to report in the registry protocol's JSON error format; status and code follow the reason. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly status: number;
  readonly code: RegistryErrorCode;
  /** Sent as Retry-After when set; the reason's own (RETRY_AFTER_SECONDS) unless changed. */
  retryAfterSeconds: number | null;
  constructor(
    readonly reason: RegistryFailureReason,
    message: string,
    readonly detail: unknown = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
    ({ status: this.status, code: this.code } = FAILURE_RESPONSES[reason]);
    this.retryAfterSeconds = RETRY_AFTER_SECONDS[reason] ?? null;
  }
}

/** A library's domain error as the registry reports it, or null for an error nobody expected. */
export function registryErrorFrom(error: unknown): RegistryError | null {
  if (error instanceof RegistryError) return error;
  if (error instanceof ImageError) {
    return new RegistryError(error.reason, error.message, error.detail, { cause: error.cause });
  }
  if (error instanceof RequestError) return new RegistryError(error.reason, error.message);
  if (error instanceof AdmissionRefusedError) {
    const refused = new RegistryError(error.reason, error.message, {
      retryAfterSeconds: error.retryAfterSeconds,
    });
    refused.retryAfterSeconds = error.retryAfterSeconds;
    return refused;
  }
  return null;
}

/** Writes `{"errors":[{code, message, detail}]}` with the given status (no body for HEAD). */
export function sendRegistryError(res: ServerResponse, error: RegistryError): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = JSON.stringify({
    errors: [{ code: error.code, message: error.message, detail: error.detail }],
  });
  res.statusCode = error.status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (error.retryAfterSeconds !== null) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  if (error.code === 'UNAUTHORIZED' && !res.getHeader('WWW-Authenticate')) {
    res.setHeader('WWW-Authenticate', 'Basic realm="nixery"');
  }
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}
