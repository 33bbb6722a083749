// skopeo and podman pull and run images from a registry whose storage is S3 (s3rver on the
// loopback; it does not check signatures, see packages/storage/test/support/s3-server.ts), with
// blob requests redirected to presigned URLs and, in the second pass, streamed by the server.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyStorage } from '@nixery/verify';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { podmanSandbox } from './support/clients.js';
import { startTestRegistry, type TestRegistry } from './support/registry.js';
import {
  type S3TestServer,
  s3RegistryEnv,
  s3TestStorage,
  startS3Server,
  useS3rverCredentials,
} from './support/s3.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let server: S3TestServer;
let scratch: string;
let restoreCredentials: (() => void) | undefined;
beforeAll(async () => {
  server = await startS3Server();
  scratch = await mkdtemp(join(tmpdir(), 'nixery-s3-clients-'));
  // The registry takes credentials from the SDK's standard chain, here its environment variables.
  restoreCredentials = useS3rverCredentials();
});
afterAll(async () => {
  restoreCredentials?.();
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe.each([
  { presigned: true, label: 'redirects to presigned URLs' },
  { presigned: false, label: 'streams through the server' },
])('S3 storage, blob requests $label', ({ presigned }) => {
  let registry: TestRegistry;
  const bucket = `e2e-${randomUUID()}`;
  beforeAll(async () => {
    await server.createBucket(bucket);
    registry = await startTestRegistry({ env: s3RegistryEnv(server.endpoint, bucket, presigned) });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  test('a blob request is answered the configured way', async () => {
    const manifest = await fetch(`${registry.url}/v2/shell/hello/manifests/latest`, {
      headers: { accept: OCI_MANIFEST },
    });
    expect(manifest.status).toBe(200);
    const { layers } = (await manifest.json()) as { layers: { digest: string; size: number }[] };
    expect(layers.length).toBeGreaterThan(1);
    const layer = layers[0]!;
    const blob = await fetch(`${registry.url}/v2/shell/hello/blobs/${layer.digest}`, { redirect: 'manual' });
    if (presigned) {
      expect(blob.status).toBe(307);
      const location = new URL(blob.headers.get('location')!);
      expect(location.origin).toBe(server.endpoint);
      expect(location.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
      const followed = await fetch(location);
      expect(Number((await followed.arrayBuffer()).byteLength)).toBe(layer.size);
    } else {
      expect(blob.status).toBe(200);
      expect((await blob.arrayBuffer()).byteLength).toBe(layer.size);
    }
  });

  test('skopeo copies the multi-layer shell/hello image, checking every blob digest as it goes', async () => {
    const layout = join(scratch, `layout-${presigned}`);
    const copy = await execa(
      'skopeo',
      [
        'copy',
        '--src-tls-verify=false',
        `docker://${registry.host}/shell/hello:latest`,
        `oci:${layout}:latest`,
      ],
      { reject: false, timeout: 180_000 },
    );
    expect(copy.stderr).toBe('');
    expect(copy.exitCode).toBe(0);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
    const manifestDigest = index.manifests[0].digest as string;
    const manifest = JSON.parse(
      await readFile(join(layout, 'blobs', 'sha256', manifestDigest.slice('sha256:'.length)), 'utf8'),
    );
    expect(manifest.layers.length).toBeGreaterThan(1);
  });

  test('podman pulls a multi-package image and runs it', async () => {
    const podman = await podmanSandbox();
    try {
      const pull = await podman.run(['pull', '--tls-verify=false', `${registry.host}/shell/hello`], 180_000);
      expect(pull.stderr).not.toMatch(/Error/);
      expect(pull.exitCode).toBe(0);
      const run = await podman.runContainer(`${registry.host}/shell/hello`, [
        'bash',
        '-c',
        'hello && echo ok',
      ]);
      expect(run.stdout).toBe('Hello, world!\nok');
      expect(run.exitCode).toBe(0);
    } finally {
      await podman.cleanup();
    }
  });

  test('the bucket verifies clean afterwards', async () => {
    const report = await verifyStorage(s3TestStorage(server.endpoint, bucket));
    expect(report.problems).toEqual([]);
    expect(report.blobs.checked).toBeGreaterThan(2);
    // The image's Docker and OCI manifests, and the SBOM artifact manifest referring to each.
    expect(report.manifests.checked).toBe(4);
  });
});
