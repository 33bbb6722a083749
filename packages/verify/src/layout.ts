// The storage layout written by the other packages, as verify reads it back:
// @nixery/storage puts blobs at blobs/sha256/<hex>; @nixery/cache writes layers/<key>.json and
// manifests/<key>.json; @nixery/builder writes manifests by digest at manifests/sha256/<hex>.

const HEX64 = '[a-f0-9]{64}';
const LAYER_ENTRY = new RegExp(`^layers/(${HEX64})\\.json$`);
const IMAGE_RECORD = new RegExp(`^manifests/(${HEX64})\\.json$`);
const MANIFEST_BY_DIGEST = new RegExp(`^manifests/sha256/(${HEX64})$`);

export type StoredObjectKind =
  | { kind: 'layer-entry'; cacheKey: string }
  | { kind: 'image-record'; cacheKey: string }
  | { kind: 'manifest'; digest: string }
  | { kind: 'other' };

/** What an object key holds, judged by its name alone. */
export function classifyObjectKey(key: string): StoredObjectKind {
  let m = LAYER_ENTRY.exec(key);
  if (m) return { kind: 'layer-entry', cacheKey: m[1] as string };
  m = MANIFEST_BY_DIGEST.exec(key);
  if (m) return { kind: 'manifest', digest: `sha256:${m[1]}` };
  m = IMAGE_RECORD.exec(key);
  if (m) return { kind: 'image-record', cacheKey: m[1] as string };
  return { kind: 'other' };
}

/** The object key of a manifest stored by digest (as @nixery/builder's manifestObjectKey). */
export function manifestKey(digest: string): string {
  return `manifests/sha256/${digest.slice('sha256:'.length)}`;
}

/** Object prefixes verify walks. */
export const OBJECT_PREFIXES = ['layers/', 'manifests/'] as const;
