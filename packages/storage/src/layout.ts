// Every name the registry stores anything under, for every backend alike (one folder tree on disk,
// one namespace in a bucket). Other packages build and read names only through these helpers.
//
//   blobs/sha256/<hex>        a blob: exactly its bytes (layers, configs)
//   staging/<uuid>            an upload in progress, or one a crash left behind
//   manifests/sha256/<hex>    a manifest stored by digest (@nixery/builder)
//   referrers/sha256/<hex>    the referrers of a manifest by its digest: a JSON list of descriptors
//                             (entries.ts; @nixery/builder writes them with an image's SBOM)
//   manifests/<key>.json      a manifest-cache record: a built image (@nixery/cache, entries.ts)
//   layers/<key>.json         a layer-cache record: the blob built for a layer (@nixery/cache, entries.ts)
//   resolutions/<key>.json    what a package name resolved to for a pinned source (@nixery/builder)
//   served/sha256/<hex>       when a manifest was last served: a ServedRecord (entries.ts; the
//                             registry writes it at most once a day per manifest, garbage collection reads it)
import { randomUUID } from 'node:crypto';
import { isDigest } from '@nixery/digest';
import { InvalidKeyError } from './errors.js';
import { assertKeyGrammar, digestHex } from './names.js';

export const BLOB_PREFIX = 'blobs/sha256/';
export const STAGING_PREFIX = 'staging/';
export const LAYER_CACHE_PREFIX = 'layers/';
export const MANIFEST_PREFIX = 'manifests/';
export const NAME_OUTCOME_PREFIX = 'resolutions/';
export const REFERRERS_PREFIX = 'referrers/sha256/';
export const SERVED_PREFIX = 'served/sha256/';
const MANIFEST_BY_DIGEST_PREFIX = `${MANIFEST_PREFIX}sha256/`;
/** Folders only putBlob writes to; no object key may name anything inside them. */
const RESERVED_PREFIXES = ['blobs/', STAGING_PREFIX];
/** The folders of keyed objects that verify and garbage collection walk (walk.ts). */
export const OBJECT_PREFIXES = [
  LAYER_CACHE_PREFIX,
  MANIFEST_PREFIX,
  REFERRERS_PREFIX,
  SERVED_PREFIX,
] as const;

const CACHE_KEY_PATTERN = /^[a-f0-9]{64}$/;
const HEX64 = '[a-f0-9]{64}';
const LAYER_RECORD_KEY = new RegExp(`^${LAYER_CACHE_PREFIX}(${HEX64})\\.json$`);
const IMAGE_RECORD_KEY = new RegExp(`^${MANIFEST_PREFIX}(${HEX64})\\.json$`);
const MANIFEST_BY_DIGEST_KEY = new RegExp(`^${MANIFEST_BY_DIGEST_PREFIX}(${HEX64})$`);
const REFERRERS_KEY = new RegExp(`^${REFERRERS_PREFIX}(${HEX64})$`);
const SERVED_KEY = new RegExp(`^${SERVED_PREFIX}(${HEX64})$`);

/** The storage name of a blob: `blobs/sha256/<hex>`. */
export function blobName(digest: string): string {
  return BLOB_PREFIX + digestHex(digest);
}

/** The digest stored under a blob name, or null for anything else in that folder. */
export function digestFromBlobName(name: string): string | null {
  if (!name.startsWith(BLOB_PREFIX)) return null;
  const digest = `sha256:${name.slice(BLOB_PREFIX.length)}`;
  return isDigest(digest) ? digest : null;
}

/** A fresh staging name; random so that concurrent uploads never share one. */
export function newStagingName(): string {
  return STAGING_PREFIX + randomUUID();
}

/** Object keys follow the key grammar and stay out of the blob and staging folders. */
export function assertObjectKey(key: string): void {
  assertKeyGrammar(key);
  for (const prefix of RESERVED_PREFIXES) {
    if (key.startsWith(prefix)) throw new InvalidKeyError(key, `the ${prefix} folder is reserved for blobs`);
  }
}

/** True for the sha256-hex keys the layer and manifest caches are indexed by. */
export function isCacheKey(key: string): boolean {
  return typeof key === 'string' && CACHE_KEY_PATTERN.test(key);
}

/** `manifests/sha256/<hex>`: a manifest stored by digest (beside the blobs, not among them). */
export function manifestObjectKey(digest: string): string {
  return MANIFEST_BY_DIGEST_PREFIX + digestHex(digest);
}

/** `referrers/sha256/<hex>`: the referrers (descriptors of manifests whose subject it is) of a manifest. */
export function referrersObjectKey(digest: string): string {
  return REFERRERS_PREFIX + digestHex(digest);
}

/** `served/sha256/<hex>`: when the manifest with that digest was last served (a ServedRecord). */
export function servedObjectKey(digest: string): string {
  return SERVED_PREFIX + digestHex(digest);
}

/** `layers/<key>.json`: the layer-cache record of a layer key. */
export function layerCacheObjectKey(cacheKey: string): string {
  return `${LAYER_CACHE_PREFIX}${checkedCacheKey(cacheKey)}.json`;
}

/** `manifests/<key>.json`: the manifest-cache record (built image) of a manifest cache key. */
export function manifestCacheObjectKey(cacheKey: string): string {
  return `${MANIFEST_PREFIX}${checkedCacheKey(cacheKey)}.json`;
}

/** `resolutions/<key>.json`: what a name resolved to (attribute, derivation, outputs) or why not, for a pinned source. */
export function nameOutcomeObjectKey(cacheKey: string): string {
  return `${NAME_OUTCOME_PREFIX}${checkedCacheKey(cacheKey)}.json`;
}

function checkedCacheKey(cacheKey: string): string {
  if (!isCacheKey(cacheKey))
    throw new InvalidKeyError(String(cacheKey), 'a cache key is 64 lowercase hex digits');
  return cacheKey;
}

export type StoredObjectKind =
  | { kind: 'layer-entry'; cacheKey: string }
  | { kind: 'image-record'; cacheKey: string }
  | { kind: 'manifest'; digest: string }
  | { kind: 'referrers'; subject: string }
  | { kind: 'served'; digest: string }
  | { kind: 'other' };

/** What an object key holds, judged by its name alone. */
export function classifyObjectKey(key: string): StoredObjectKind {
  let m = LAYER_RECORD_KEY.exec(key);
  if (m) return { kind: 'layer-entry', cacheKey: m[1] as string };
  m = MANIFEST_BY_DIGEST_KEY.exec(key);
  if (m) return { kind: 'manifest', digest: `sha256:${m[1]}` };
  m = IMAGE_RECORD_KEY.exec(key);
  if (m) return { kind: 'image-record', cacheKey: m[1] as string };
  m = REFERRERS_KEY.exec(key);
  if (m) return { kind: 'referrers', subject: `sha256:${m[1]}` };
  m = SERVED_KEY.exec(key);
  if (m) return { kind: 'served', digest: `sha256:${m[1]}` };
  return { kind: 'other' };
}
