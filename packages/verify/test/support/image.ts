// Builds a real image (real Nix, bundled package set) into a storage, as the registry would.
import { createHash } from 'node:crypto';
import { ImageBuilder, type ImageRecord } from '@nixery/builder';
import { ManifestCache } from '@nixery/cache';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import type { Storage } from '@nixery/storage';

/**
 * Builds `name:latest` and also records it in the manifest cache (the bundled set is an
 * unpinned source, which the builder does not cache, but verify must check such records).
 */
export async function buildImage(
  storage: Storage,
  name: string,
): Promise<{ record: ImageRecord; cacheKey: string }> {
  const builder = new ImageBuilder({
    storage,
    source: { kind: 'path', path: BUNDLED_PACKAGE_SET_PATH },
    nixSubstituters: '',
    unpinnedTtlMs: 0,
  });
  const record = await builder.getImage(name, 'latest');
  const cacheKey = createHash('sha256').update(`verify-test\n${name}`).digest('hex');
  const { timings: _timings, ...clean } = record as ImageRecord & { timings?: unknown };
  await new ManifestCache<ImageRecord>(storage).put(cacheKey, clean);
  return { record: clean, cacheKey };
}
