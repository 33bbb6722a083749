// verify over the GCS backend, against the real Cloud Storage emulator (see @nixery/storage's tests).
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { LayerCache } from '@nixery/cache';
import { GcsStorage } from '@nixery/storage';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type GcsEmulator, startGcsEmulator } from '../../storage/test/support/gcs-emulator.js';
import { verifyStorage } from '../src/index.js';
import { buildImage } from './support/image.js';

let emulator: GcsEmulator;
beforeAll(async () => {
  emulator = await startGcsEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

test('on GCS: a built image verifies clean; a corrupted blob and a dangling entry are found and repaired', async () => {
  const storage = new GcsStorage({ bucket: `verify-${randomUUID()}` });
  const { record } = await buildImage(storage, 'hello');
  expect((await verifyStorage(storage)).problems).toEqual([]);

  const corrupted = record.layers[0]!;
  await storage.bucket.file(`blobs/sha256/${corrupted.digest.slice(7)}`).save(Buffer.from('not the layer'));
  const orphan = await storage.putBlob(Readable.from([Buffer.from('soon gone')]));
  const orphanKey = 'd'.repeat(64);
  await new LayerCache(storage).put(orphanKey, { ...orphan, diffId: orphan.digest, mediaType: 'x/y' });
  await storage.deleteBlob(orphan.digest);

  const found = await verifyStorage(storage);
  expect(found.problems).toContainEqual(
    expect.objectContaining({ kind: 'blob-corrupt', digest: corrupted.digest }),
  );
  expect(found.problems).toContainEqual(
    expect.objectContaining({
      kind: 'layer-entry-dangling',
      key: `layers/${orphanKey}.json`,
      reason: 'is missing',
    }),
  );

  const repaired = await verifyStorage(storage, { repair: true });
  expect(repaired.repairs.length).toBe(found.problems.length);
  expect(await storage.statBlob(corrupted.digest)).toBeNull();
  expect(await storage.getObject(`layers/${orphanKey}.json`)).toBeNull();
  expect((await verifyStorage(storage)).problems).toEqual([]);

  // A rebuild puts back the intact layer.
  await buildImage(storage, 'hello');
  expect((await storage.statBlob(corrupted.digest))?.size).toBe(corrupted.size);
  expect((await verifyStorage(storage)).problems).toEqual([]);
});
