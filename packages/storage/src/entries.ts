// The formats of the JSON records stored beside the blobs (their names are in layout.ts):
// the writers (@nixery/cache, @nixery/builder) and the checker (@nixery/verify) share these.

import { isDigest } from '@nixery/digest';
import { InvalidEntryError } from './errors.js';

/** A layer-cache record (`layers/<key>.json`): the blob a layer build produced. */
export interface LayerCacheEntry {
  /** sha256 of the gzip blob, `sha256:<hex>`. */
  digest: string;
  /** sha256 of the uncompressed tar, `sha256:<hex>`. */
  diffId: string;
  /** Bytes of the gzip blob. */
  size: number;
  mediaType: string;
}

/**
 * Checks a parsed layer-cache record and keeps exactly its four fields (callers may pass more).
 * Throws InvalidEntryError naming the first field that is wrong.
 */
export function parseLayerCacheEntry(value: unknown): LayerCacheEntry {
  const entry = value as Partial<LayerCacheEntry> | null;
  const wrong =
    typeof entry !== 'object' || entry === null
      ? 'not an object'
      : typeof entry.digest !== 'string' || !isDigest(entry.digest)
        ? 'no valid "digest"'
        : typeof entry.diffId !== 'string' || !isDigest(entry.diffId)
          ? 'no valid "diffId"'
          : typeof entry.size !== 'number' || !Number.isSafeInteger(entry.size) || entry.size < 0
            ? 'no valid "size"'
            : typeof entry.mediaType !== 'string' || entry.mediaType.length === 0
              ? 'no valid "mediaType"'
              : null;
  if (wrong !== null || entry === null) {
    throw new InvalidEntryError(`not a layer cache entry (${wrong}): ${JSON.stringify(value)}`, wrong ?? '');
  }
  return {
    digest: entry.digest as string,
    diffId: entry.diffId as string,
    size: entry.size as number,
    mediaType: entry.mediaType as string,
  };
}

/** A manifest as an image record names it. */
export interface ManifestRef {
  digest: string;
  mediaType: string;
  size: number;
}

export interface LayerRecord {
  digest: string;
  diffId: string;
  size: number;
  /** The grouping's content key (or the root layer's), which the layer cache is indexed by. */
  key: string;
  /** How many store paths the layer holds; 0 for the image-root layer. */
  pathCount: number;
}

/**
 * A manifest-cache record (`manifests/<key>.json`): what a built image is, as cached and as
 * served; everything the registry needs to answer.
 */
export interface ImageRecord {
  /** Canonical image name, e.g. `arm64/shell`. */
  name: string;
  arch: 'amd64' | 'arm64';
  packages: string[];
  manifests: { docker: ManifestRef; oci: ManifestRef };
  config: { digest: string; size: number };
  layers: LayerRecord[];
  /**
   * OCI 1.1 referrers (the SBOM's artifact manifests) per subject manifest digest, Docker and OCI.
   * Absent in records cached before SBOMs were made.
   */
  referrers?: Record<string, ReferrerRecord[]>;
}

/**
 * One referrer as stored (in an image record, and as a list under `referrers/sha256/<hex>`): the
 * descriptor of a manifest whose `subject` is that digest, as the referrers API lists it.
 */
export interface ReferrerRecord {
  mediaType: string;
  digest: string;
  size: number;
  artifactType: string;
  annotations?: Record<string, string>;
}

/**
 * Checks a parsed referrers list (`referrers/sha256/<hex>`) and keeps exactly the fields of each
 * descriptor. Throws InvalidEntryError naming what is wrong.
 */
export function parseReferrerRecords(value: unknown): ReferrerRecord[] {
  const invalid = (reason: string) => new InvalidEntryError(`not a referrers list (${reason})`, reason);
  if (!Array.isArray(value)) throw invalid('not an array');
  return value.map((item: unknown) => {
    const r = item as Partial<ReferrerRecord> | null;
    if (typeof r !== 'object' || r === null) throw invalid('an entry is not an object');
    if (typeof r.digest !== 'string' || !isDigest(r.digest)) throw invalid('no valid "digest"');
    if (typeof r.mediaType !== 'string' || r.mediaType === '') throw invalid('no valid "mediaType"');
    if (typeof r.size !== 'number' || !Number.isSafeInteger(r.size) || r.size < 0)
      throw invalid('no valid "size"');
    if (typeof r.artifactType !== 'string' || r.artifactType === '') throw invalid('no valid "artifactType"');
    const annotations = r.annotations;
    if (
      annotations !== undefined &&
      (typeof annotations !== 'object' ||
        annotations === null ||
        !Object.values(annotations).every((v) => typeof v === 'string'))
    )
      throw invalid('no valid "annotations"');
    return {
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      artifactType: r.artifactType,
      ...(annotations !== undefined ? { annotations: { ...annotations } } : {}),
    };
  });
}

