import type { ReferrerDescriptor } from '@nixery/sbom';

/** What a built image is, as cached and as served: everything the registry needs to answer. */
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
  referrers?: Record<string, ReferrerDescriptor[]>;
}

/** How long each stage of a build took, in milliseconds. */
export interface BuildTimings {
  nixMs: number;
  groupingMs: number;
  layersMs: number;
  totalMs: number;
  layersWritten: number;
  layersReused: number;
}

/** Object key of a manifest stored by digest (manifests live beside blobs, not among them). */
export function manifestObjectKey(digest: string): string {
  return `manifests/sha256/${digest.slice('sha256:'.length)}`;
}

/** Object key of the referrers (a JSON list of descriptors) of the manifest `digest`. */
export function referrersObjectKey(digest: string): string {
  return `referrers/sha256/${digest.slice('sha256:'.length)}`;
}
