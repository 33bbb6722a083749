import { sha256Digest } from '@nixery/digest';
import {
  layerCacheObjectKey,
  manifestObjectKey,
  nameOutcomeObjectKey,
  type Storage,
  servedObjectKey,
} from '@nixery/storage';
import { beforeEach, describe, expect, test } from 'vitest';
import { collectGarbage, ServedRecorder } from '../src/index.js';
import { putBlob, putImage } from './support/images.js';
import { type MemoryDriver, memoryStorage } from './support/memory-driver.js';

const DAY = 86_400_000;
const T0 = new Date('2026-01-01T00:00:00Z');
let time: Date;
let storage: Storage;
let driver: MemoryDriver;
const at = (ms: number) => new Date(T0.getTime() + ms);
const policy = { retentionMs: 30 * DAY, graceMs: 3_600_000, now: () => time };

beforeEach(() => {
  time = T0;
  ({ storage, driver } = memoryStorage(() => time));
});

const names = () => new Set(driver.objects.keys());
const hasBlob = async (digest: string) => (await storage.statBlob(digest)) !== null;
const hasObject = async (key: string) => (await storage.getObject(key)) !== null;

describe('collectGarbage', () => {
  test('drops an image unused past the retention, keeps one served within it and the layers they share', async () => {
    const a = await putImage(storage, 'a', ['shared layer', 'only in a'], { record: true });
    const b = await putImage(storage, 'b', ['shared layer', 'only in b'], { record: true });
    time = at(40 * DAY);
    // B was served ten days ago (its Docker manifest only); A not since it was built.
    await new ServedRecorder(storage, { now: () => at(30 * DAY) }).recordNow(b.docker);

    const report = await collectGarbage(storage, policy);

    const aOnly = a.blobs.filter((d) => !b.blobs.includes(d));
    expect(aOnly.length).toBe(3); // its own layer, config and SBOM
    for (const digest of aOnly) expect(await hasBlob(digest)).toBe(false);
    for (const key of a.objects) expect(await hasObject(key)).toBe(false);
    expect(await hasObject(layerCacheObjectKey(sha256Digest('only in a').slice(7)))).toBe(false);
    // B whole: its OCI form and SBOM referrers stay with the Docker form that was served.
    for (const digest of b.blobs) expect(await hasBlob(digest)).toBe(true);
    for (const key of b.objects) expect(await hasObject(key)).toBe(true);
    expect(await hasObject(servedObjectKey(b.docker))).toBe(true);
    expect(await hasObject(layerCacheObjectKey(sha256Digest('shared layer').slice(7)))).toBe(true);

    expect(report.images).toEqual({ kept: 1, expired: 1 });
    expect(report.imageRecords).toEqual({ kept: 1, deleted: 1 });
    expect(report.manifests).toEqual({ kept: 4, deleted: 4 });
    expect(report.blobs.deleted).toBe(3);
    const sizes = ['only in a', JSON.stringify({ name: 'a', layers: a.layers }), 'sbom of a'].map(
      (s) => s.length,
    );
    expect(report.blobs.deletedBytes).toBe(sizes.reduce((x, y) => x + y, 0));
    expect(report.blobs.kept).toBe(b.blobs.length);
    expect(report.objectsDeleted).toEqual({
      'image-record': 1,
      manifest: 4,
      referrers: 2,
      served: 0,
      'layer-entry': 1,
    });

    // A second run finds nothing more.
    const again = await collectGarbage(storage, policy);
    expect(again.deleted).toEqual({ blobs: [], objects: [] });
  });

  test('--dry-run reports exactly what a real run deletes, and deletes nothing', async () => {
    await putImage(storage, 'a', ['shared layer', 'only in a']);
    const b = await putImage(storage, 'b', ['shared layer', 'only in b']);
    time = at(40 * DAY);
    await new ServedRecorder(storage, { now: () => time }).recordNow(b.oci);
    const before = names();
    driver.deleted.length = 0; // the blob store's own staging clean-ups
    const dry = await collectGarbage(storage, { ...policy, dryRun: true });
    expect(names()).toEqual(before);
    expect(driver.deleted).toEqual([]);
    expect(dry.dryRun).toBe(true);
    expect(dry.blobs.deleted).toBe(3);

    const real = await collectGarbage(storage, policy);
    expect(new Set(real.deleted.objects)).toEqual(new Set(dry.deleted.objects));
    expect(new Set(real.deleted.blobs.map((b) => b.digest))).toEqual(
      new Set(dry.deleted.blobs.map((b) => b.digest)),
    );
    expect(real.blobs.deletedBytes).toBe(dry.blobs.deletedBytes);
  });

  test('nothing younger than the grace period goes: a build that wrote blobs but no manifest yet', async () => {
    const old = await putBlob(storage, 'an unreferenced old blob');
    time = at(40 * DAY);
    const inFlight = await putBlob(storage, 'a layer of a build in flight');
    time = at(40 * DAY + 3_000_000); // 50 minutes later, inside the hour of grace
    const report = await collectGarbage(storage, policy);
    expect(await hasBlob(old)).toBe(false);
    expect(await hasBlob(inFlight)).toBe(true);
    expect(report.blobs.fresh).toBe(1);
    time = at(40 * DAY + 3_700_000);
    await collectGarbage(storage, policy);
    expect(await hasBlob(inFlight)).toBe(false);
  });

  test('an image built within the retention is kept though never served', async () => {
    time = at(20 * DAY);
    const a = await putImage(storage, 'a', ['layer']);
    time = at(45 * DAY);
    await collectGarbage(storage, policy);
    for (const digest of a.blobs) expect(await hasBlob(digest)).toBe(true);
    time = at(51 * DAY);
    await collectGarbage(storage, policy);
    for (const digest of a.blobs) expect(await hasBlob(digest)).toBe(false);
  });

  test('a kept index keeps the manifests it lists; an unreadable manifest keeps nothing', async () => {
    const a = await putImage(storage, 'a', ['a layer']);
    const index = Buffer.from(
      JSON.stringify({
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ digest: a.oci, size: 1 }],
      }),
    );
    const indexDigest = sha256Digest(index);
    await storage.putObject(manifestObjectKey(indexDigest), index, 'application/vnd.oci.image.index.v1+json');
    const junk = Buffer.from('not json');
    await storage.putObject(manifestObjectKey(sha256Digest(junk)), junk, 'x');
    time = at(40 * DAY);
    await new ServedRecorder(storage, { now: () => time }).recordNow(indexDigest);
    await collectGarbage(storage, policy);
    for (const digest of a.blobs) expect(await hasBlob(digest)).toBe(true);
    expect(await hasObject(manifestObjectKey(a.oci))).toBe(true);
    expect(await hasObject(manifestObjectKey(sha256Digest(junk)))).toBe(false);
  });

  test('a manifest written while gc runs keeps the old blobs it names (a rebuild reusing cached layers)', async () => {
    const a = await putImage(storage, 'a', ['layer of a']);
    time = at(40 * DAY);
    // Between gc's first walk and its sweep, a build writes a new image reusing A's layer.
    const original = storage.deleteObject.bind(storage);
    let wrote = false;
    storage.deleteObject = async (key: string) => {
      if (!wrote) {
        wrote = true;
        time = at(40 * DAY + 1000);
        await putImage(storage, 'c', ['layer of a', 'new layer']);
      }
      return original(key);
    };
    const report = await collectGarbage(storage, policy);
    expect(await hasBlob(a.layers[0] as string)).toBe(true);
    expect(report.rescued).toBeGreaterThan(0);
  });

  test('an expired image rebuilt while gc runs (its manifests rewritten) is not deleted', async () => {
    const a = await putImage(storage, 'a', ['layer of a'], { record: true });
    time = at(40 * DAY);
    // The rebuild lands between gc's first walk (4 listings) and its re-check before deleting.
    const list = storage.listObjects.bind(storage);
    let calls = 0;
    storage.listObjects = (prefix: string) => {
      const call = ++calls;
      return (async function* () {
        if (call === 5) await putImage(storage, 'a', ['layer of a'], { record: true });
        yield* list(prefix);
      })();
    };
    const report = await collectGarbage(storage, policy);
    // Only the layer-cache entry, which goes before the re-check (the next build writes it again).
    expect(report.deleted.objects).toEqual([layerCacheObjectKey(sha256Digest('layer of a').slice(7))]);
    for (const key of a.objects) expect(await hasObject(key)).toBe(true);
    for (const digest of a.blobs) expect(await hasBlob(digest)).toBe(true);
    expect(report.rescued).toBeGreaterThan(0);
    expect(report.deleted.blobs).toEqual([]);
  });

  test('name-resolution records are left alone, however old (README: why gc cannot judge them)', async () => {
    await putImage(storage, 'a', ['layer of a'], { record: true });
    // What the builder stores for a pinned source's names: a resolution and a lasting problem.
    const found = nameOutcomeObjectKey(sha256Digest('source\0system\0settings\0hello').slice(7));
    const problem = nameOutcomeObjectKey(sha256Digest('source\0system\0settings\0nope').slice(7));
    const resolution = {
      attr: 'hello',
      drvPath: '/nix/store/x-hello.drv',
      outputNames: ['out'],
      outputs: {},
    };
    await storage.putObject(
      found,
      Buffer.from(JSON.stringify({ found: true, resolution })),
      'application/json',
    );
    await storage.putObject(
      problem,
      Buffer.from(JSON.stringify({ found: false, problem: { name: 'nope', kind: 'unknown', message: '' } })),
      'application/json',
    );
    time = at(400 * DAY);
    const report = await collectGarbage(storage, policy);
    expect(report.images.expired).toBe(1);
    expect(await hasObject(found)).toBe(true);
    expect(await hasObject(problem)).toBe(true);
    expect(report.deleted.objects.filter((key) => key.startsWith('resolutions/'))).toEqual([]);
  });
});

