// How the builder combines the pieces: cache lookup, then one shared build per layer key.
import { Readable } from 'node:stream';
import { afterEach, expect, test } from 'vitest';
import { LayerCache, type LayerCacheEntry, SingleFlight } from '../src/index.js';
import { hexKey, LAYER_MEDIA_TYPE, tempStorage } from './support.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

test('concurrent requests for one layer write one blob and one cache entry', async () => {
  const { storage, cleanup } = await tempStorage();
  cleanups.push(cleanup);
  const cache = new LayerCache(storage);
  const flights = new SingleFlight<string, LayerCacheEntry>();
  const key = hexKey('/nix/store/aaa-glibc\n/nix/store/bbb-bash');
  let blobWrites = 0;

  const getLayer = async (): Promise<LayerCacheEntry> =>
    (await cache.get(key)) ??
    flights.run(key, async () => {
      blobWrites++;
      await new Promise((resolve) => setTimeout(resolve, 20)); // a build takes a while
      const { digest, size } = await storage.putBlob(Readable.from([Buffer.from('gzip bytes of the layer')]));
      const entry = { digest, size, diffId: `sha256:${hexKey('tar bytes')}`, mediaType: LAYER_MEDIA_TYPE };
      await cache.put(key, entry);
      return entry;
    });

  const results = await Promise.all(Array.from({ length: 10 }, getLayer));
  expect(blobWrites).toBe(1);
  expect(new Set(results.map((r) => r.digest)).size).toBe(1);

  // Later requests, in this process or a new one, are cache hits.
  expect(await getLayer()).toEqual(results[0]);
  expect(await new LayerCache(storage).get(key)).toEqual(results[0]);
  expect(blobWrites).toBe(1);
  const blobs: string[] = [];
  for await (const digest of storage.listBlobs()) blobs.push(digest);
  expect(blobs).toEqual([results[0]!.digest]);
});
