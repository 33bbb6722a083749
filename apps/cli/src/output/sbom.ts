import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { ImageBuilder, ImageRecord } from '@nixery/builder';
import { CliError, EXIT } from '../exit-codes.js';
import type { ExportableImage } from './blobs.js';

/** The image's SBOM referrer (of its OCI manifest) as an exporter needs it. */
export async function sbomReferrer(
  builder: ImageBuilder,
  record: ImageRecord,
): Promise<ExportableImage & { artifactType: string }> {
  const referrer = record.referrers?.[record.manifests.oci.digest]?.[0];
  const stored = referrer ? await builder.getManifest(referrer.digest) : null;
  if (!referrer || !stored)
    throw new CliError(
      EXIT.failure,
      'the cached image has no SBOM (it was built before SBOMs were made); remove the cache folder and build again',
    );
  const manifest = JSON.parse(stored.bytes.toString('utf8')) as ExportableImage & {
    layers: { digest: string; size: number }[];
  };
  return {
    artifactType: referrer.artifactType,
    manifest: { bytes: stored.bytes, digest: referrer.digest, mediaType: stored.mediaType },
    config: { digest: manifest.config.digest, size: manifest.config.size },
    layers: manifest.layers.map(({ digest, size }) => ({ digest, size })),
  };
}

/** Streams the SBOM document to `file` (written whole or not at all). */
export async function writeSbomFile(
  builder: ImageBuilder,
  referrer: ExportableImage,
  file: string,
): Promise<void> {
  const document = referrer.layers[0];
  if (!document) throw new CliError(EXIT.failure, 'the SBOM artifact has no document');
  const temporary = `${file}.${process.pid}.partial`;
  try {
    await pipeline(await builder.storage.readBlob(document.digest), createWriteStream(temporary));
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
