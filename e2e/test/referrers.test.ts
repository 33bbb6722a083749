import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestRegistry, type TestRegistry } from './support/registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const SPDX = 'application/spdx+json';
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

type Referrer = {
  mediaType: string;
  digest: string;
  size: number;
  artifactType: string;
  annotations?: Record<string, string>;
};
type Index = { schemaVersion: number; mediaType: string; manifests: Referrer[] };

let registry: TestRegistry;
const url = (path: string) => `${registry.url}${path}`;
const image = 'shell/hello';
let ociDigest: string;
let dockerDigest: string;

async function manifestDigest(accept: string): Promise<string> {
  const response = await fetch(url(`/v2/${image}/manifests/latest`), { headers: { accept } });
  expect(response.status).toBe(200);
  return response.headers.get('docker-content-digest')!;
}

async function expectRegistryError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { errors: { code: string; message: string }[] };
  expect(body.errors[0]?.code).toBe(code);
  expect(body.errors[0]?.message).toBeTruthy();
}

beforeAll(async () => {
  registry = await startTestRegistry();
  ociDigest = await manifestDigest(OCI_MANIFEST);
  dockerDigest = await manifestDigest(DOCKER_MANIFEST);
});
afterAll(async () => {
  await registry?.stop();
});

describe('GET /v2/<name>/referrers/<digest>', () => {
  test('200, an OCI image index listing the SBOM artifact, exact headers', async () => {
    const response = await fetch(url(`/v2/${image}/referrers/${ociDigest}`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(OCI_INDEX);
    expect(response.headers.get('oci-filters-applied')).toBeNull();
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(response.headers.get('content-length')).toBe(String(bytes.length));
    const index = JSON.parse(new TextDecoder().decode(bytes)) as Index;
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.manifests).toHaveLength(1);
    const [referrer] = index.manifests as [Referrer];
    expect(referrer).toEqual({
      mediaType: OCI_MANIFEST,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      size: expect.any(Number),
      artifactType: SPDX,
      annotations: { 'org.opencontainers.image.description': "SPDX 2.3 SBOM of the image's Nix closure" },
    });

    const head = await fetch(url(`/v2/${image}/referrers/${ociDigest}`), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(bytes.length));
  });

  test('referrer → artifact manifest by digest → SBOM blob and empty config', async () => {
    for (const [subject, mediaType] of [
      [ociDigest, OCI_MANIFEST],
      [dockerDigest, DOCKER_MANIFEST],
    ] as const) {
      const index = (await (await fetch(url(`/v2/${image}/referrers/${subject}`))).json()) as Index;
      const referrer = index.manifests[0]!;
      const response = await fetch(url(`/v2/${image}/manifests/${referrer.digest}`), {
        headers: { accept: OCI_MANIFEST },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(OCI_MANIFEST);
      const bytes = new Uint8Array(await response.arrayBuffer());
      expect(sha256(bytes)).toBe(referrer.digest);
      expect(bytes.length).toBe(referrer.size);
      const manifest = JSON.parse(new TextDecoder().decode(bytes));
      expect(manifest.artifactType).toBe(SPDX);
      expect(manifest.subject).toMatchObject({ digest: subject, mediaType });
      expect(manifest.config).toMatchObject({ mediaType: 'application/vnd.oci.empty.v1+json', size: 2 });

      const config = await fetch(url(`/v2/${image}/blobs/${manifest.config.digest}`));
      expect(await config.text()).toBe('{}');
      const blob = await fetch(url(`/v2/${image}/blobs/${manifest.layers[0].digest}`));
      expect(blob.status).toBe(200);
      const sbom = (await blob.json()) as { spdxVersion: string; packages: { name: string }[] };
      expect(sbom.spdxVersion).toBe('SPDX-2.3');
      expect(sbom.packages.map((p) => p.name)).toContain('hello');
    }
  });

  test('?artifactType= filters, and says so in OCI-Filters-Applied', async () => {
    const all = await (await fetch(url(`/v2/${image}/referrers/${ociDigest}`))).text();
    const spdx = await fetch(
      url(`/v2/${image}/referrers/${ociDigest}?artifactType=${encodeURIComponent(SPDX)}`),
    );
    expect(spdx.status).toBe(200);
    expect(spdx.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(await spdx.text()).toBe(all);
    const other = await fetch(url(`/v2/${image}/referrers/${ociDigest}?artifactType=text%2Fplain`));
    expect(other.status).toBe(200);
    expect(other.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(other.headers.get('content-type')).toBe(OCI_INDEX);
    expect(await other.json()).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
  });

  test('an unknown subject is an empty index (200); a malformed digest is 400 DIGEST_INVALID', async () => {
    const unknown = await fetch(url(`/v2/${image}/referrers/sha256:${'0'.repeat(64)}`));
    expect(unknown.status).toBe(200);
    expect(unknown.headers.get('content-type')).toBe(OCI_INDEX);
    expect(await unknown.json()).toEqual({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] });
    for (const bad of ['sha256:zz', 'latest', `sha512:${'a'.repeat(128)}`, `sha256:${'A'.repeat(64)}`]) {
      await expectRegistryError(await fetch(url(`/v2/${image}/referrers/${bad}`)), 400, 'DIGEST_INVALID');
    }
    await expectRegistryError(
      await fetch(url(`/v2/${image}/referrers/${ociDigest}`), { method: 'DELETE' }),
      405,
      'UNSUPPORTED',
    );
    await expectRegistryError(await fetch(url(`/v2/UPPER/referrers/${ociDigest}`)), 400, 'NAME_INVALID');
  });
});

describe('the referrers tag schema (fallback tag sha256-<hex>)', () => {
  test('serves the referrers index as a manifest', async () => {
    const api = new Uint8Array(await (await fetch(url(`/v2/${image}/referrers/${ociDigest}`))).arrayBuffer());
    const tag = `sha256-${ociDigest.slice(7)}`;
    const response = await fetch(url(`/v2/${image}/manifests/${tag}`), { headers: { accept: OCI_INDEX } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(OCI_INDEX);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes).toEqual(api);
    expect(response.headers.get('docker-content-digest')).toBe(sha256(bytes));
    const head = await fetch(url(`/v2/${image}/manifests/${tag}`), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(sha256(bytes));
  });

  test('the tag of a subject without referrers is 404 MANIFEST_UNKNOWN, without a build', async () => {
    await expectRegistryError(
      await fetch(url(`/v2/${image}/manifests/sha256-${'0'.repeat(64)}`)),
      404,
      'MANIFEST_UNKNOWN',
    );
  });
});

describe('skopeo', () => {
  test('copies the SBOM referrer by digest into an OCI layout', async () => {
    const index = (await (await fetch(url(`/v2/${image}/referrers/${ociDigest}`))).json()) as Index;
    const artifact = index.manifests[0]!.digest;
    const dir = await mkdtemp(join(tmpdir(), 'nixery-sbom-skopeo-'));
    try {
      const copy = await execa(
        'skopeo',
        [
          'copy',
          '--src-tls-verify=false',
          `docker://${registry.host}/${image}@${artifact}`,
          `oci:${join(dir, 'sbom')}:sbom`,
        ],
        { reject: false, timeout: 120_000 },
      );
      expect(copy.stderr).not.toMatch(/FATA|error/i);
      expect(copy.exitCode).toBe(0);
      const layoutIndex = JSON.parse(await readFile(join(dir, 'sbom', 'index.json'), 'utf8')) as Index;
      expect(layoutIndex.manifests[0]?.digest).toBe(artifact);
      const manifest = JSON.parse(
        await readFile(join(dir, 'sbom', 'blobs', 'sha256', artifact.slice(7)), 'utf8'),
      );
      const sbom = JSON.parse(
        await readFile(join(dir, 'sbom', 'blobs', 'sha256', manifest.layers[0].digest.slice(7)), 'utf8'),
      );
      expect(sbom.spdxVersion).toBe('SPDX-2.3');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
