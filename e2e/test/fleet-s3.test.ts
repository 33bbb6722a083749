// Stateless instances over one S3 bucket (s3rver on the loopback; it does not check signatures,
// see packages/storage/test/support/s3-server.ts): what one builds the other serves from the
// bucket without running Nix, and cold pulls of one image racing on both instances end with one
// manifest and a bucket that verifies clean. Then the S3 server is killed in the middle of a
// multipart layer upload: the pull fails with a clear 5xx in the registry's JSON format, nothing
// partial sits under a digest, and with the server back the next pull succeeds.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Storage } from '@nixery/storage';
import { verifyStorage } from '@nixery/verify';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pullAndCheck, registryError } from './support/faults.js';
import { freeLoopbackPort } from './support/faults-gcs.js';
import { type PinnedSource, pinnedBundledSet } from './support/pinned-source.js';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';
import {
  createS3Bucket,
  type S3ServerProcess,
  type S3TestServer,
  s3RegistryEnv,
  s3TestStorage,
  startS3Server,
  startS3ServerProcess,
  useS3rverCredentials,
} from './support/s3.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

let restoreCredentials: (() => void) | undefined;
beforeAll(() => {
  restoreCredentials = useS3rverCredentials();
});
afterAll(() => restoreCredentials?.());

describe('two instances sharing one bucket', () => {
  let server: S3TestServer;
  let source: PinnedSource;
  let first: TestRegistry;
  let second: TestRegistry;
  const bucket = `fleet-${randomUUID()}`;
  beforeAll(async () => {
    server = await startS3Server();
    await server.createBucket(bucket);
    source = await pinnedBundledSet();
    const env = { ...s3RegistryEnv(server.endpoint, bucket), NIXERY_PKGS_REPO: source.url };
    first = await startTestRegistry({ env });
    second = await startTestRegistry({ env });
  });
  afterAll(async () => {
    await second?.stop();
    await first?.stop();
    await source?.remove();
    await server?.stop();
  });

  test('one builds; the other serves the same image from the bucket without running Nix', async () => {
    const built = await pullAndCheck(first.url, 'shell/hello', source.commit);
    expect(await metricValue(first, 'nixery_builds_total', { result: 'success' })).toBe(1);

    const copy = await execa(
      'skopeo',
      ['inspect', '--tls-verify=false', '--raw', `docker://${second.host}/shell/hello:${source.commit}`],
      { reject: false, timeout: 120_000 },
    );
    expect(copy.exitCode, copy.stderr).toBe(0);
    const served = await pullAndCheck(second.url, 'shell/hello', source.commit);
    expect(served).toEqual(built);
    expect(await metricValue(second, 'nixery_builds_total')).toBe(0);
    expect(await metricValue(second, 'nixery_nix_evaluations_total')).toBe(0);
    expect(await metricValue(second, 'nixery_manifest_cache_total', { result: 'hit' })).toBeGreaterThan(0);
  }, 300_000);

  test('concurrent cold pulls of one image on both instances end with one manifest, and the bucket verifies clean', async () => {
    const image = `/v2/jq/ripgrep/manifests/${source.commit}`;
    const responses = await Promise.all(
      [first, second, first, second, first, second].map((registry) =>
        fetch(`${registry.url}${image}`, { headers: { accept: DOCKER_MANIFEST } }),
      ),
    );
    const digests = new Set<string | null>();
    for (const response of responses) {
      expect(response.status, await response.clone().text()).toBe(200);
      digests.add(response.headers.get('docker-content-digest'));
      await response.arrayBuffer();
    }
    expect(digests.size).toBe(1);
    // Each instance builds at most once (one build per instance for any number of its pulls).
    const builds =
      (await metricValue(first, 'nixery_builds_total', { result: 'success' })) +
      (await metricValue(second, 'nixery_builds_total', { result: 'success' }));
    expect(builds).toBeGreaterThanOrEqual(2); // shell/hello's build, and at least one of these
    expect(builds).toBeLessThanOrEqual(3);

    // Both instances, asked again, answer the one manifest; every blob in the bucket hashes to
    // its name and every record names blobs that are there.
    for (const registry of [first, second]) {
      const again = await pullAndCheck(registry.url, 'jq/ripgrep', source.commit);
      expect(again.digest).toBe([...digests][0]);
    }
    const report = await verifyStorage(s3TestStorage(server.endpoint, bucket));
    expect(report.problems).toEqual([]);
    expect(report.blobs.checked).toBeGreaterThan(4);
  }, 300_000);
});

describe('the S3 server killed mid-upload', () => {
  let directory: string;
  let port: number;
  let s3: S3ServerProcess | undefined;
  let registry: TestRegistry;
  let storage: S3Storage;
  const bucket = `faults-${randomUUID()}`;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'nixery-s3-fault-'));
    port = await freeLoopbackPort();
    s3 = await startS3ServerProcess(port, directory);
    await createS3Bucket(s3.endpoint, bucket);
    storage = s3TestStorage(s3.endpoint, bucket);
    registry = await startTestRegistry({ storage });
  });
  afterAll(async () => {
    await registry?.stop();
    await s3?.kill();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  test('a clear 5xx in JSON, nothing partial under a digest, and with the server back the image is pulled intact', async () => {
    // The server dies while the second part of a multipart upload (a layer over 8 MiB) is on its way.
    let parts = 0;
    let killed: Promise<void> | null = null;
    storage.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand' && ++parts === 2 && killed === null) {
          const sending = next(args);
          killed = new Promise((r) => setTimeout(r, 20)).then(() => s3!.kill());
          return sending;
        }
        return next(args);
      },
      { step: 'initialize', name: 'killS3MidUpload' },
    );

    // nodejs's closure holds an 18 MiB layer: three 8 MiB parts.
    const response = await fetch(`${registry.url}/v2/nodejs/manifests/latest`, {
      headers: { accept: DOCKER_MANIFEST },
    });
    expect(killed).not.toBeNull();
    await killed;
    // Storage out of reach: 503 with Retry-After, the client may try again.
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('10');
    const error = await registryError(response);
    expect(error.code).toBe('MANIFEST_UNKNOWN');
    expect(error.message).toMatch(/storage is unavailable/);

    // The same folder, the same port: the bucket as the outage left it.
    s3 = await startS3ServerProcess(port, directory);
    const bucketAfterCrash = storage;
    const afterCrash = await verifyStorage(bucketAfterCrash);
    expect(afterCrash.problems.filter((problem) => problem.kind !== 'staging-leftovers')).toEqual([]);

    const pulled = await pullAndCheck(registry.url, 'nodejs');
    expect(pulled.layers).toBeGreaterThan(1);
    await bucketAfterCrash.cleanStaging(0);
    const report = await verifyStorage(bucketAfterCrash);
    expect(report.problems).toEqual([]);
    expect(report.blobs.checked).toBeGreaterThan(2);
  }, 300_000);
});
