import { buildImageIndex, type ManifestFormat } from '@nixery/manifest';
import { type Platform, platformName } from '@nixery/source';
import { ImageError } from './errors.js';
import type { ImageRecord, ManifestRef } from './image-record.js';

// An image index: one image per served platform, each its own Nix build and grouping, and the
// rules for which platforms are left out of it.

/** A platform left out of an index, and why (the log and the front page show it). */
export interface OmittedPlatform {
  platform: string;
  reason: string;
  message: string;
}

/** A built index: its documents (a Docker manifest list and an OCI index) and what they list. */
export interface ImageIndexRecord {
  name: string;
  packages: string[];
  manifests: Record<ManifestFormat, ManifestRef>;
  images: { platform: Platform; image: ImageRecord }[];
  omitted: OmittedPlatform[];
}

/**
 * Whether a platform's failure means "this platform cannot be built here" rather than "this
 * image cannot be built": Nix has no builder for the system, or the package set itself says a
 * package is not available on that platform (nixpkgs' meta.platforms). Anything else (an unknown
 * package, a failing build, a timeout) is the request's failure and fails the whole index.
 */
export function platformCannotBuild(error: ImageError): boolean {
  if (error.reason === 'unsupported-system') return true;
  if (error.reason !== 'packages-refused') return false;
  const problems = error.detail.problems;
  return (
    Array.isArray(problems) &&
    problems.length > 0 &&
    problems.every((p) => (p as { refusal?: unknown }).refusal === 'unsupported-platform')
  );
}

/**
 * The outcome of every platform's build → the images to list and the platforms left out, or the
 * error to fail with: the first platform's own failure (in the served order), or, when no
 * platform can be built, one error naming each platform and why.
 */
export function collectPlatformImages(
  name: string,
  outcomes: { platform: Platform; result: PromiseSettledResult<ImageRecord> }[],
): { images: { platform: Platform; image: ImageRecord }[]; omitted: OmittedPlatform[] } {
  const images: { platform: Platform; image: ImageRecord }[] = [];
  const omitted: OmittedPlatform[] = [];
  for (const { platform, result } of outcomes) {
    if (result.status === 'fulfilled') {
      images.push({ platform, image: result.value });
      continue;
    }
    const error = result.reason;
    if (!(error instanceof ImageError) || !platformCannotBuild(error)) throw error;
    omitted.push({ platform: platformName(platform), reason: error.reason, message: error.message });
  }
  if (images.length === 0) {
    const why = omitted.map((o) => `${o.platform}: ${o.message}`).join('; ');
    throw new ImageError('unsupported-system', `no platform this registry serves can build ${name}: ${why}`, {
      platforms: omitted,
    });
  }
  return { images, omitted };
}

/** The two index documents (Docker list → Docker manifests, OCI index → OCI manifests). */
export function buildPlatformIndexes(images: { platform: Platform; image: ImageRecord }[]) {
  const entries = (format: ManifestFormat) =>
    images.map(({ platform, image }) => ({
      ...image.manifests[format],
      platform: {
        os: platform.os,
        architecture: platform.architecture,
        ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
      },
    }));
  return {
    docker: buildImageIndex('docker', entries('docker')),
    oci: buildImageIndex('oci', entries('oci')),
  };
}
