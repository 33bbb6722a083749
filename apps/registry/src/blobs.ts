import type { Request, Response } from 'express';
import { RegistryError } from './errors.js';
import type { RegistryMetrics } from './metrics.js';
import { parseRange } from './range.js';
import { isDigest } from './routing.js';
import type { BlobStore } from './services.js';

/** GET/HEAD of a blob: a redirect where storage can sign one, else a (ranged) stream. */
export async function serveBlob(
  blobs: BlobStore,
  metrics: RegistryMetrics,
  req: Request,
  res: Response,
  digest: string,
): Promise<void> {
  if (!isDigest(digest)) {
    throw new RegistryError('digest-invalid', `invalid digest "${digest}": expected sha256:<64 hex digits>`);
  }
  const stat = await blobs.statBlob(digest);
  if (!stat) throw new RegistryError('blob-unknown', `blob ${digest} is not known here`);

  res.setHeader('Docker-Content-Digest', digest);
  const redirect = await blobs.blobRedirect(digest);
  if (redirect) {
    res.status(307).setHeader('Location', redirect).setHeader('Content-Length', 0).end();
    return;
  }

  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('ETag', `"${digest}"`);
  res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
  const range = parseRange(req.get('range'), stat.size);
  if (range.kind === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${stat.size}`);
    throw new RegistryError(
      'range-unsatisfiable',
      `range "${req.get('range')}" is outside the blob's ${stat.size} bytes`,
    );
  }
  const [start, end] = range.kind === 'range' ? [range.start, range.end] : [0, stat.size - 1];
  res.status(range.kind === 'range' ? 206 : 200);
  if (range.kind === 'range') res.setHeader('Content-Range', `bytes ${start}-${end}/${stat.size}`);
  res.setHeader('Content-Length', Math.max(0, end - start + 1));
  if (req.method === 'HEAD' || stat.size === 0) {
    res.end();
    return;
  }
  await blobs.sendBlob(digest, res, {
    range: { start, end },
    onChunk: (bytes) => metrics.bytesServed.inc(bytes),
  });
}
