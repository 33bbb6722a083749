import { sha256Digest } from '@nixery/digest';

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** A referrer as the referrers API lists it: its manifest's descriptor, artifact type and annotations. */
export interface ReferrerDescriptor extends Descriptor {
  artifactType: string;
  annotations?: Record<string, string>;
}

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX_MEDIA_TYPE = 'application/vnd.oci.image.index.v1+json';

/** OCI 1.1's empty descriptor: the config of an artifact that has none. Its bytes are `{}`. */
export const EMPTY_CONFIG_BYTES = Buffer.from('{}');
export const EMPTY_CONFIG: Descriptor & { data: string } = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: sha256Digest(EMPTY_CONFIG_BYTES),
  size: EMPTY_CONFIG_BYTES.length,
  data: EMPTY_CONFIG_BYTES.toString('base64'),
};

export interface ArtifactManifest {
  bytes: Buffer;
  digest: string;
  mediaType: typeof OCI_MANIFEST_MEDIA_TYPE;
  /** How the referrers API lists it. */
  referrer: ReferrerDescriptor;
}

/**
 * An OCI 1.1 artifact manifest: an image manifest with `artifactType`, the empty config, the
 * artifact's blob as its one layer, and `subject` naming the manifest it is about.
 */
export function buildArtifactManifest(options: {
  artifactType: string;
  blob: Descriptor;
  subject: Descriptor;
  annotations?: Record<string, string>;
}): ArtifactManifest {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    artifactType: options.artifactType,
    config: EMPTY_CONFIG,
    layers: [descriptorOf(options.blob)],
    subject: descriptorOf(options.subject),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = sha256Digest(bytes);
  return {
    bytes,
    digest,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    referrer: {
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      digest,
      size: bytes.length,
      artifactType: options.artifactType,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
  };
}

/**
 * The referrers API's answer (and the fallback tag's manifest): an OCI image index of the
 * referrers, only those of `artifactType` (or of any of several) when given. Sorted by digest so
 * it is reproducible.
 */
export function buildReferrersIndex(
  referrers: readonly ReferrerDescriptor[],
  artifactType?: string | readonly string[],
): { bytes: Buffer; digest: string; mediaType: typeof OCI_INDEX_MEDIA_TYPE } {
  const wanted =
    artifactType === undefined
      ? null
      : new Set(typeof artifactType === 'string' ? [artifactType] : artifactType);
  const manifests = referrers
    .filter((r) => wanted === null || wanted.has(r.artifactType))
    .map((r) => ({ ...r }))
    .sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX_MEDIA_TYPE, manifests }));
  return { bytes, digest: sha256Digest(bytes), mediaType: OCI_INDEX_MEDIA_TYPE };
}

function descriptorOf({ mediaType, digest, size }: Descriptor): Descriptor {
  return { mediaType, digest, size };
}
