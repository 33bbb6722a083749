import { buildReferrersIndex } from '@nixery/sbom';
import type { Request, Response } from 'express';
import { RegistryError } from './errors.js';
import { isDigest } from './routing.js';
import type { ImageService } from './services.js';

/** The referrers tag schema's tag of a subject `sha256:<hex>`: `sha256-<hex>`. */
const REFERRERS_TAG = /^sha256-([0-9a-f]{64})$/;

export function isReferrersTag(reference: string): boolean {
  return REFERRERS_TAG.test(reference);
}

/**
 * `GET /v2/<name>/referrers/<digest>` (OCI distribution 1.1): an image index of the manifests
 * whose subject is `digest`, filtered by `?artifactType=`. A subject with no referrers (or not
 * known at all) is an empty index, as the spec asks, not a 404.
 */
export async function serveReferrers(
  images: Pick<ImageService, 'getReferrers'>,
  req: Request,
  res: Response,
  digest: string,
): Promise<void> {
  if (!isDigest(digest)) {
    const shown = String(digest).slice(0, 200);
    throw new RegistryError('digest-invalid', `invalid digest "${shown}": expected sha256:<64 hex digits>`);
  }
  const artifactTypes = artifactTypeFilter(req.query.artifactType);
  const index = buildReferrersIndex(await images.getReferrers(digest), artifactTypes);
  if (artifactTypes !== undefined) res.setHeader('OCI-Filters-Applied', 'artifactType');
  send(req, res, index);
}

/**
 * The fallback for clients without the referrers API: the tag `sha256-<hex>` is the referrers
 * index of `sha256:<hex>`, served as a manifest. Tags here are package-source refs, which never
 * look like this, so the tag is answered before any build is asked for.
 */
export async function serveReferrersTag(
  images: Pick<ImageService, 'getReferrers'>,
  req: Request,
  res: Response,
  tag: string,
): Promise<void> {
  const subject = `sha256:${REFERRERS_TAG.exec(tag)?.[1] ?? ''}`;
  const referrers = await images.getReferrers(subject);
  if (referrers.length === 0)
    throw new RegistryError('manifest-not-stored', `no referrers of ${subject} are known here`, { tag });
  const index = buildReferrersIndex(referrers);
  res.setHeader('Docker-Content-Digest', index.digest);
  res.setHeader('ETag', `"${index.digest}"`);
  send(req, res, index);
}

function send(req: Request, res: Response, index: ReturnType<typeof buildReferrersIndex>): void {
  res.status(200);
  res.setHeader('Content-Type', index.mediaType);
  res.setHeader('Content-Length', index.bytes.length);
  res.end(req.method === 'HEAD' ? undefined : index.bytes);
}

/** `?artifactType=a&artifactType=b` keeps referrers of either type; absent means no filter. */
function artifactTypeFilter(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const values = Array.isArray(value) ? value : [value];
  if (!values.every((v): v is string => typeof v === 'string' && v !== '')) {
    throw new RegistryError(
      'filter-invalid',
      'artifactType must be a media type, e.g. application/spdx+json',
    );
  }
  return values;
}
