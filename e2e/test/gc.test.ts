// Garbage collection on every driver (a folder, GCS on its emulator, S3 on s3rver) over images the
// real registry built from the bundled package set: image A ages past the retention on a clock the
// test moves, B is served "later"; gc drops A's records and unique blobs, keeps the layers A and B
// share, B still pulls with skopeo by digest; a dry run deletes nothing; a build in flight while gc
// runs (held between its layers and its manifests) keeps its fresh layers and completes.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageRecord } from '@nixery/builder';
import { collectGarbage } from '@nixery/gc';
import {
  createStorage,
  GcsStorage,
  layerCacheObjectKey,
  manifestObjectKey,
  referrersObjectKey,
  type Storage,
  servedObjectKey,
} from '@nixery/storage';
import { verifyStorage } from '@nixery/verify';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type GcsEmulator, startGcsEmulator } from '../../packages/storage/test/support/gcs-emulator.js';
import {
  S3_TEST_REGION,
  S3RVER_CREDENTIALS,
  type S3TestServer,
  startS3Server,
} from '../../packages/storage/test/support/s3-server.js';
import { podmanSandbox } from './support/clients.js';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

const DAY = 86_400_000;
const A = 'shell/hello';
const B = 'shell/coreutils';

interface Driver {
  name: string;
  start(): Promise<{ storage: Storage; stop(): Promise<void> }>;
}

