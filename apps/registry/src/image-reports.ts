import type { ImageBuilder } from '@nixery/builder';
import { type ImageReport, imageReport } from '@nixery/explorer';
import { LRUCache } from 'lru-cache';

/** What the explorer's API needs: an image's report, built (or found) the way a pull does it. */
export interface ImageReports {
  /** Rejects with the same ImageError a manifest pull of `name:tag` would get. */
  report(name: string, tag: string, options: { signal?: AbortSignal }): Promise<ImageReport>;
}

/**
 * Reports from the builder: `getImage` (the pull's path: caches, single flight, the evaluation
 * limit) gives the built record, `planImage` the store paths behind its layers. Reports are kept
 * by manifest digest, so asking again for an image whose record is unchanged runs no Nix.
 */
export function builderReports(
  builder: Pick<ImageBuilder, 'getImage' | 'planImage'>,
  grouping: { strategy: string; budget: number },
): ImageReports {
  const reports = new LRUCache<string, ImageReport>({ max: 64 });
  return {
    async report(name, tag, { signal }) {
      const record = await builder.getImage(name, tag, signal ? { signal } : {});
      const key = `${record.manifests.docker.digest}\0${tag}`;
      const known = reports.get(key);
      if (known) return known;
      const plan = await builder.planImage(name, tag, signal ? { signal } : {});
      const report = imageReport({ plan, tag, grouping, built: record });
      reports.set(key, report);
      return report;
    },
  };
}
