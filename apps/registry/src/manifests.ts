import { negotiateManifestFormat } from '@nixery/manifest';
import type { Request, Response } from 'express';
import { RegistryError, registryErrorFrom } from './errors.js';
import { isReferrersTag, serveReferrersTag } from './referrers.js';
import { isDigest, looksLikeDigest } from './routing.js';
import type { ImageService } from './services.js';
import type { WarmManifestRoute } from './warm-manifests.js';

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
): Promise<void> {
  // Before the builder: such a tag is a subject's referrers index, never a package-source ref.
  if (isReferrersTag(reference)) return serveReferrersTag(images, req, res, reference);
  let digest: string;
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
  } else {
    // The client going away (the response closing before it is sent) stops waiting; the
    // builder aborts the shared build once no request waits for it.
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) gone.abort(new Error('the client closed the connection'));
    };
    res.once('close', onClose);
    try {
      const image = await images.getImage(name, reference, { signal: gone.signal });
      const negotiated = negotiateManifestFormat(req.get('accept'));
      digest = image.manifests[negotiated].digest;
      format = negotiated;
      // A service that does not say how long the answer holds is asked every time.
      reuseUntil = image.reuseUntil ?? 0;
    } catch (error) {
      // Nobody is left to answer.
      if (gone.signal.aborted) return;
      throw registryErrorFrom(error) ?? error;
    } finally {
      res.off('close', onClose);
    }
  }

  const manifest = await images.getManifest(digest);
  if (!manifest) throw new RegistryError('manifest-not-stored', `manifest ${digest} is not known here`);
  warm?.remember(name, reference, format, digest, manifest, reuseUntil);
  res.status(200);
  res.setHeader('Content-Type', manifest.mediaType);
  res.setHeader('Content-Length', manifest.bytes.length);
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('ETag', `"${digest}"`);
  res.end(req.method === 'HEAD' ? undefined : manifest.bytes);
}
