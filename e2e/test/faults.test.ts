// Fault injection against the real server: Nix timing out, failing and being killed; a full disk;
// the object store dying mid-upload; the server itself killed with SIGKILL mid-build. Each time
// the client gets a clear error in the registry's format, storage holds nothing false, and the
// next request succeeds once the fault is gone.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemStorage, GcsStorage, type PutBlobOptions } from '@nixery/storage';
import { verifyStorage } from '@nixery/verify';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  descendantsMatching,
  mountTmpfs,
  pullAndCheck,
  registryError,
  stagingNames,
  startRegistryProcess,
  storageProblems,
  waitFor,
} from './support/faults.js';
import { freeLoopbackPort, outageProxy, startEmulatorOnPort } from './support/faults-gcs.js';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

const ACCEPT = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };

describe('Nix faults', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({ env: { NIX_TIMEOUT: '2' } });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  test('a build that outlives NIX_TIMEOUT gets 504 "timed out", leaves no Nix process, and the next image builds', async () => {
    const started = Date.now();
    const response = await fetch(`${registry.url}/v2/slowdemo/manifests/latest`, { headers: ACCEPT });
    expect(response.status).toBe(504);
    const error = await registryError(response);
    expect(error.code).toBe('MANIFEST_UNKNOWN');
    expect(error.message).toMatch(/timed out after 2 s/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await metricValue(registry, 'nixery_builds_total', { result: 'timeout' })).toBe(1);
    expect(await descendantsMatching(process.pid, 'nix-build')).toEqual([]);

    await pullAndCheck(registry.url, 'hello');
    expect(await storageProblems(registry.storagePath)).toEqual([]);
  });

  test('a failing build gets 500 "failed to build" with the log tail, and the next image builds', async () => {
    const response = await fetch(`${registry.url}/v2/brokendemo/manifests/latest`, { headers: ACCEPT });
    expect(response.status).toBe(500);
    const error = await registryError(response);
    expect(error.code).toBe('MANIFEST_UNKNOWN');
    expect(error.message).toMatch(/failed to build/);
    expect(JSON.stringify(error.detail)).toContain('fails on purpose');
    expect(await metricValue(registry, 'nixery_builds_total', { result: 'build-failed' })).toBe(1);
    await pullAndCheck(registry.url, 'shell/hello');
  });

  test('nix-build killed (SIGKILL) mid-build: the client gets a clear 5xx error, and the next image builds', async () => {
    const patient = await startTestRegistry({ env: { NIX_TIMEOUT: '60' } });
    try {
      const pending = fetch(`${patient.url}/v2/slowdemo/manifests/latest`, { headers: ACCEPT });
      const [pid] = await waitFor('nix-build to start', 20_000, async () => {
        const pids = await descendantsMatching(process.pid, 'nix-build');
        return pids.length > 0 ? pids : null;
      });
      process.kill(pid!, 'SIGKILL');
      const response = await pending;
      expect(response.status).toBeGreaterThanOrEqual(500);
      const error = await registryError(response);
      expect(error.code).toBe('MANIFEST_UNKNOWN');
      expect(error.message).toMatch(/failed|timed out/);
      await pullAndCheck(patient.url, 'hello');
    } finally {
      await patient.stop();
    }
  });
});