const DRIVERS: Driver[] = [
  {
    name: 'filesystem',
    async start() {
      const root = await mkdtemp(join(tmpdir(), 'nixery-gc-'));
      return {
        storage: createStorage({ backend: 'filesystem', path: root }),
        stop: () => rm(root, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'gcs',
    async start() {
      const emulator: GcsEmulator = await startGcsEmulator();
      return { storage: new GcsStorage({ bucket: `gc-${randomUUID()}` }), stop: () => emulator.stop() };
    },
  },
  {
    // s3rver does not check signatures (see its support file).
    name: 's3',
    async start() {
      const server: S3TestServer = await startS3Server();
      const bucket = `gc-${randomUUID()}`;
      await server.createBucket(bucket);
      const storage = createStorage({
        backend: 's3',
        bucket,
        region: S3_TEST_REGION,
        endpoint: server.endpoint,
        forcePathStyle: true,
        presignedUrls: false,
        credentials: S3RVER_CREDENTIALS,
      });
      return { storage, stop: () => server.stop() };
    },
  },
];

/** Storage whose manifest writes can be held, to stop a build between its layers and its manifests. */
function holdable(storage: Storage) {
  let hold: { reached: () => void; released: Promise<void> } | null = null;
  const wrapped: Storage = Object.create(storage);
  wrapped.putObject = async (key, body, contentType) => {
    if (hold && key.startsWith('manifests/sha256/')) {
      const current = hold;
      hold = null;
      current.reached();
      await current.released;
    }
    return storage.putObject(key, body, contentType);
  };
  return {
    storage: wrapped,
    /** Resolves `reached` when the next manifest write is held; `release` lets it through. */
    holdNextManifest() {
      let release = () => {};
      let reached = () => {};
      const reachedP = new Promise<void>((r) => {
        reached = r;
      });
      const released = new Promise<void>((r) => {
        release = r;
      });
      hold = { reached, released };
      return { reached: reachedP, release };
    },
  };
}

async function listing(storage: Storage): Promise<string[]> {
  const names: string[] = [];
  for await (const digest of storage.listBlobs()) names.push(digest);
  for await (const { key } of storage.listObjects('')) names.push(key);
  return names.sort();
}

const imageBlobs = (r: ImageRecord) => [r.config.digest, ...r.layers.map((l) => l.digest)];
const imageManifests = (r: ImageRecord) => [
  r.manifests.docker.digest,
  r.manifests.oci.digest,
  ...Object.values(r.referrers ?? {}).flatMap((list) => list.map((x) => x.digest)),
];

async function skopeoCopy(host: string, reference: string, dir: string) {
  return execa(
    'skopeo',
    ['copy', '--src-tls-verify=false', `docker://${host}/${reference}`, `oci:${dir}:x`],
    { reject: false, timeout: 180_000 },
  );
}

describe.each(DRIVERS)('gc on $name storage', (driver) => {
  let backend: Awaited<ReturnType<Driver['start']>>;
  let held: ReturnType<typeof holdable>;
  let registry: TestRegistry;
  let scratch: string;
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);
  let a: ImageRecord;
  let b: ImageRecord;
  let builtAt = 0;

  beforeAll(async () => {
    backend = await driver.start();
    held = holdable(backend.storage);
    scratch = await mkdtemp(join(tmpdir(), 'nixery-gc-pulls-'));
    // Every tag pull asks Nix again, so a pull after gc really builds.
    registry = await startTestRegistry({ storage: held.storage, now: clock, unpinnedTtlMs: 0 });
    for (const name of [A, B]) {
      const copy = await skopeoCopy(registry.host, `${name}:latest`, join(scratch, name.replace('/', '-')));
      expect(copy.stderr).toBe('');
      expect(copy.exitCode).toBe(0);
    }
    a = await registry.builder.getImage(A, 'latest');
    b = await registry.builder.getImage(B, 'latest');
    builtAt = Date.now();
  }, 600_000);
  afterAll(async () => {
    await registry?.stop();
    await backend?.stop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('A ages past the retention: its records and unique blobs go, the shared layers and B stay, B pulls', async () => {
    const shared = imageBlobs(a).filter((d) => imageBlobs(b).includes(d));
    const onlyA = imageBlobs(a).filter((d) => !imageBlobs(b).includes(d));
    expect(shared.length).toBeGreaterThan(0);
    expect(onlyA.length).toBeGreaterThan(0);
    const policy = { retentionMs: 30 * DAY, graceMs: 3_600_000 };

    // 31 days later B is served (by digest, as a client holding it would pull), A is not.
    offsetMs = 31 * DAY;
    const served = await fetch(`${registry.url}/v2/${B}/manifests/${b.manifests.oci.digest}`);
    expect(served.status).toBe(200);
    await expect
      .poll(() => backend.storage.getObject(servedObjectKey(b.manifests.oci.digest)))
      .not.toBeNull();

    const before = await listing(backend.storage);
    const dry = await collectGarbage(backend.storage, { ...policy, now: clock, dryRun: true });
    expect(await listing(backend.storage)).toEqual(before);
    const dryBlobs = dry.deleted.blobs.map((x) => x.digest);
    for (const digest of onlyA) expect(dryBlobs).toContain(digest);
    for (const digest of imageBlobs(b)) expect(dryBlobs).not.toContain(digest);

    const report = await collectGarbage(backend.storage, { ...policy, now: clock });
    expect(report.images).toEqual({ kept: 1, expired: 1 });
    expect(new Set(report.deleted.blobs.map((x) => x.digest))).toEqual(new Set(dryBlobs));
    expect(new Set(report.deleted.objects)).toEqual(new Set(dry.deleted.objects));
    expect(report.blobs.deletedBytes).toBe(dry.blobs.deletedBytes);
    expect(report.blobs.deletedBytes).toBeGreaterThan(0);

    for (const digest of onlyA) expect(await backend.storage.statBlob(digest)).toBeNull();
    for (const digest of imageManifests(a))
      expect(await backend.storage.getObject(manifestObjectKey(digest))).toBeNull();
    expect(await backend.storage.getObject(referrersObjectKey(a.manifests.oci.digest))).toBeNull();
    const uniqueLayer = a.layers.find((l) => onlyA.includes(l.digest))!;
    const entries: string[] = [];
    for await (const { key } of backend.storage.listObjects('layers/')) entries.push(key);
    expect(entries.length).toBe(new Set(b.layers.map((l) => l.key)).size);
    expect(entries).not.toContain(layerCacheObjectKey(uniqueLayer.key));

    for (const digest of imageBlobs(b)) expect(await backend.storage.statBlob(digest)).not.toBeNull();
    for (const digest of imageManifests(b))
      expect(await backend.storage.getObject(manifestObjectKey(digest))).not.toBeNull();
    // What stays is whole: every blob re-hashed, every manifest's references present.
    const check = await verifyStorage(backend.storage);
    expect(check.problems).toEqual([]);
    // B pulls by digest (no build): every blob read back and digest-checked by skopeo.
    const pull = await skopeoCopy(registry.host, `${B}@${b.manifests.oci.digest}`, join(scratch, 'b-after'));
    expect(pull.stderr).toBe('');
    expect(pull.exitCode).toBe(0);
    // And runs (podman, once: on the folder driver).
    if (driver.name === 'filesystem') {
      const podman = await podmanSandbox();
      try {
        const image = `${registry.host}/${B}@${b.manifests.oci.digest}`;
        const pulled = await podman.run(['pull', '--tls-verify=false', image], 180_000);
        expect(pulled.exitCode).toBe(0);
        const run = await podman.runContainer(image, ['bash', '-c', 'ls /nix/store > /dev/null && echo ok']);
        expect(run.stdout).toBe('ok');
        expect(run.exitCode).toBe(0);
      } finally {
        await podman.cleanup();
      }
    }
  });

  test('a build held between its layers and its manifests while gc runs keeps its fresh layers and completes', async () => {
    offsetMs = 0;
    // The grace: 5 s. Everything built in beforeAll is older than that by now (wait if not).
    const graceMs = 5_000;
    const wait = builtAt + graceMs + 500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));

    const hold = held.holdNextManifest();
    const pull = fetch(`${registry.url}/v2/${A}/manifests/latest`);
    await hold.reached;
    // A's unique layers were deleted above, so this build wrote them again just now.
    const fresh: string[] = [];
    for await (const blob of backend.storage.listBlobInfo()) {
      if (Date.now() - blob.modified.getTime() < graceMs) fresh.push(blob.digest);
    }
    expect(fresh.length).toBeGreaterThan(0);
    // Retention 0: every image not written within the grace is expired (B was served 31 "days"
    // ahead, so it stays); the held build's layers are referenced by nothing yet.
    const report = await collectGarbage(backend.storage, { retentionMs: 0, graceMs });
    const deleted = report.deleted.blobs.map((x) => x.digest);
    for (const digest of fresh) expect(deleted).not.toContain(digest);
    expect(report.blobs.fresh).toBeGreaterThanOrEqual(fresh.length);
    hold.release();

    const response = await pull;
    expect(response.status).toBe(200);
    const copy = await skopeoCopy(registry.host, `${A}:latest`, join(scratch, 'a-again'));
    expect(copy.stderr).toBe('');
    expect(copy.exitCode).toBe(0);
    expect((await verifyStorage(backend.storage)).problems).toEqual([]);
  });
});

describe('NIXERY_GC_INTERVAL: gc inside the server', () => {
  let registry: TestRegistry;
  let offsetMs = 0;
  beforeAll(async () => {
    registry = await startTestRegistry({
      env: { NIXERY_GC_INTERVAL: '300ms', NIXERY_GC_RETENTION: '30d', NIXERY_GC_GRACE: '6m' },
      now: () => new Date(Date.now() + offsetMs),
    });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  test('runs periodically, keeps what is in use, and removes an image once it aged past the retention', async () => {
    const response = await fetch(`${registry.url}/v2/${A}/manifests/latest`);
    expect(response.status).toBe(200);
    const image = await registry.builder.getImage(A, 'latest');
    const runs = () => metricValue(registry, 'nixery_gc_runs_total', { result: 'success' });
    const start = await runs();
    await expect.poll(runs, { timeout: 30_000 }).toBeGreaterThan(start + 1);
    expect(await metricValue(registry, 'nixery_gc_deleted_blobs_total')).toBe(0);
    expect(await registry.builder.storage.statBlob(image.config.digest)).not.toBeNull();

    offsetMs = 40 * DAY;
    await expect
      .poll(() => metricValue(registry, 'nixery_gc_deleted_blobs_total'), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(image.layers.length + 1);
    expect(await metricValue(registry, 'nixery_gc_deleted_bytes_total')).toBeGreaterThan(0);
    expect(await metricValue(registry, 'nixery_gc_deleted_objects_total', { kind: 'manifest' })).toBe(4);
    expect(await registry.builder.storage.statBlob(image.config.digest)).toBeNull();
    expect(await metricValue(registry, 'nixery_gc_runs_total', { result: 'failed' })).toBe(0);
    // A pull now builds the image again.
    offsetMs = 0;
    const again = await fetch(`${registry.url}/v2/${A}/manifests/latest`);
    expect(again.status).toBe(200);
    expect(await registry.builder.storage.statBlob(image.config.digest)).not.toBeNull();
  });
});
