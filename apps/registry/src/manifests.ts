import { negotiateManifestFormat } from '@nixery/manifest';
import type { Request, Response } from 'express';
import { RegistryError, registryErrorFrom } from './errors.js';
import { isReferrersTag, serveReferrersTag } from './referrers.js';
import { isDigest, looksLikeDigest } from './routing.js';
import type { ImageService } from './services.js';

/**
 * GET/HEAD of a manifest by tag (builds on demand, or answers from a cache) or by digest (any
 * manifest this storage holds). HEAD runs the same lookup, so both give the same digest.
 */
export async function serveManifest(
  images: ImageService,
  req: Request,
  res: Response,
  name: string,
  reference: string,
  onServed?: (digest: string) => void,
): Promise<void> {
  // Before the builder: such a tag is a subject's referrers index, never a package-source ref.
  if (isReferrersTag(reference)) return serveReferrersTag(images, req, res, reference);
  let digest: string;
  let manifest: { bytes: Buffer; mediaType: string } | null;
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
    ({ digest, manifest } = resolved);
  }
  if (!manifest) throw new RegistryError('manifest-not-stored', `manifest ${digest} is not known here`);
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
): Promise<{ digest: string; manifest: { bytes: Buffer; mediaType: string } | null } | null> {
  // The client going away (the response closing before it is sent) stops waiting; the
  // builder aborts the shared build once no request waits for it.
  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) gone.abort(new Error('the client closed the connection'));
  };
  res.once('close', onClose);
  try {
    const format = negotiateManifestFormat(req.get('accept'));
    const options = { signal: gone.signal, ...(req.id !== undefined ? { requestId: String(req.id) } : {}) };
    let digest = (await images.getImage(name, tag, options)).manifests[format].digest;
    let manifest = await images.getManifest(digest);
    if (!manifest && images.forgetImage) {
      await images.forgetImage(name, tag);
      digest = (await images.getImage(name, tag, options)).manifests[format].digest;
      manifest = await images.getManifest(digest);
    }
    return { digest, manifest };
  } catch (error) {
    if (gone.signal.aborted) return null;
    throw registryErrorFrom(error) ?? error;
  } finally {
    res.off('close', onClose);
  }
}