/** A blob a stored record points to; `size` when the record states one. */
export interface BlobReference {
  digest: string;
  size?: number;
}

/**
 * The manifests (by digest) and blobs a parsed image record names, for checking they are all
 * stored. Throws InvalidEntryError when the value is not an image record.
 */
export function imageRecordReferences(value: unknown): { manifests: string[]; blobs: BlobReference[] } {
  const record = value as {
    manifests?: Record<string, { digest?: unknown } | null>;
    config?: { digest?: unknown; size?: unknown };
    layers?: unknown;
  } | null;
  const invalid = (reason: string) => new InvalidEntryError(reason, reason);
  const manifests =
    typeof record?.manifests === 'object' && record.manifests !== null
      ? Object.values(record.manifests).map((m) => m?.digest)
      : [];
  const layers = Array.isArray(record?.layers)
    ? (record.layers as ({ digest?: unknown; size?: unknown } | null)[])
    : null;
  if (manifests.length === 0 || layers === null)
    throw invalid('not an image record with manifests and layers');
  if (!manifests.every((d): d is string => typeof d === 'string' && isDigest(d)))
    throw invalid('a manifest digest is invalid');
  const blobs: BlobReference[] = [];
  for (const blob of [record?.config, ...layers]) {
    if (typeof blob?.digest !== 'string' || !isDigest(blob.digest)) throw invalid('a blob digest is invalid');
    blobs.push(
      typeof blob.size === 'number' ? { digest: blob.digest, size: blob.size } : { digest: blob.digest },
    );
  }
  return { manifests, blobs };
}

/** When a manifest was last served (`served/sha256/<hex>`); written by the registry, read by GC. */
export interface ServedRecord {
  /** ISO 8601 time. */
  servedAt: string;
}

/** The time a parsed served record states; throws InvalidEntryError for anything else. */
export function parseServedRecord(value: unknown): Date {
  const servedAt = (value as Partial<ServedRecord> | null)?.servedAt;
  const time = typeof servedAt === 'string' ? Date.parse(servedAt) : Number.NaN;
  if (!Number.isFinite(time)) throw new InvalidEntryError('not a served record', 'no valid "servedAt"');
  return new Date(time);
}

/** What a stored manifest points to: its blobs, the manifests an index lists, its OCI 1.1 subject. */
export interface ManifestReferences {
  /** Config and layer blobs (an image or artifact manifest); empty for an index. */
  blobs: BlobReference[];
  /** The manifests an image index lists. */
  manifests: string[];
  /** The manifest this one refers to (`subject`), or null. */
  subject: string | null;
}

/**
 * The references of a parsed Docker schema 2 / OCI manifest or image index. Throws
 * InvalidEntryError when a descriptor is malformed or the value is neither.
 */
export function manifestReferences(value: unknown): ManifestReferences {
  const invalid = (reason: string) => new InvalidEntryError(reason, reason);
  const manifest = value as {
    config?: unknown;
    layers?: unknown;
    manifests?: unknown;
    subject?: unknown;
  } | null;
  if (typeof manifest !== 'object' || manifest === null) throw invalid('not a manifest');
  const descriptor = (d: unknown): BlobReference => {
    const ref = d as { digest?: unknown; size?: unknown } | null;
    if (typeof ref?.digest !== 'string' || !isDigest(ref.digest) || typeof ref.size !== 'number')
      throw invalid('a descriptor has no valid digest and size');
    return { digest: ref.digest, size: ref.size };
  };
  const subject = manifest.subject === undefined ? null : descriptor(manifest.subject).digest;
  if (Array.isArray(manifest.manifests) && manifest.config === undefined) {
    return { blobs: [], manifests: manifest.manifests.map((m) => descriptor(m).digest), subject };
  }
  if (manifest.config === undefined || !Array.isArray(manifest.layers))
    throw invalid('not an image manifest with a config and a layers list of descriptors, nor an index');
  return { blobs: [manifest.config, ...manifest.layers].map(descriptor), manifests: [], subject };
}