describe('ServedRecorder', () => {
  test('writes once per interval per manifest, and not again where another instance just did', async () => {
    const digest = sha256Digest('m');
    const one = new ServedRecorder(storage, { now: () => time, intervalMs: DAY });
    expect(await one.recordNow(digest)).toBe(true);
    for (let i = 0; i < 50; i++) one.record(digest);
    time = at(DAY / 2);
    expect(await one.recordNow(digest)).toBe(false);
    // A second instance reads the stored record once and does not rewrite it.
    const two = new ServedRecorder(storage, { now: () => time, intervalMs: DAY });
    expect(await two.recordNow(digest)).toBe(false);
    expect(await two.recordNow(digest)).toBe(false);
    expect(one.writes + two.writes).toBe(1);
    time = at(DAY + 1);
    expect(await one.recordNow(digest)).toBe(true);
    const stored = await storage.getObject(servedObjectKey(digest));
    expect(JSON.parse(stored!.body.toString())).toEqual({ servedAt: at(DAY + 1).toISOString() });
  });

  test('a failing storage is reported, never thrown', async () => {
    const errors: unknown[] = [];
    storage.putObject = async () => {
      throw new Error('down');
    };
    const recorder = new ServedRecorder(storage, { onError: (e) => errors.push(e) });
    expect(await recorder.recordNow(sha256Digest('x'))).toBe(false);
    expect(errors).toHaveLength(1);
  });
});