describe('storage faults', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  test('a full disk (3 MiB tmpfs): 500 "storing the image failed", no blob or entry is left false, and after growing the disk the image builds', async () => {
    const disk = await mountTmpfs(3 * 1024 * 1024);
    cleanups.push(disk.unmount);
    const registry = await startTestRegistry({ storagePath: disk.dir });
    cleanups.push(registry.stop);

    const response = await fetch(`${registry.url}/v2/nodejs/manifests/latest`, { headers: ACCEPT });
    expect(response.status).toBe(500);
    const error = await registryError(response);
    expect(error.code).toBe('MANIFEST_UNKNOWN');
    expect(error.message).toMatch(/storing the image failed.*(ENOSPC|no space)/i);
    expect(await storageProblems(disk.dir)).toEqual([]);
    // Layers still being written when the first one failed clean up after themselves.
    await waitFor('staging to empty', 15_000, async () => (await stagingNames(disk.dir)).length === 0);

    await disk.resize(256 * 1024 * 1024);
    await pullAndCheck(registry.url, 'nodejs');
    expect(await storageProblems(disk.dir)).toEqual([]);
  });

  test('GCS unreachable mid-upload (connections reset, then refused): 503 with Retry-After, then with GCS back the image builds', async () => {
    const emulatorPort = await freeLoopbackPort();
    const proxyPort = await freeLoopbackPort();
    const previousHost = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = `http://127.0.0.1:${proxyPort}`;
    cleanups.push(async () => {
      if (previousHost === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = previousHost;
    });
    const emulator = await startEmulatorOnPort(emulatorPort);
    cleanups.push(() => emulator.kill());
    const outage = await outageProxy(proxyPort, emulatorPort);
    cleanups.push(() => outage.close());

    // The real GCS backend; the outage starts once 1 MiB of one blob is on its way.
    const gcs = new GcsStorage({ bucket: `faults-${randomUUID()}` });
    let armed = true;
    const faulty = Object.create(gcs) as GcsStorage;
    faulty.putBlob = (data: Readable | Buffer, opts?: PutBlobOptions) => {
      // Small layers come whole, as bytes in memory: the outage is cut during a streamed one.
      if (Buffer.isBuffer(data)) return gcs.putBlob(data, opts);
      async function* tapped() {
        let sent = 0;
        for await (const chunk of data as AsyncIterable<Buffer>) {
          sent += chunk.length;
          if (armed && sent > 1024 * 1024) {
            armed = false;
            await outage.cut();
          }
          yield chunk;
        }
      }
      return gcs.putBlob(Readable.from(tapped()), opts);
    };
    const registry = await startTestRegistry({ storage: faulty });
    cleanups.push(registry.stop);

    const response = await fetch(`${registry.url}/v2/nodejs/manifests/latest`, { headers: ACCEPT });
    expect(armed).toBe(false);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
    const error = await registryError(response);
    expect(error.code).toBe('MANIFEST_UNKNOWN');
    expect(error.message).toMatch(/storage is unavailable/);

    await outage.restore();
    await pullAndCheck(registry.url, 'nodejs');
    // A small blob sent whole during the outage may have reached GCS while its answer was lost,
    // and the staging delete after it was refused: a leftover for cleanStaging, never a blob.
    const report = await verifyStorage(gcs);
    expect(report.problems.filter((problem) => problem.kind !== 'staging-leftovers')).toEqual([]);
    expect(report.blobs.checked).toBeGreaterThan(2);
    await gcs.cleanStaging(0);
    expect((await verifyStorage(gcs)).problems).toEqual([]);
  });

  test('the server killed with SIGKILL while writing layers: no partial blob under a digest, cleanStaging removes the leftovers, and a restarted server builds the image', async () => {
    const storagePath = await mkdtemp(join(tmpdir(), 'nixery-kill-'));
    cleanups.push(() => rm(storagePath, { recursive: true, force: true }));
    // Its own GC-root parent, so the folder the kill leaves troubles no other test's verify.
    const env = { STORAGE_PATH: storagePath, NIXERY_GCROOTS_DIR: `${storagePath}-gcroots` };
    cleanups.push(() => rm(env.NIXERY_GCROOTS_DIR, { recursive: true, force: true }));

    const first = await startRegistryProcess(env);
    cleanups.push(async () => {
      first.child.kill('SIGKILL');
      await first.exited;
    });
    // clang's closure holds a 76 MiB llvm-libs layer: seconds of gzip to land the kill in.
    const pending = fetch(`${first.url}/v2/clang/manifests/latest`, { headers: ACCEPT }).catch(
      (error: unknown) => error,
    );
    await waitFor(
      'a layer upload in staging',
      60_000,
      async () => (await stagingNames(storagePath)).length > 0,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await pending).toBeInstanceOf(Error); // the connection died with the server

    expect(await storageProblems(storagePath)).toEqual([]);
    const leftovers = await stagingNames(storagePath);
    expect(leftovers.length).toBeGreaterThan(0);
    expect(await new FilesystemStorage(storagePath).cleanStaging(0)).toBe(leftovers.length);
    expect(await stagingNames(storagePath)).toEqual([]);

    const second = await startRegistryProcess(env);
    cleanups.push(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    await pullAndCheck(second.url, 'clang');
    expect(await storageProblems(storagePath)).toEqual([]);
  });
});
