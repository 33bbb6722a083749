import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { buildArtifactManifest, buildReferrersIndex, EMPTY_CONFIG } from '../src/referrers.js';

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const subject = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: sha256('image'),
  size: 5,
};
const blob = { mediaType: 'application/spdx+json', digest: sha256('sbom'), size: 4 };

describe('buildArtifactManifest', () => {
  test('an OCI 1.1 artifact: artifactType, the empty config, the blob as its layer, the subject', () => {
    const artifact = buildArtifactManifest({
      artifactType: 'application/spdx+json',
      blob,
      subject,
      annotations: { 'org.opencontainers.image.description': 'SBOM' },
    });
    expect(JSON.parse(artifact.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: 'application/spdx+json',
      config: {
        mediaType: 'application/vnd.oci.empty.v1+json',
        digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
        size: 2,
        data: 'e30=',
      },
      layers: [blob],
      subject,
      annotations: { 'org.opencontainers.image.description': 'SBOM' },
    });
    expect(artifact.digest).toBe(sha256(artifact.bytes));
    expect(EMPTY_CONFIG.digest).toBe(sha256('{}'));
    expect(artifact.referrer).toEqual({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: artifact.digest,
      size: artifact.bytes.length,
      artifactType: 'application/spdx+json',
      annotations: { 'org.opencontainers.image.description': 'SBOM' },
    });
  });
});

describe('buildReferrersIndex', () => {
  const a = {
    mediaType: subject.mediaType,
    digest: sha256('b'),
    size: 10,
    artifactType: 'application/spdx+json',
  };
  const b = {
    mediaType: subject.mediaType,
    digest: sha256('a'),
    size: 11,
    artifactType: 'application/vnd.example',
  };

  test('an OCI image index of the referrers, sorted by digest', () => {
    const index = buildReferrersIndex([a, b]);
    const body = JSON.parse(index.bytes.toString());
    expect(body.schemaVersion).toBe(2);
    expect(body.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(body.manifests.map((m: { digest: string }) => m.digest)).toEqual(
      [a, b].map((x) => x.digest).sort(),
    );
    expect(index.digest).toBe(sha256(index.bytes));
    expect(buildReferrersIndex([b, a]).bytes.equals(index.bytes)).toBe(true);
  });

  test('filtered by artifact type; none gives an empty list', () => {
    expect(
      JSON.parse(buildReferrersIndex([a, b], 'application/spdx+json').bytes.toString()).manifests,
    ).toEqual([a]);
    expect(JSON.parse(buildReferrersIndex([a, b], 'text/plain').bytes.toString()).manifests).toEqual([]);
    expect(JSON.parse(buildReferrersIndex([]).bytes.toString()).manifests).toEqual([]);
    const both = buildReferrersIndex(
      [a, b],
      ['text/plain', 'application/spdx+json', 'application/vnd.example'],
    );
    expect(both.bytes.equals(buildReferrersIndex([a, b]).bytes)).toBe(true);
  });
});
