import type { Writable } from 'node:stream';
import type { ReferrerDescriptor } from '@nixery/sbom';

/** The digests of an image's manifests, one per format a client may negotiate. */
export interface ImageManifests {
  manifests: { docker: { digest: string }; oci: { digest: string } };
}

/**
 * What the manifest and referrers routes need: images by name and tag (built on demand), manifests
 * by digest, and the referrers of a manifest.
 */
export interface ImageService {
  /** Rejects with an ImageError for anything the request or the build got wrong. */
  getImage(
    name: string,
    tag: string,
    options: { signal?: AbortSignal; requestId?: string },
  ): Promise<ImageManifests>;
  /**
   * Drops what the caches hold for `name:tag`, so the next getImage builds it again (its stored
   * manifests were deleted, by garbage collection on any instance).
   */
  forgetImage?(name: string, tag: string): Promise<void>;
  /** null when no manifest with that digest is stored. */
  getManifest(digest: string): Promise<{ bytes: Buffer; mediaType: string } | null>;
  /** The descriptors of the manifests whose `subject` is `digest` (OCI 1.1); [] when none are known. */
  getReferrers(digest: string): Promise<ReferrerDescriptor[]>;
}

/** What the blob route needs from storage. */
export interface BlobStore {
  /** null when the blob does not exist. */
  statBlob(digest: string): Promise<{ size: number } | null>;
  /** Writes the blob's bytes `range.start..range.end` (inclusive) to `destination` and ends it. */
  sendBlob(
    digest: string,
    destination: Writable,
    options: { range: { start: number; end: number }; onChunk?: (bytes: number) => void },
  ): Promise<void>;
  /** A URL the client may fetch the blob from directly, or null to stream it. */
  blobRedirect(digest: string): Promise<string | null>;
}
