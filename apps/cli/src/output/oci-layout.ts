import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { assertSummary, DigestStream, digestHex, sha256Digest } from '@nixery/digest';
import { OCI_INDEX } from '@nixery/manifest';
import type { BlobReader, ExportableImage } from './blobs.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

interface IndexDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: IndexDescriptor[];
  [key: string]: unknown;
}

/**
 * Writes (or adds to) an OCI image layout: `oci-layout`, `index.json` naming the manifest by
 * `tag`, and `blobs/sha256/…` for the manifest, config and layers. Blobs already in the layout
 * are kept (content addressed, so equal names mean equal bytes); others are streamed from the
 * reader into a temporary name, checked against their digest, and renamed into place.
 * An existing entry for the same tag is replaced; other tags stay.
 */
export async function writeOciLayout(
  dir: string,
  tag: string,
  image: ExportableImage,
  reader: BlobReader,
): Promise<void> {
  const blobDir = await prepareLayout(dir);
  await writeImageBlobs(blobDir, image, reader);
  await tagInIndex(dir, tag, image.manifest);
}

/**
 * The same for a multi-platform image: every platform's manifest and blobs (a blob the platforms
 * share is written once), the image index, and `index.json` naming the index by `tag`.
 */
export async function writeOciIndexLayout(
  dir: string,
  tag: string,
  index: ExportableImage['manifest'],
  images: ExportableImage[],
  reader: BlobReader,
): Promise<void> {
  const blobDir = await prepareLayout(dir);
  for (const image of images) await writeImageBlobs(blobDir, image, reader);
  await writeManifestBlob(blobDir, index);
  await tagInIndex(dir, tag, index);
}

async function prepareLayout(dir: string): Promise<string> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return blobDir;
}

async function writeManifestBlob(blobDir: string, manifest: ExportableImage['manifest']): Promise<void> {
  if (sha256Digest(manifest.bytes) !== manifest.digest) {
    throw new Error(`manifest bytes do not match ${manifest.digest}`);
  }
  await writeAtomically(join(blobDir, digestHex(manifest.digest)), manifest.bytes);
}

async function writeImageBlobs(blobDir: string, image: ExportableImage, reader: BlobReader): Promise<void> {
  await writeManifestBlob(blobDir, image.manifest);
  const seen = new Set<string>();
  for (const blob of [image.config, ...image.layers]) {
    if (seen.has(blob.digest)) continue;
    seen.add(blob.digest);
    await copyBlob(reader, blob, blobDir);
  }
}

/** `index.json` names `manifest` by `tag`; an existing entry for the tag is replaced. */
async function tagInIndex(dir: string, tag: string, manifest: ExportableImage['manifest']): Promise<void> {
  const indexPath = join(dir, 'index.json');
  const index = await readIndex(indexPath);
  index.manifests = index.manifests.filter((entry) => entry.annotations?.[REF_NAME] !== tag);
  index.manifests.push({
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.bytes.length,
    annotations: { [REF_NAME]: tag },
  });
  await writeAtomically(indexPath, Buffer.from(`${JSON.stringify(index, null, 2)}\n`));
}

/**
 * Adds an OCI 1.1 referrer (an artifact manifest with a `subject`, e.g. the image's SBOM) to a
 * layout: its manifest and blobs, and an `index.json` entry carrying its `artifactType` and no tag,
 * as the image layout spec lists referrers. An entry with the same digest is replaced.
 */
export async function writeOciReferrer(
  dir: string,
  referrer: ExportableImage & { artifactType: string },
  reader: BlobReader,
): Promise<void> {
  const blobDir = join(dir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  if (sha256Digest(referrer.manifest.bytes) !== referrer.manifest.digest) {
    throw new Error(`manifest bytes do not match ${referrer.manifest.digest}`);
  }
  for (const blob of [referrer.config, ...referrer.layers]) await copyBlob(reader, blob, blobDir);
  await writeAtomically(join(blobDir, digestHex(referrer.manifest.digest)), referrer.manifest.bytes);
  const indexPath = join(dir, 'index.json');
  const index = await readIndex(indexPath);
  index.manifests = index.manifests.filter((entry) => entry.digest !== referrer.manifest.digest);
  index.manifests.push({
    mediaType: referrer.manifest.mediaType,
    digest: referrer.manifest.digest,
    size: referrer.manifest.bytes.length,
    artifactType: referrer.artifactType,
  });
  await writeAtomically(indexPath, Buffer.from(`${JSON.stringify(index, null, 2)}\n`));
}

async function readIndex(path: string): Promise<ImageIndex> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
    }
    throw error;
  }
  const index = JSON.parse(text) as ImageIndex;
  if (index === null || typeof index !== 'object' || !Array.isArray(index.manifests)) {
    throw new Error(`${path} is not an OCI image index`);
  }
  return index;
}

async function copyBlob(
  reader: BlobReader,
  blob: { digest: string; size: number },
  blobDir: string,
): Promise<void> {
  const hex = digestHex(blob.digest);
  const target = join(blobDir, hex);
  const existing = await stat(target).catch(() => null);
  if (existing?.isFile() && existing.size === blob.size) return;

  const temporary = join(blobDir, `.${hex}.${process.pid}.partial`);
  const digest = new DigestStream();
  try {
    await pipeline(await reader.readBlob(blob.digest), digest, createWriteStream(temporary));
    // A damaged cache must not be exported.
    assertSummary(digest.summary(), blob);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function writeAtomically(path: string, bytes: Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.partial`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}
