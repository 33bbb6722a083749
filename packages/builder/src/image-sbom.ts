import {
  buildArtifactManifest,
  buildSpdxDocument,
  EMPTY_CONFIG,
  EMPTY_CONFIG_BYTES,
  type SbomSource,
  SPDX_MEDIA_TYPE,
} from '@nixery/sbom';
import type { ResolvedSource } from '@nixery/source';
import type { Storage } from '@nixery/storage';
import {
  type ImageRecord,
  manifestObjectKey,
  type ReferrerRecord,
  referrersObjectKey,
} from './image-record.js';
import type { ImagePlan } from './pipeline.js';

const SBOM_ANNOTATIONS = {
  'org.opencontainers.image.description': "SPDX 2.3 SBOM of the image's Nix closure",
};

/** The image's SBOM as stored: its blob's digest and size. */
export interface StoredSbom {
  digest: string;
  size: number;
}

/**
 * Stores the image's SBOM blob (and the empty config its artifact manifests name). It needs only
 * the plan, not the layers, so it is written while the layers are.
 */
export async function storeImageSbom(
  storage: Storage,
  plan: Pick<ImagePlan, 'request' | 'source' | 'closure' | 'layers'>,
): Promise<StoredSbom> {
  // Exactly the store paths the layers hold (the root layer only links into them).
  const inLayers = new Set(plan.layers.flatMap((layer) => layer.paths));
  const sbom = buildSpdxDocument({
    imageName: plan.request.name,
    arch: plan.request.arch,
    closure: plan.closure.graph.graph.filter((entry) => inLayers.has(entry.path)),
    requested: plan.closure.packages.flatMap((p) => p.outPaths.map((path) => ({ name: p.name, path }))),
    source: sbomSource(plan.source),
  });
  await putBlobOnce(storage, sbom.bytes, sbom.digest, SPDX_MEDIA_TYPE);
  await putBlobOnce(storage, EMPTY_CONFIG_BYTES, EMPTY_CONFIG.digest, EMPTY_CONFIG.mediaType);
  return { digest: sbom.digest, size: sbom.bytes.length };
}

/**
 * One OCI artifact manifest per image manifest (a client may hold the Docker or the OCI digest)
 * whose `subject` is that manifest and whose blob is the stored SBOM. Returns the referrers per
 * subject digest, which are also stored under `referrers/…` for lookups by digest alone.
 */
export async function writeSbomReferrers(
  storage: Storage,
  sbom: StoredSbom,
  manifests: ImageRecord['manifests'],
): Promise<Record<string, ReferrerRecord[]>> {
  const referrers: Record<string, ReferrerRecord[]> = {};
  for (const subject of [manifests.oci, manifests.docker]) {
    const artifact = buildArtifactManifest({
      artifactType: SPDX_MEDIA_TYPE,
      blob: { mediaType: SPDX_MEDIA_TYPE, digest: sbom.digest, size: sbom.size },
      subject,
      annotations: SBOM_ANNOTATIONS,
    });
    await storage.putObject(manifestObjectKey(artifact.digest), artifact.bytes, artifact.mediaType);
    const ofSubject = [artifact.referrer];
    referrers[subject.digest] = ofSubject;
    await storage.putObject(
      referrersObjectKey(subject.digest),
      Buffer.from(JSON.stringify(ofSubject)),
      'application/json',
    );
  }
  return referrers;
}

/** The source as the SBOM names it: what was asked of Nix, minus a local set's host path. */
function sbomSource(resolved: ResolvedSource): SbomSource {
  const arg = JSON.parse(resolved.nixArg) as { channel?: string; url?: string; rev?: string; ref?: string };
  switch (resolved.kind) {
    case 'path':
      return { kind: 'path' };
    case 'channel':
      return { kind: 'channel', channel: arg.channel ?? '' };
    case 'git':
      return {
        kind: 'git',
        url: arg.url ?? '',
        ...(arg.rev !== undefined ? { rev: arg.rev } : {}),
        ...(arg.ref !== undefined ? { ref: arg.ref } : {}),
      };
  }
}

/** A warm rebuild writes nothing new. */
async function putBlobOnce(
  storage: Storage,
  bytes: Buffer,
  digest: string,
  contentType: string,
): Promise<void> {
  if (await storage.statBlob(digest)) return;
  await storage.putBlob(bytes, { expectedDigest: digest, contentType });
}
