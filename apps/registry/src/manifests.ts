import { negotiateIndexFormat, negotiateManifestFormat } from '@nixery/manifest';
import type { Request, Response } from 'express';
import { RegistryError, registryErrorFrom } from './errors.js';
import { isReferrersTag, serveReferrersTag } from './referrers.js';
import { isDigest, looksLikeDigest } from './routing.js';
import type { ImageService } from './services.js';

/**
 * The digest a tag request is answered with: the image index of the format the client names
 * (a Docker list or an OCI index) when it accepts one and the instance serves several platforms,
 * else the single image manifest of the negotiated format (the host platform's).
 */
async function manifestDigestFor(
  images: ImageService,
  name: string,
  tag: string,
  accept: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const indexFormat = negotiateIndexFormat(accept);
  if (indexFormat !== null) {
    const index = await images.getImageIndex(name, tag, { signal });
    if (index !== null) return index.manifests[indexFormat].digest;
  }
  const image = await images.getImage(name, tag, { signal });
  return image.manifests[negotiateManifestFormat(accept)].digest;
}

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
): Promise<void> {
  // Before the builder: such a tag is a subject's referrers index, never a package-source ref.
  if (isReferrersTag(reference)) return serveReferrersTag(images, req, res, reference);
  let digest: string;
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
      digest = await manifestDigestFor(images, name, reference, req.get('accept'), gone.signal);
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
  res.status(200);
  res.setHeader('Content-Type', manifest.mediaType);
  res.setHeader('Content-Length', manifest.bytes.length);
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('ETag', `"${digest}"`);
  res.end(req.method === 'HEAD' ? undefined : manifest.bytes);
}
