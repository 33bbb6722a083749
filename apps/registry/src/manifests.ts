import { type ImageBuilder, ImageError } from '@nixery/builder';
import { negotiateManifestFormat } from '@nixery/manifest';
import type { Request, Response } from 'express';
import { RegistryError } from './errors.js';
import { isDigest, looksLikeDigest } from './routing.js';

/**
 * GET/HEAD of a manifest by tag (builds on demand, or answers from a cache) or by digest (any
 * manifest this storage holds). HEAD runs the same lookup, so both give the same digest.
 */
export async function serveManifest(
  builder: ImageBuilder,
  req: Request,
  res: Response,
  name: string,
  reference: string,
): Promise<void> {
  let digest: string;
  if (looksLikeDigest(reference)) {
    if (!isDigest(reference)) {
      throw new RegistryError(
        400,
        'DIGEST_INVALID',
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
      const image = await builder.getImage(name, reference, { signal: gone.signal });
      const format = negotiateManifestFormat(req.get('accept'));
      digest = image.manifests[format].digest;
    } catch (error) {
      // Nobody is left to answer.
      if (gone.signal.aborted) return;
      // OCI distribution 1.1: a reference that is neither a tag nor a digest names no manifest.
      if (error instanceof ImageError && error.reason === 'invalid-tag')
        throw new RegistryError(404, 'MANIFEST_UNKNOWN', error.message, error.detail);
      if (error instanceof ImageError)
        throw new RegistryError(error.status, error.code, error.message, error.detail);
      throw error;
    } finally {
      res.off('close', onClose);
    }
  }

  const manifest = await builder.getManifest(digest);
  if (!manifest) throw new RegistryError(404, 'MANIFEST_UNKNOWN', `manifest ${digest} is not known here`);
  res.status(200);
  res.setHeader('Content-Type', manifest.mediaType);
  res.setHeader('Content-Length', manifest.bytes.length);
  res.setHeader('Docker-Content-Digest', digest);
  res.setHeader('ETag', `"${digest}"`);
  res.end(req.method === 'HEAD' ? undefined : manifest.bytes);
}
