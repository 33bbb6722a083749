import { sha256Digest } from '@nixery/digest';
import { canonicalJsonBytes } from './canonical-json.js';
import { assertDigest, ManifestError } from './errors.js';
import { ARCHITECTURES, type Architecture } from './image-config.js';
import { DOCKER_MANIFEST_LIST, type ManifestFormat, MEDIA_TYPES, OCI_INDEX } from './media-types.js';

/** The platform fields of an index entry, as both specs name them. */
export interface IndexPlatform {
  os: 'linux';
  architecture: Architecture;
  variant?: string;
}

/** One per-platform image manifest an index points at. */
export interface IndexEntryInput {
  digest: string;
  size: number;
  /** The manifest's own media type; it must be the index format's single-image type. */
  mediaType: string;
  platform: IndexPlatform;
}

export interface BuiltIndex {
  format: ManifestFormat;
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

interface IndexEntry {
  mediaType: string;
  digest: string;
  size: number;
  platform: IndexPlatform;
}

export interface IndexJson {
  schemaVersion: 2;
  mediaType: string;
  manifests: IndexEntry[];
}

/** The index media type of a format: a Docker manifest list or an OCI image index. */
export const INDEX_MEDIA_TYPES: Readonly<Record<ManifestFormat, string>> = Object.freeze({
  docker: DOCKER_MANIFEST_LIST,
  oci: OCI_INDEX,
});

/** The format an index media type belongs to, or null for anything else. */
export function formatOfIndexType(mediaType: string): ManifestFormat | null {
  if (mediaType === DOCKER_MANIFEST_LIST) return 'docker';
  if (mediaType === OCI_INDEX) return 'oci';
  return null;
}

function checkPlatform(platform: unknown, what: string): IndexPlatform {
  const p = (typeof platform === 'object' && platform !== null ? platform : {}) as Record<string, unknown>;
  if (p.os !== 'linux') throw new ManifestError(`${what}.os must be linux, got ${String(p.os)}`);
  if (!(ARCHITECTURES as readonly unknown[]).includes(p.architecture))
    throw new ManifestError(`${what}.architecture ${String(p.architecture)} is not supported`);
  if (p.variant !== undefined && (typeof p.variant !== 'string' || p.variant === ''))
    throw new ManifestError(`${what}.variant must be a non-empty string`);
  return {
    os: 'linux',
    architecture: p.architecture as Architecture,
    ...(p.variant !== undefined ? { variant: p.variant as string } : {}),
  };
}

/**
 * Builds a Docker manifest list or an OCI image index (canonical JSON) with one entry per
 * platform, in the order given. Every entry must be the format's own image manifest type (a
 * Docker list never points at OCI manifests, nor the other way round), and no platform may
 * appear twice: a client could not tell which to pull.
 */
export function buildImageIndex(format: ManifestFormat, entries: IndexEntryInput[]): BuiltIndex {
  const types = MEDIA_TYPES[format];
  if (!types) throw new ManifestError(`unknown manifest format ${String(format)}`);
  if (entries.length === 0) throw new ManifestError('an image index needs at least one manifest');
  const seen = new Set<string>();
  const manifests = entries.map((entry, index): IndexEntry => {
    const what = `manifests[${index}]`;
    assertDigest(entry.digest, `${what}.digest`);
    if (!Number.isSafeInteger(entry.size) || entry.size < 0)
      throw new ManifestError(`${what}.size must be a non-negative integer, got ${entry.size}`);
    if (entry.mediaType !== types.manifest)
      throw new ManifestError(
        `${what}.mediaType must be ${types.manifest} in a ${format} index, got ${entry.mediaType}`,
      );
    const platform = checkPlatform(entry.platform, `${what}.platform`);
    const key = `${platform.os}/${platform.architecture}/${platform.variant ?? ''}`;
    if (seen.has(key)) throw new ManifestError(`${what}: the platform ${key} is listed twice`);
    seen.add(key);
    return { mediaType: entry.mediaType, digest: entry.digest, size: entry.size, platform };
  });
  const json: IndexJson = { schemaVersion: 2, mediaType: INDEX_MEDIA_TYPES[format], manifests };
  const bytes = canonicalJsonBytes(json);
  return { format, bytes, digest: sha256Digest(bytes), mediaType: json.mediaType };
}

/**
 * Parses a Docker manifest list or OCI image index and checks that it does not mix the formats'
 * media types and that every entry names its platform.
 */
export function parseImageIndex(bytes: Uint8Array | string): IndexJson & { format: ManifestFormat } {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new ManifestError(`image index is not JSON: ${(error as Error).message}`);
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (record.schemaVersion !== 2) throw new ManifestError('image index schemaVersion must be 2');
  const format = typeof record.mediaType === 'string' ? formatOfIndexType(record.mediaType) : null;
  if (!format) throw new ManifestError(`unsupported image index mediaType ${String(record.mediaType)}`);
  if (!Array.isArray(record.manifests)) throw new ManifestError('image index manifests must be a list');
  const manifestType = MEDIA_TYPES[format].manifest;
  const manifests = record.manifests.map((item: unknown, index): IndexEntry => {
    const what = `manifests[${index}]`;
    const d = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    if (d.mediaType !== manifestType)
      throw new ManifestError(
        `${what}.mediaType must be ${manifestType} in a ${format} index, got ${String(d.mediaType)}`,
      );
    assertDigest(d.digest, `${what}.digest`);
    if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
      throw new ManifestError(`${what}.size must be a non-negative integer`);
    return {
      mediaType: manifestType,
      digest: d.digest,
      size: d.size,
      platform: checkPlatform(d.platform, `${what}.platform`),
    };
  });
  return { format, schemaVersion: 2, mediaType: INDEX_MEDIA_TYPES[format], manifests };
}
