// Which document a tag request gets on a multi-platform instance: the index of the format the
// client names, else the single manifest; HEAD and GET agree. Builder behind it: a fake.

import { ImageError } from '@nixery/builder';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DOCKER_MANIFEST, OCI_MANIFEST, startFakeRegistry } from './support/fake-services.js';

const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

let registry: Awaited<ReturnType<typeof startFakeRegistry>>;
let dockerList: string;
let ociIndex: string;

beforeAll(async () => {
  registry = await startFakeRegistry();
  dockerList = registry.images.add(DOCKER_LIST, '{"schemaVersion":2,"list":"docker"}');
  ociIndex = registry.images.add(OCI_INDEX, '{"schemaVersion":2,"index":"oci"}');
});
afterAll(() => registry.close());

async function both(accept: string | undefined) {
  const headers: Record<string, string> = accept === undefined ? {} : { accept };
  const head = await fetch(registry.url('/v2/hello/manifests/latest'), { method: 'HEAD', headers });
  const get = await fetch(registry.url('/v2/hello/manifests/latest'), { headers });
  const body = await get.text();
  expect(head.status).toBe(get.status);
  expect(head.headers.get('docker-content-digest')).toBe(get.headers.get('docker-content-digest'));
  expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
  return {
    status: get.status,
    type: get.headers.get('content-type'),
    digest: get.headers.get('docker-content-digest'),
    body,
  };
}

describe('an instance serving several platforms', () => {
  beforeAll(() => {
    registry.images.index = { manifests: { docker: { digest: dockerList }, oci: { digest: ociIndex } } };
  });

  test.each([
    [`${OCI_MANIFEST}, ${OCI_INDEX}, ${DOCKER_MANIFEST}, ${DOCKER_LIST}`, OCI_INDEX],
    [`${DOCKER_MANIFEST}, ${DOCKER_LIST}, ${OCI_MANIFEST}, ${OCI_INDEX}, */*`, DOCKER_LIST],
    [`${DOCKER_MANIFEST}, ${DOCKER_LIST}`, DOCKER_LIST],
    [`${OCI_INDEX}`, OCI_INDEX],
  ])('Accept %s → %s', async (accept, type) => {
    const answer = await both(accept);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe(type);
    expect(answer.digest).toBe(type === OCI_INDEX ? ociIndex : dockerList);
  });

  test.each([
    [undefined, DOCKER_MANIFEST],
    ['*/*', DOCKER_MANIFEST],
    [`${OCI_MANIFEST}`, OCI_MANIFEST],
    [`${DOCKER_MANIFEST}, ${OCI_INDEX};q=0`, DOCKER_MANIFEST],
  ])('a client naming no index type (%s) gets the single manifest %s', async (accept, type) => {
    const answer = await both(accept);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe(type);
  });

  test('the index is fetchable by digest; a failure of the index build is the usual error', async () => {
    const byDigest = await fetch(registry.url(`/v2/hello/manifests/${ociIndex}`));
    expect(byDigest.headers.get('content-type')).toBe(OCI_INDEX);
    registry.images.fail = new ImageError('unknown-packages', 'unknown package: nope', {
      packages: ['nope'],
    });
    try {
      const answer = await both(OCI_INDEX);
      expect(answer.status).toBe(404);
      expect(JSON.parse(answer.body).errors[0].code).toBe('MANIFEST_UNKNOWN');
    } finally {
      registry.images.fail = null;
    }
  });
});

describe('a single-platform instance (or an arm64/… name)', () => {
  test('an index-accepting client gets the single manifest', async () => {
    registry.images.index = null;
    const answer = await both(`${OCI_MANIFEST}, ${OCI_INDEX}`);
    expect(answer.type).toBe(OCI_MANIFEST);
    expect(answer.digest).toBe(registry.images.image.manifests.oci.digest);
  });
});
