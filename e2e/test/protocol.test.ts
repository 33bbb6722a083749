import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
type ManifestShape = { mediaType: string; config: { mediaType: string }; layers: { mediaType: string }[] };
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let registry: TestRegistry;
const url = (path: string) => `${registry.url}${path}`;

async function expectRegistryError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { errors: { code: string; message: string }[] };
  expect(body.errors[0]?.code).toBe(code);
  expect(body.errors[0]?.message).toBeTruthy();
  return body.errors[0]!;
}

beforeAll(async () => {
  registry = await startTestRegistry();
});
afterAll(async () => {
  await registry?.stop();
});

describe('registry protocol (spec checks against the running server)', () => {
  test('GET /v2/ answers 200 with the API version header', async () => {
    const response = await fetch(url('/v2/'));
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  test('HEAD and GET of a manifest agree; digest is sha256 of the body; by-digest works after by-tag', async () => {
    const headers = { accept: DOCKER_MANIFEST };
    const head = await fetch(url('/v2/hello/manifests/latest'), { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    const get = await fetch(url('/v2/hello/manifests/latest'), { headers });
    expect(get.status).toBe(200);
    const body = new Uint8Array(await get.arrayBuffer());
    const digest = get.headers.get('docker-content-digest');
    expect(digest).toBe(sha256(body));
    expect(head.headers.get('docker-content-digest')).toBe(digest);
    expect(head.headers.get('content-length')).toBe(String(body.length));
    expect(get.headers.get('content-length')).toBe(String(body.length));
    expect(get.headers.get('content-type')).toBe(DOCKER_MANIFEST);
    expect(JSON.parse(new TextDecoder().decode(body)).mediaType).toBe(DOCKER_MANIFEST);

    const byDigest = await fetch(url(`/v2/hello/manifests/${digest}`), { headers });
    expect(byDigest.status).toBe(200);
    expect(new Uint8Array(await byDigest.arrayBuffer())).toEqual(body);
    expect(byDigest.headers.get('content-type')).toBe(DOCKER_MANIFEST);
  });

  test('an OCI-only Accept gets an OCI manifest with that Content-Type, and only OCI media types', async () => {
    const response = await fetch(url('/v2/hello/manifests/latest'), { headers: { accept: OCI_MANIFEST } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(OCI_MANIFEST);
    const manifest = (await response.json()) as ManifestShape;
    expect(manifest.mediaType).toBe(OCI_MANIFEST);
    expect(manifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    for (const layer of manifest.layers)
      expect(layer.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
  });

  test('blobs: digest header, content, HEAD, ranges 206 and 416', async () => {
    const manifest = (await (
      await fetch(url('/v2/hello/manifests/latest'), { headers: { accept: DOCKER_MANIFEST } })
    ).json()) as { layers: { digest: string; size: number }[] };
    const layer = manifest.layers[0] as { digest: string; size: number };
    const full = await fetch(url(`/v2/hello/blobs/${layer.digest}`));
    expect(full.status).toBe(200);
    const bytes = new Uint8Array(await full.arrayBuffer());
    expect(bytes.length).toBe(layer.size);
    expect(sha256(bytes)).toBe(layer.digest);
    expect(full.headers.get('docker-content-digest')).toBe(layer.digest);
    expect(full.headers.get('accept-ranges')).toBe('bytes');

    const head = await fetch(url(`/v2/hello/blobs/${layer.digest}`), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(layer.size));

    const ranged = await fetch(url(`/v2/hello/blobs/${layer.digest}`), { headers: { range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 10-19/${layer.size}`);
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(bytes.slice(10, 20));

    const suffix = await fetch(url(`/v2/hello/blobs/${layer.digest}`), { headers: { range: 'bytes=-5' } });
    expect(suffix.status).toBe(206);
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.slice(-5));

    const open = await fetch(url(`/v2/hello/blobs/${layer.digest}`), {
      headers: { range: `bytes=${layer.size - 3}-` },
    });
    expect(open.status).toBe(206);
    expect(new Uint8Array(await open.arrayBuffer())).toEqual(bytes.slice(-3));

    const beyond = await fetch(url(`/v2/hello/blobs/${layer.digest}`), {
      headers: { range: `bytes=${layer.size}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${layer.size}`);
  });

  test('20 clients pulling every blob at once each get the exact bytes, while others hang up mid-blob', async () => {
    const manifest = (await (
      await fetch(url('/v2/shell/manifests/latest'), { headers: { accept: DOCKER_MANIFEST } })
    ).json()) as { config: { digest: string }; layers: { digest: string; size: number }[] };
    const blobs = [manifest.config, ...manifest.layers];
    const largest = [...manifest.layers].sort((a, b) => b.size - a.size)[0] as { digest: string };
    const pull = async () => {
      const digests: string[] = [];
      for (const blob of blobs) {
        const response = await fetch(url(`/v2/shell/blobs/${blob.digest}`));
        digests.push(sha256(new Uint8Array(await response.arrayBuffer())));
      }
      return digests;
    };
    const hangUp = async () => {
      const abort = new AbortController();
      const response = await fetch(url(`/v2/shell/blobs/${largest.digest}`), { signal: abort.signal });
      const reader = response.body?.getReader();
      await reader?.read();
      abort.abort();
    };
    const [pulls] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, pull)),
      Promise.all(Array.from({ length: 10 }, hangUp)),
    ]);
    for (const digests of pulls) expect(digests).toEqual(blobs.map((b) => b.digest));
    expect((await fetch(url('/v2/'))).status).toBe(200);
  });

  test('unknown package → 404 MANIFEST_UNKNOWN naming it', async () => {
    const response = await fetch(url('/v2/hello/nosuchpackage/manifests/latest'));
    const error = await expectRegistryError(response, 404, 'MANIFEST_UNKNOWN');
    expect(error.message).toContain('nosuchpackage');
  });

  test('unknown blob → 404 BLOB_UNKNOWN; malformed digest → 400 DIGEST_INVALID', async () => {
    await expectRegistryError(
      await fetch(url(`/v2/hello/blobs/sha256:${'0'.repeat(64)}`)),
      404,
      'BLOB_UNKNOWN',
    );
    await expectRegistryError(await fetch(url('/v2/hello/blobs/sha256:xyz')), 400, 'DIGEST_INVALID');
    await expectRegistryError(await fetch(url('/v2/hello/manifests/sha256:xyz')), 400, 'DIGEST_INVALID');
    await expectRegistryError(
      await fetch(url(`/v2/hello/manifests/sha256:${'0'.repeat(64)}`)),
      404,
      'MANIFEST_UNKNOWN',
    );
  });

  test('bad names → NAME_INVALID; a reference that is no tag → MANIFEST_UNKNOWN', async () => {
    await expectRegistryError(await fetch(url('/v2/Hello/manifests/latest')), 400, 'NAME_INVALID');
    await expectRegistryError(await fetch(url('/v2/shell%2fgit/manifests/latest')), 400, 'NAME_INVALID');
    // The name is checked first: a bad name with a bad reference is still NAME_INVALID.
    await expectRegistryError(await fetch(url('/v2/Hello/manifests/-bad')), 400, 'NAME_INVALID');
    await expectRegistryError(await fetch(url('/v2/hello/manifests/-bad')), 404, 'MANIFEST_UNKNOWN');
  });

  test.each([
    ['a leading dot (the OCI conformance suite’s reference)', '.INVALID_MANIFEST_NAME'],
    ['a leading dash', '-bad'],
    ['129 characters', 'a'.repeat(129)],
    ['a character outside the tag grammar', 'lat%21est'],
    ['an encoded space', 'la%20test'],
  ])(
    'a reference that is neither tag nor digest (%s) → 404 MANIFEST_UNKNOWN on GET and HEAD',
    async (_label, reference) => {
      const path = `/v2/hello/manifests/${reference}`;
      const builds = await metricValue(registry, 'nixery_builds_total');
      const error = await expectRegistryError(await fetch(url(path)), 404, 'MANIFEST_UNKNOWN');
      expect(error.message).toMatch(/invalid tag/);
      const head = await fetch(url(path), { method: 'HEAD' });
      expect(head.status).toBe(404);
      expect(head.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await head.text()).toBe('');
      expect(await metricValue(registry, 'nixery_builds_total')).toBe(builds);
    },
  );

  test.each([
    ['too short', 'sha256:xyz'],
    ['upper-case hex', `sha256:${'A'.repeat(64)}`],
    ['65 hex digits', `sha256:${'0'.repeat(65)}`],
    ['another algorithm', `sha512:${'0'.repeat(128)}`],
  ])('a malformed digest (%s) stays 400 DIGEST_INVALID on GET and HEAD', async (_label, reference) => {
    const path = `/v2/hello/manifests/${reference}`;
    await expectRegistryError(await fetch(url(path)), 400, 'DIGEST_INVALID');
    const head = await fetch(url(path), { method: 'HEAD' });
    expect(head.status).toBe(400);
    expect(await head.text()).toBe('');
  });

  test('a tag a local package set cannot honour is an error, never another image', async () => {
    const response = await fetch(url('/v2/hello/manifests/v1.0'));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });

  test('push, delete and catalog → 405 UNSUPPORTED', async () => {
    await expectRegistryError(
      await fetch(url('/v2/hello/manifests/latest'), { method: 'PUT', body: '{}' }),
      405,
      'UNSUPPORTED',
    );
    await expectRegistryError(
      await fetch(url('/v2/hello/manifests/latest'), { method: 'DELETE' }),
      405,
      'UNSUPPORTED',
    );
    await expectRegistryError(
      await fetch(url('/v2/hello/blobs/uploads/'), { method: 'POST' }),
      405,
      'UNSUPPORTED',
    );
    await expectRegistryError(await fetch(url('/v2/_catalog')), 405, 'UNSUPPORTED');
  });

  test('tags/list names latest for any valid image, and rejects bad names', async () => {
    const response = await fetch(url('/v2/shell/hello/tags/list'));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: 'shell/hello', tags: ['latest'] });
    await expectRegistryError(await fetch(url('/v2/Shell/tags/list')), 400, 'NAME_INVALID');
  });

  test('front page, health and metrics', async () => {
    const page = await fetch(url('/'));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('bundled offline demo package set');
    expect(html).toContain(registry.host);
    expect((await fetch(url('/healthz'))).status).toBe(200);
    const metrics = await (await fetch(url('/metrics'))).text();
    expect(metrics).toContain('nixery_builds_total');
    expect(metrics).toContain('nixery_blob_bytes_served_total');
  });
});
