import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { WarmManifests } from '@nixery/cache';
import { negotiateIndexFormat, negotiateManifestFormat } from '@nixery/manifest';
import { isReferrersTag } from './referrers.js';
import { announcesBody } from './request-body.js';
import { looksLikeDigest, parseRegistryPath } from './routing.js';

/** A manifest as the warm path sends it: its bytes and every header of a 200, computed once. */
export interface ServedManifest {
  bytes: Buffer;
  headers: OutgoingHttpHeaders;
}

/** What a warm hit is: by tag (counted as a manifest cache hit) or by digest. */
export interface WarmHit {
  served: ServedManifest;
  byTag: boolean;
}

/** The format key of a by-digest entry (a digest's answer does not depend on `Accept`). */
const BY_DIGEST = 'digest';

/** Distinct `Accept` values whose negotiated format is remembered (clients send a few). */
const ACCEPT_MEMORY = 64;

/**
 * Longest a remembered answer is used, even a pinned one: garbage collection may delete a
 * manifest this process still remembers, and this bounds how long it would still be served.
 */
const MAX_AGE_MS = 5 * 60_000;

/**
 * The key of what a tag answers for an `Accept` header: the single-manifest format, and the index
 * format when the client accepts one (on a multi-platform instance it gets the index instead).
 */
export function answerFormat(accept: string | undefined): string {
  const single = negotiateManifestFormat(accept);
  const index = negotiateIndexFormat(accept);
  return index === null ? single : `${single}+${index}-index`;
}

/** Default bound of the warm manifests' memory. */
export const WARM_MANIFEST_BYTES = 32 * 1024 * 1024;

/**
 * The registry's memory of recently served manifests: filled by the manifest route after a
 * lookup (by tag: for the builder's reuse window; by digest: for good), read by the warm path
 * in front of the Express app.
 */
export class WarmManifestRoute {
  private readonly cache: WarmManifests<ServedManifest>;
  /** `Accept` header → negotiated format: parsing the header was a tenth of a warm request's work. */
  private readonly formats = new Map<string, string>();

  constructor(maxBytes = WARM_MANIFEST_BYTES) {
    this.cache = new WarmManifests<ServedManifest>({
      maxBytes,
      // The headers are a few hundred bytes beside the manifest itself.
      sizeOf: (served) => served.bytes.length + 400,
    });
  }

  /**
   * The remembered answer to this request, or undefined when it needs the full route: anything
   * but a plain GET/HEAD of a manifest already served to this name (a query, an absolute-form
   * target, a body, a referrers tag all take the full route, which knows how to answer them).
   */
  lookup(req: IncomingMessage): WarmHit | undefined {
    if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
    const url = req.url ?? '';
    if (!url.startsWith('/v2/') || url.includes('?') || url.includes('#')) return undefined;
    if (announcesBody(req)) return undefined;
    const route = parseRegistryPath(url);
    if (route.kind !== 'manifest' || isReferrersTag(route.reference)) return undefined;
    if (looksLikeDigest(route.reference)) {
      // Remembered per name too: only a name the full route accepted is answered here.
      const served = this.cache.byTagGet(route.name, route.reference, BY_DIGEST);
      return served ? { served, byTag: false } : undefined;
    }
    const format = this.formatFor(req.headers.accept);
    const served = this.cache.byTagGet(route.name, route.reference, format);
    return served ? { served, byTag: true } : undefined;
  }

  private formatFor(accept: string | undefined): string {
    const key = accept ?? '';
    let format = this.formats.get(key);
    if (format === undefined) {
      format = answerFormat(accept);
      if (this.formats.size >= ACCEPT_MEMORY) this.formats.clear();
      this.formats.set(key, format);
    }
    return format;
  }

  /**
   * Remembers what the manifest route answered: `name` + `reference` (a tag for `format`, or the
   * digest itself) resolve to `digest` until `reuseUntil`.
   */
  remember(
    name: string,
    reference: string,
    format: string | null,
    digest: string,
    manifest: { bytes: Buffer; mediaType: string },
    reuseUntil: number,
  ): void {
    if (this.cache.byDigestGet(digest) === undefined) {
      this.cache.rememberDigest(digest, {
        bytes: manifest.bytes,
        headers: {
          'Docker-Distribution-API-Version': 'registry/2.0',
          'Content-Type': manifest.mediaType,
          'Content-Length': String(manifest.bytes.length),
          'Docker-Content-Digest': digest,
          ETag: `"${digest}"`,
        },
      });
    }
    const until = Math.min(reuseUntil, Date.now() + MAX_AGE_MS);
    this.cache.rememberTag(name, reference, format ?? BY_DIGEST, digest, until);
  }

  /** Forgets manifests deleted from storage (this instance's garbage collection), and tags naming them. */
  forgetManifests(digests: Iterable<string>): void {
    for (const digest of digests) this.cache.forgetDigest(digest);
  }

  get stats(): { digests: number; tags: number; bytes: number } {
    return this.cache.stats;
  }
}
