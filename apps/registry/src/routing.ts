/** Parses registry API paths (`/v2/<name>/manifests/<reference>` and friends) into typed routes. */
export type RegistryRoute =
  | { kind: 'base' }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'blob-upload'; name: string }
  | { kind: 'tags'; name: string }
  | { kind: 'catalog' }
  | { kind: 'unknown' };

const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/([^/]+)$/;
const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads(?:\/.*)?$/;
const TAGS = /^\/v2\/(.+)\/tags\/list$/;
const REFERRERS = /^\/v2\/(.+)\/referrers\/([^/]+)$/;

/** `path` is the raw request path: percent-encoding is kept, so `%2f` never becomes a separator. */
export function parseRegistryPath(path: string): RegistryRoute {
  if (path === '/v2' || path === '/v2/') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  let m = UPLOAD.exec(path);
  if (m) return { kind: 'blob-upload', name: m[1]! };
  m = MANIFEST.exec(path);
  if (m) return { kind: 'manifest', name: m[1]!, reference: m[2]! };
  m = BLOB.exec(path);
  if (m) return { kind: 'blob', name: m[1]!, digest: m[2]! };
  m = TAGS.exec(path);
  if (m) return { kind: 'tags', name: m[1]! };
  m = REFERRERS.exec(path);
  if (m) return { kind: 'referrers', name: m[1]!, digest: m[2]! };
  return { kind: 'unknown' };
}

/** Anything shaped like `algorithm:encoded` is meant as a digest, valid or not. */
const DIGEST_SHAPED = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:/i;

export { isDigest } from '@nixery/digest';

export function looksLikeDigest(reference: string): boolean {
  return DIGEST_SHAPED.test(reference);
}
