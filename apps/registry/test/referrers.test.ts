// The referrers route and the sha256-<hex> fallback tag in process, over fake services.
import { sha256Digest } from '@nixery/digest';
import type { ReferrerDescriptor } from '@nixery/sbom';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OCI_MANIFEST, startFakeRegistry } from './support/fake-services.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const SPDX = 'application/spdx+json';

let registry: Awaited<ReturnType<typeof startFakeRegistry>>;
let subject: string;
let sbom: ReferrerDescriptor;
let other: ReferrerDescriptor;
beforeAll(async () => {
  registry = await startFakeRegistry();
  subject = registry.images.image.manifests.oci.digest;
  const referrer = (text: string, artifactType: string): ReferrerDescriptor => ({
    mediaType: OCI_MANIFEST,
    digest: registry.images.add(OCI_MANIFEST, text),
    size: Buffer.byteLength(text),
    artifactType,
    annotations: { note: text },
  });
  sbom = referrer('{"sbom":true}', SPDX);
  other = referrer('{"signature":true}', 'application/vnd.example.signature');
  registry.images.referrers.set(subject, [sbom, other]);
});
afterAll(() => registry.close());

async function indexOf(response: Response) {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe(INDEX);
  const bytes = Buffer.from(await response.arrayBuffer());
  expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
  const index = JSON.parse(bytes.toString('utf8')) as {
    schemaVersion: number;
    mediaType: string;
    manifests: unknown[];
  };
  expect(index.schemaVersion).toBe(2);
  expect(index.mediaType).toBe(INDEX);
  return { index, bytes };
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const body = (await response.json()) as { errors: Array<{ code: string }> };
  expect(body.errors.map((e) => e.code)).toEqual([code]);
}

const byDigest = (a: ReferrerDescriptor, b: ReferrerDescriptor) => (a.digest < b.digest ? -1 : 1);

describe('GET /v2/<name>/referrers/<digest>', () => {
  test('every referrer of the subject, sorted by digest, with artifactType and annotations', async () => {
    const response = await fetch(registry.url(`/v2/hello/referrers/${subject}`));
    expect(response.headers.get('oci-filters-applied')).toBeNull();
    const { index } = await indexOf(response);
    expect(index.manifests).toEqual([sbom, other].sort(byDigest));
  });

  test('?artifactType= keeps that type and says the filter was applied', async () => {
    const response = await fetch(
      registry.url(`/v2/hello/referrers/${subject}?artifactType=${encodeURIComponent(SPDX)}`),
    );
    expect(response.headers.get('oci-filters-applied')).toBe('artifactType');
    expect((await indexOf(response)).index.manifests).toEqual([sbom]);
  });

  test('an unknown subject is an empty index; a malformed digest or filter is refused', async () => {
    const unknown = `sha256:${'0'.repeat(64)}`;
    expect(
      (await indexOf(await fetch(registry.url(`/v2/hello/referrers/${unknown}`)))).index.manifests,
    ).toEqual([]);
    await expectError(await fetch(registry.url('/v2/hello/referrers/sha256:xyz')), 400, 'DIGEST_INVALID');
    await expectError(
      await fetch(registry.url(`/v2/hello/referrers/${subject}?artifactType=`)),
      400,
      'UNSUPPORTED',
    );
  });

  test('HEAD: the same headers, no body', async () => {
    const head = await fetch(registry.url(`/v2/hello/referrers/${subject}`), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe(INDEX);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
  });
});

describe('the fallback tag sha256-<hex>', () => {
  test('is the referrers index as a manifest, answered without asking for an image', async () => {
    const calls = registry.images.calls.length;
    const tag = `sha256-${subject.slice('sha256:'.length)}`;
    const response = await fetch(registry.url(`/v2/hello/manifests/${tag}`));
    const { index, bytes } = await indexOf(response);
    expect(index.manifests).toEqual([sbom, other].sort(byDigest));
    expect(response.headers.get('docker-content-digest')).toBe(sha256Digest(bytes));
    expect(registry.images.calls.length).toBe(calls);
  });

  test('of a subject without referrers is 404 MANIFEST_UNKNOWN', async () => {
    const calls = registry.images.calls.length;
    await expectError(
      await fetch(registry.url(`/v2/hello/manifests/sha256-${'1'.repeat(64)}`)),
      404,
      'MANIFEST_UNKNOWN',
    );
    expect(registry.images.calls.length).toBe(calls);
  });
});
