import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  buildImageConfig,
  buildImageIndex,
  buildManifests,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  type IndexEntryInput,
  ManifestError,
  negotiateIndexFormat,
  OCI_INDEX,
  OCI_MANIFEST,
  parseImageIndex,
} from '../src/index.js';

const digest = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** The manifests of two real images (as the builder makes them), one per architecture. */
function perPlatform() {
  const shared = { digest: digest('gz-cacert'), diffId: digest('tar-cacert'), size: 10 };
  const image = (arch: 'amd64' | 'arm64') => {
    const own = { digest: digest(`gz-hello-${arch}`), diffId: digest(`tar-hello-${arch}`), size: 20 };
    const layers = [shared, own];
    return buildManifests(buildImageConfig({ arch, layers, env: [] }), layers);
  };
  return { amd64: image('amd64'), arm64: image('arm64') };
}

function entries(format: 'docker' | 'oci'): IndexEntryInput[] {
  const images = perPlatform();
  return [
    {
      ...pick(images.amd64[format]),
      platform: { os: 'linux', architecture: 'amd64' },
    },
    {
      ...pick(images.arm64[format]),
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
  ];
}

function pick(m: { digest: string; bytes: Buffer; mediaType: string }) {
  return { digest: m.digest, size: m.bytes.length, mediaType: m.mediaType };
}

describe('buildImageIndex', () => {
  test('an OCI index: OCI types only, one entry per platform with os, architecture and variant', () => {
    const built = buildImageIndex('oci', entries('oci'));
    const json = JSON.parse(built.bytes.toString('utf8'));
    expect(built.mediaType).toBe(OCI_INDEX);
    expect(json.mediaType).toBe(OCI_INDEX);
    expect(json.schemaVersion).toBe(2);
    expect(json.manifests.map((m: { mediaType: string }) => m.mediaType)).toEqual([
      OCI_MANIFEST,
      OCI_MANIFEST,
    ]);
    expect(json.manifests.map((m: { platform: unknown }) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    expect(built.bytes.toString()).not.toContain('vnd.docker');
    expect(built.digest).toBe(sha256(built.bytes));
  });

  test('a Docker manifest list: Docker types only', () => {
    const built = buildImageIndex('docker', entries('docker'));
    const json = JSON.parse(built.bytes.toString('utf8'));
    expect(built.mediaType).toBe(DOCKER_MANIFEST_LIST);
    expect(json.manifests.map((m: { mediaType: string }) => m.mediaType)).toEqual([
      DOCKER_MANIFEST,
      DOCKER_MANIFEST,
    ]);
    expect(built.bytes.toString()).not.toContain('vnd.oci');
  });

  test('canonical bytes: the same entries give the same digest, whatever the key order', () => {
    const shuffled = entries('oci').map((e) => ({
      platform: { variant: e.platform.variant, architecture: e.platform.architecture, os: e.platform.os },
      mediaType: e.mediaType,
      size: e.size,
      digest: e.digest,
    })) as IndexEntryInput[];
    expect(buildImageIndex('oci', shuffled).bytes).toEqual(buildImageIndex('oci', entries('oci')).bytes);
    expect(buildImageIndex('oci', entries('oci')).bytes.toString()).not.toMatch(/\s/);
  });

  test('refuses mixed formats, repeated platforms, bad digests and empty indexes', () => {
    expect(() => buildImageIndex('docker', entries('oci'))).toThrow(/must be application\/vnd.docker/);
    expect(() => buildImageIndex('oci', entries('docker'))).toThrow(ManifestError);
    const [first] = entries('oci');
    if (!first) throw new Error('no entry');
    expect(() => buildImageIndex('oci', [first, { ...first, digest: digest('other') }])).toThrow(
      /listed twice/,
    );
    expect(() => buildImageIndex('oci', [{ ...first, digest: 'sha256:abc' }])).toThrow(/digest/);
    expect(() => buildImageIndex('oci', [{ ...first, size: -1 }])).toThrow(/size/);
    expect(() => buildImageIndex('oci', [])).toThrow(/at least one/);
    expect(() =>
      buildImageIndex('oci', [{ ...first, platform: { os: 'windows' as 'linux', architecture: 'amd64' } }]),
    ).toThrow(/os must be linux/);
  });

  test('parseImageIndex reads back what was built, and refuses mixed or single manifests', () => {
    for (const format of ['docker', 'oci'] as const) {
      const built = buildImageIndex(format, entries(format));
      const parsed = parseImageIndex(built.bytes);
      expect(parsed.format).toBe(format);
      expect(parsed.manifests.map((m) => m.digest)).toEqual(entries(format).map((e) => e.digest));
      expect(parsed.manifests[1]?.platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    }
    const mixed = JSON.parse(buildImageIndex('oci', entries('oci')).bytes.toString());
    mixed.manifests[0].mediaType = DOCKER_MANIFEST;
    expect(() => parseImageIndex(JSON.stringify(mixed))).toThrow(/must be application\/vnd.oci/);
    expect(() => parseImageIndex(perPlatform().amd64.oci.bytes)).toThrow(/unsupported image index mediaType/);
    expect(() => parseImageIndex('{')).toThrow(/not JSON/);
  });
});

describe('negotiateIndexFormat', () => {
  test.each([
    [undefined, null],
    ['*/*', null],
    ['application/*', null],
    [`${OCI_MANIFEST}, ${DOCKER_MANIFEST}`, null],
    [`${OCI_MANIFEST}, ${OCI_INDEX}`, 'oci'],
    [`${DOCKER_MANIFEST}, ${DOCKER_MANIFEST_LIST}`, 'docker'],
    [`${OCI_INDEX};q=0, ${DOCKER_MANIFEST}`, null],
    [`${OCI_INDEX};q=0.5, ${DOCKER_MANIFEST_LIST}`, 'docker'],
    [`${DOCKER_MANIFEST_LIST}, ${OCI_INDEX}`, 'docker'],
    // a tie follows the single-manifest choice
    [`${OCI_MANIFEST}, ${DOCKER_MANIFEST_LIST}, ${OCI_INDEX}`, 'oci'],
    [`${DOCKER_MANIFEST}, ${OCI_INDEX}, ${DOCKER_MANIFEST_LIST}`, 'docker'],
    // containerd's list (Docker first, then */*)
    [`${DOCKER_MANIFEST}, ${DOCKER_MANIFEST_LIST}, ${OCI_MANIFEST}, ${OCI_INDEX}, */*`, 'docker'],
    // skopeo/podman's list (containers/image: the OCI manifest first, the lists last)
    [
      `${OCI_MANIFEST}, ${DOCKER_MANIFEST}, application/vnd.docker.distribution.manifest.v1+prettyjws, application/vnd.docker.distribution.manifest.v1+json, ${DOCKER_MANIFEST_LIST}, ${OCI_INDEX}`,
      'oci',
    ],
  ])('%s → %s', (accept, expected) => {
    expect(negotiateIndexFormat(accept)).toBe(expected);
  });

  test('repeated Accept lines count as one list', () => {
    expect(negotiateIndexFormat([OCI_MANIFEST, DOCKER_MANIFEST_LIST])).toBe('docker');
    expect(negotiateIndexFormat([DOCKER_MANIFEST_LIST, `${OCI_MANIFEST}, ${OCI_INDEX}`])).toBe('oci');
  });
});
