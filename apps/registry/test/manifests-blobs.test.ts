// The manifest and blob routes in process, over fake services: no Nix, no storage.
import { ImageError, type ImageFailureReason } from '@nixery/builder';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FAILURE_RESPONSES } from '../src/errors.js';
import { DOCKER_MANIFEST, OCI_MANIFEST, startFakeRegistry } from './support/fake-services.js';

let registry: Awaited<ReturnType<typeof startFakeRegistry>>;
beforeAll(async () => {
  registry = await startFakeRegistry();
});
afterAll(() => registry.close());

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const text = await response.text();
  expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text));
  const body = JSON.parse(text) as { errors: Array<{ code: string; message: string; detail: unknown }> };
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0]!.code).toBe(code);
  return body.errors[0]!;
}

describe('manifests', () => {
  test('by tag: the negotiated format, with its media type, length and digest', async () => {
    const { images, url } = registry;
    images.fail = null;
    const docker = await fetch(url('/v2/hello/manifests/latest'), { headers: { accept: DOCKER_MANIFEST } });
    expect(docker.status).toBe(200);
    expect(docker.headers.get('content-type')).toBe(DOCKER_MANIFEST);
    expect(docker.headers.get('docker-content-digest')).toBe(images.image.manifests.docker.digest);
    const bytes = Buffer.from(await docker.arrayBuffer());
    expect(bytes).toEqual(images.manifests.get(images.image.manifests.docker.digest)!.bytes);
    expect(Number(docker.headers.get('content-length'))).toBe(bytes.length);
    expect(docker.headers.get('docker-distribution-api-version')).toBe('registry/2.0');

    const oci = await fetch(url('/v2/hello/manifests/latest'), { headers: { accept: OCI_MANIFEST } });
    expect(oci.headers.get('content-type')).toBe(OCI_MANIFEST);
    expect(oci.headers.get('docker-content-digest')).toBe(images.image.manifests.oci.digest);
    expect(images.calls.at(-1)).toEqual({ name: 'hello', tag: 'latest' });
  });

  test('HEAD gives the same headers and no body', async () => {
    const { images, url } = registry;
    const head = await fetch(url('/v2/hello/manifests/latest'), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(images.image.manifests.docker.digest);
    const size = images.manifests.get(images.image.manifests.docker.digest)!.bytes.length;
    expect(Number(head.headers.get('content-length'))).toBe(size);
    expect(await head.text()).toBe('');
  });

  test('by digest: a stored manifest, an unknown one (404), a malformed one (400)', async () => {
    const { images, url } = registry;
    const digest = images.image.manifests.oci.digest;
    const stored = await fetch(url(`/v2/hello/manifests/${digest}`));
    expect(stored.status).toBe(200);
    expect(stored.headers.get('content-type')).toBe(OCI_MANIFEST);
    expect(stored.headers.get('etag')).toBe(`"${digest}"`);
    const unknown = `sha256:${'0'.repeat(64)}`;
    const missing = await expectError(
      await fetch(url(`/v2/hello/manifests/${unknown}`)),
      404,
      'MANIFEST_UNKNOWN',
    );
    expect(missing.message).toContain(unknown);
    await expectError(await fetch(url('/v2/hello/manifests/sha256:xyz')), 400, 'DIGEST_INVALID');
  });

  test('every manifest served, by tag or digest, GET or HEAD, is reported (for gc); a 404 is not', async () => {
    const { images, url, served } = registry;
    images.fail = null;
    served.length = 0;
    await fetch(url('/v2/hello/manifests/latest'), { headers: { accept: OCI_MANIFEST } });
    await fetch(url('/v2/hello/manifests/latest'), { method: 'HEAD' });
    await fetch(url(`/v2/hello/manifests/${images.image.manifests.oci.digest}`));
    await fetch(url(`/v2/hello/manifests/sha256:${'0'.repeat(64)}`));
    expect(served).toEqual([
      images.image.manifests.oci.digest,
      images.image.manifests.docker.digest,
      images.image.manifests.oci.digest,
    ]);
  });

  test('a cached image whose manifest was deleted (gc) is forgotten and built once more', async () => {
    const { images, url } = registry;
    images.fail = null;
    const digest = images.image.manifests.oci.digest;
    const stored = images.manifests.get(digest)!;
    images.manifests.delete(digest);
    images.onForget = () => images.manifests.set(digest, stored);
    try {
      const response = await fetch(url('/v2/hello/manifests/latest'), { headers: { accept: OCI_MANIFEST } });
      expect(response.status).toBe(200);
      expect(images.forgotten).toEqual(['hello:latest']);
      // Still gone after the rebuild: a 404, not a loop.
      images.manifests.delete(digest);
      images.onForget = null;
      await expectError(
        await fetch(url('/v2/hello/manifests/latest'), { headers: { accept: OCI_MANIFEST } }),
        404,
        'MANIFEST_UNKNOWN',
      );
      expect(images.forgotten).toEqual(['hello:latest', 'hello:latest']);
    } finally {
      images.manifests.set(digest, stored);
      images.onForget = null;
    }
  });

  // Each reason's status and code (these were asserted on the builder's errors before errors
  // stopped carrying HTTP: same values, now from the registry's one table).
  test.each<[ImageFailureReason, number, string]>([
    ['invalid-name', 400, 'NAME_INVALID'],
    ['invalid-tag', 404, 'MANIFEST_UNKNOWN'],
    ['tag-not-served', 404, 'MANIFEST_UNKNOWN'],
    ['unknown-packages', 404, 'MANIFEST_UNKNOWN'],
    ['packages-removed', 404, 'MANIFEST_UNKNOWN'],
    ['packages-refused', 403, 'DENIED'],
    ['evaluation-failed', 500, 'MANIFEST_UNKNOWN'],
    ['build-failed', 500, 'MANIFEST_UNKNOWN'],
    ['unsupported-system', 400, 'UNSUPPORTED'],
    ['forest-limit', 400, 'UNSUPPORTED'],
    ['timeout', 504, 'MANIFEST_UNKNOWN'],
    ['nix-missing', 503, 'MANIFEST_UNKNOWN'],
    ['storage-failed', 500, 'MANIFEST_UNKNOWN'],
    ['storage-unavailable', 503, 'MANIFEST_UNKNOWN'],
    ['internal', 500, 'MANIFEST_UNKNOWN'],
  ])(
    'an image request failing with %s answers %i %s, with its message and detail',
    async (reason, status, code) => {
      const { images, url } = registry;
      expect(FAILURE_RESPONSES[reason]).toEqual({ status, code });
      images.fail = new ImageError(reason, `it failed: ${reason}`, { packages: ['hello'] });
      try {
        const error = await expectError(await fetch(url('/v2/hello/manifests/latest')), status, code);
        expect(error).toEqual({ code, message: `it failed: ${reason}`, detail: { packages: ['hello'] } });
      } finally {
        images.fail = null;
      }
    },
  );

  test('an error nobody expected is a 500 internal error that keeps its details to the log', async () => {
    const { images, url } = registry;
    images.fail = new Error('secret path /var/lib/x exploded');
    try {
      const response = await fetch(url('/v2/hello/manifests/latest'), {
        headers: { 'x-request-id': 'req-1' },
      });
      const error = await expectError(response, 500, 'MANIFEST_UNKNOWN');
      expect(error.message).toBe('internal error while serving this request; see the server log');
      expect(error.detail).toEqual({ requestId: 'req-1' });
    } finally {
      images.fail = null;
    }
  });

  test('writes are not offered (405), a bad name is refused before any lookup (400)', async () => {
    const { images, url } = registry;
    await expectError(
      await fetch(url('/v2/hello/manifests/latest'), { method: 'DELETE' }),
      405,
      'UNSUPPORTED',
    );
    const before = images.calls.length;
    await expectError(await fetch(url('/v2/Hello/manifests/latest')), 400, 'NAME_INVALID');
    expect(images.calls.length).toBe(before);
  });
});

describe('blobs', () => {
  const text = 'the bytes of a layer, twenty-nine';

  test('a whole blob: 200 with length, digest, type and caching headers', async () => {
    const { blobs, url } = registry;
    const digest = blobs.add(text);
    const response = await fetch(url(`/v2/hello/blobs/${digest}`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Number(response.headers.get('content-length'))).toBe(text.length);
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect(await response.text()).toBe(text);

    const head = await fetch(url(`/v2/hello/blobs/${digest}`), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(text.length);
    expect(await head.text()).toBe('');
  });

  test('ranges: 206 with Content-Range, a suffix range, and 416 outside the blob', async () => {
    const { blobs, url } = registry;
    const digest = blobs.add(text);
    const part = await fetch(url(`/v2/hello/blobs/${digest}`), { headers: { range: 'bytes=4-8' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-8/${text.length}`);
    expect(Number(part.headers.get('content-length'))).toBe(5);
    expect(await part.text()).toBe(text.slice(4, 9));

    const tail = await fetch(url(`/v2/hello/blobs/${digest}`), { headers: { range: 'bytes=-4' } });
    expect(tail.status).toBe(206);
    expect(await tail.text()).toBe(text.slice(-4));

    const outside = await fetch(url(`/v2/hello/blobs/${digest}`), { headers: { range: 'bytes=999-' } });
    expect(outside.headers.get('content-range')).toBe(`bytes */${text.length}`);
    await expectError(outside, 416, 'BLOB_UNKNOWN');
  });

  test('unknown (404), malformed digest (400), and a redirect where storage signs one (307)', async () => {
    const { blobs, url } = registry;
    await expectError(await fetch(url(`/v2/hello/blobs/sha256:${'1'.repeat(64)}`)), 404, 'BLOB_UNKNOWN');
    await expectError(await fetch(url('/v2/hello/blobs/sha256:xyz')), 400, 'DIGEST_INVALID');
    const digest = blobs.add('redirected');
    blobs.redirectTo = 'https://bucket.example/signed';
    try {
      const response = await fetch(url(`/v2/hello/blobs/${digest}`), { redirect: 'manual' });
      expect(response.status).toBe(307);
      expect(response.headers.get('location')).toBe(`https://bucket.example/signed/${digest}`);
      expect(response.headers.get('docker-content-digest')).toBe(digest);
    } finally {
      blobs.redirectTo = null;
    }
  });

  test('storage failing on a blob is a 500 with the blob route code', async () => {
    const { blobs, url } = registry;
    blobs.fail = new Error('disk unreadable');
    try {
      const error = await expectError(
        await fetch(url(`/v2/hello/blobs/${blobs.add(text)}`)),
        500,
        'BLOB_UNKNOWN',
      );
      expect(error.message).toMatch(/^internal error/);
    } finally {
      blobs.fail = null;
    }
  });

  test('storage out of reach on a blob is a 503 with Retry-After, and so is an image build', async () => {
    const { blobs, images, url } = registry;
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    blobs.fail = new Error('reading the blob failed', { cause: refused });
    images.fail = new ImageError('storage-unavailable', 'storage is unavailable: connect ECONNREFUSED');
    try {
      const blob = await fetch(url(`/v2/hello/blobs/${blobs.add(text)}`));
      expect(blob.headers.get('retry-after')).toBe('10');
      expect((await expectError(blob, 503, 'BLOB_UNKNOWN')).message).toMatch(/storage is unavailable/);
      const manifest = await fetch(url('/v2/hello/manifests/latest'));
      expect(manifest.headers.get('retry-after')).toBe('10');
      await expectError(manifest, 503, 'MANIFEST_UNKNOWN');
    } finally {
      blobs.fail = null;
      images.fail = null;
    }
  });
});
