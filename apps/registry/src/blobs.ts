import type { Storage } from '@nixery/storage';
import type { Request, Response } from 'express';
import { RegistryError } from './errors.js';
import type { RegistryMetrics } from './metrics.js';
import { parseRange } from './range.js';
import { isDigest } from './routing.js';

/** GET/HEAD of a blob: a redirect where storage can sign one, else a (ranged) stream. */
export async function serveBlob(
  storage: Storage,
  metrics: RegistryMetrics,
  req: Request,
  res: Response,
  digest: string,
): Promise<void> {
  if (!isDigest(digest)) {
    throw new RegistryError(
      400,
      'DIGEST_INVALID',
      `invalid digest "${digest}": expected sha256:<64 hex digits>`,
    );
  }
  const stat = await storage.statBlob(digest);
  if (!stat) throw new RegistryError(404, 'BLOB_UNKNOWN', `blob ${digest} is not known here`);

  res.setHeader('Docker-Content-Digest', digest);
  const redirect = await storage.blobRedirect(digest);
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
      416,
      'BLOB_UNKNOWN',
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
  await storage.sendBlob(digest, res, {
    range: { start, end },
    onChunk: (bytes) => metrics.bytesServed.inc(bytes),
  });
}
