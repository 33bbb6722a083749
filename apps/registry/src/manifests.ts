import { negotiateIndexFormat, negotiateManifestFormat } from '@nixery/manifest';
import type { Request, Response } from 'express';
import { RegistryError, registryErrorFrom } from './errors.js';
import { isReferrersTag, serveReferrersTag } from './referrers.js';
import { isDigest, looksLikeDigest } from './routing.js';
import type { ImageService } from './services.js';
import { answerFormat, type WarmManifestRoute } from './warm-manifests.js';

/**
 * GET/HEAD of a manifest by tag (builds on demand, or answers from a cache) or by digest (any
 * manifest this storage holds). HEAD runs the same lookup, so both give the same digest. What
 * was answered is remembered in `warm` (by tag for as long as the builder reuses the image).
 */
export async function serveManifest(
  images: ImageService,
  req: Request,
  res: Response,
  name: string,
  reference: string,
  warm?: WarmManifestRoute,
  onServed?: (digest: string) => void,
): Promise<void> {
  // Before the builder: such a tag is a subject's referrers index, never a package-source ref.
  if (isReferrersTag(reference)) return serveReferrersTag(images, req, res, reference);
  let digest: string;
  let manifest: { bytes: Buffer; mediaType: string } | null;
  let format: string | null = null;
  let reuseUntil = Number.POSITIVE_INFINITY;
  if (looksLikeDigest(reference)) {
    if (!isDigest(reference)) {
      throw new RegistryError(
        'digest-invalid',
        `invalid digest "${reference}": expected sha256:<64 hex digits>`,
      );
    }
    digest = reference;
    manifest = await images.getManifest(digest);
  } else {
    const resolved = await manifestForTag(images, req, res, name, reference);
    if (resolved === null) return; // nobody is left to answer
    ({ digest, manifest, format, reuseUntil } = resolved);
  }
  if (!manifest) throw new RegistryError('manifest-not-stored', `manifest ${digest} is not known here`);
  warm?.remember(name, reference, format, digest, manifest, reuseUntil);
  res.status(200);
  res.setHeader('Content-Type', manifest.mediaType);
  res.setHeader('Content-Length', manifest.bytes.length);
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('ETag', `"${digest}"`);
  res.end(req.method === 'HEAD' ? undefined : manifest.bytes);
  onServed?.(digest);
}

/**
 * The image for a tag (built on demand) and its manifest in the negotiated format; null when the
 * client went away. A cached image whose manifests were deleted meanwhile (garbage collection)
 * is forgotten and built once more.
 */
async function manifestForTag(
  images: ImageService,
  req: Request,
  res: Response,
  name: string,
  tag: string,
): Promise<{
  digest: string;
  manifest: { bytes: Buffer; mediaType: string } | null;
  format: string;
  reuseUntil: number;
} | null> {
  // The client going away (the response closing before it is sent) stops waiting; the
  // builder aborts the shared build once no request waits for it.
  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) gone.abort(new Error('the client closed the connection'));
  };
  res.once('close', onClose);
  try {
    const accept = req.get('accept');
    const options = { signal: gone.signal, ...(req.id !== undefined ? { requestId: String(req.id) } : {}) };
    let found = await tagAnswer(images, name, tag, accept, options);
    let manifest = await images.getManifest(found.digest);
    if (!manifest && images.forgetImage) {
      await images.forgetImage(name, tag);
      found = await tagAnswer(images, name, tag, accept, options);
      manifest = await images.getManifest(found.digest);
    }
    return { ...found, manifest, format: answerFormat(accept) };
  } catch (error) {
    if (gone.signal.aborted) return null;
    throw registryErrorFrom(error) ?? error;
  } finally {
    res.off('close', onClose);
  }
}

/**
 * What a tag answers for this `Accept`: the image index when the client accepts one and several
 * platforms are served, else the image's manifest in the negotiated format. A service that does
 * not say how long the answer holds (`reuseUntil`) is asked every time.
 */
async function tagAnswer(
  images: ImageService,
  name: string,
  tag: string,
  accept: string | undefined,
  options: { signal: AbortSignal; requestId?: string },
): Promise<{ digest: string; reuseUntil: number }> {
  const indexFormat = negotiateIndexFormat(accept);
  if (indexFormat !== null) {
    const index = await images.getImageIndex(name, tag, options);
    if (index !== null)
      return { digest: index.manifests[indexFormat].digest, reuseUntil: index.reuseUntil ?? 0 };
  }
  const image = await images.getImage(name, tag, options);
  return {
    digest: image.manifests[negotiateManifestFormat(accept)].digest,
    reuseUntil: image.reuseUntil ?? 0,
  };
}
