// A garbage collection on another instance may delete a blob this builder's in-memory layer cache
// still names (memory hits are trusted). The builder checks the image's layers once its manifests
// are written and writes the missing ones again, so the image it answers with is whole.
import { afterAll, expect, test } from 'vitest';
import { bundledBuilder, CountingStorage, tempDir } from './support.js';

const dirs: { remove: () => Promise<void> }[] = [];
afterAll(async () => {
  for (const dir of dirs) await dir.remove();
});

test('a reused layer deleted behind the cache is written again, and the image is whole', async () => {
  const dir = await tempDir('nixery-builder-gc-');
  dirs.push(dir);
  const storage = new CountingStorage(dir.path);
  const { builder, events } = bundledBuilder(storage, { unpinnedTtlMs: 0 });
  const first = await builder.getImage('shell/hello', 'latest');
  // As gc would: the blob and its layer-cache entry go; this builder's memory still has the entry.
  const gone = first.layers[0]!;
  await storage.deleteBlob(gone.digest);
  for await (const { key } of storage.listObjects('layers/')) {
    const entry = JSON.parse((await storage.getObject(key))!.body.toString()) as { digest: string };
    if (entry.digest === gone.digest) await storage.deleteObject(key);
  }
  const before = storage.blobWrites;
  events.length = 0;
  const second = await builder.getImage('shell/hello', 'latest');
  expect(second.manifests).toEqual(first.manifests);
  expect((await storage.statBlob(gone.digest))?.size).toBe(gone.size);
  for (const layer of second.layers) expect(await storage.statBlob(layer.digest)).not.toBeNull();
  // Only the missing layer was written again.
  expect(storage.blobWrites - before).toBe(1);
});
