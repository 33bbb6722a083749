import { createRequire } from 'node:module';
import { buildReferrersIndex, type SpdxDocument } from '@nixery/sbom';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { FilesystemStorage, type Storage } from '@nixery/storage';
import { Ajv } from 'ajv';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ImageRecord } from '../src/index.js';
import { bundledBuilder, tempDir } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});
async function freshStorage(prefix: string): Promise<FilesystemStorage> {
  const dir = await tempDir(prefix);
  cleanups.push(dir.remove);
  return new FilesystemStorage(dir.path);
}

const validateSpdx = new Ajv({ allErrors: true }).compile(
  createRequire(import.meta.url)('@nixery/sbom/spdx-2.3.schema.json'),
);

async function readJson<T>(storage: Storage, digest: string): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const chunk of await storage.readBlob(digest)) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

/** The store paths a layer tarball holds: its `nix/store/<name>` entries, listed by tar itself. */
async function storePathsInLayer(storage: Storage, digest: string): Promise<string[]> {
  const tar = execa('tar', ['-tz'], { stdin: 'pipe' });
  (await storage.readBlob(digest)).pipe(tar.stdin!);
  const { stdout } = await tar;
  const paths = new Set<string>();
  for (const entry of stdout.split('\n')) {
    const m = /^\.?\/?nix\/store\/([^/]+)/.exec(entry);
    if (m) paths.add(`/nix/store/${m[1]}`);
  }
  return [...paths];
}

type ArtifactManifest = {
  artifactType: string;
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string; size: number }[];
  subject: { mediaType: string; digest: string; size: number };
};

describe('the SBOM built with shell/git/htop', () => {
  let storage: FilesystemStorage;
  let record: ImageRecord;
  let builder: ReturnType<typeof bundledBuilder>['builder'];

  beforeAll(async () => {
    storage = await freshStorage('nixery-sbom-a-');
    builder = bundledBuilder(storage).builder;
    record = await builder.getImage('shell/git/htop', 'latest');
  });

  async function artifactFor(subject: string): Promise<{ digest: string; manifest: ArtifactManifest }> {
    const referrers = await builder.getReferrers(subject);
    expect(referrers).toHaveLength(1);
    const referrer = referrers[0]!;
    expect(referrer.artifactType).toBe('application/spdx+json');
    const stored = await builder.getManifest(referrer.digest);
    expect(stored?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(stored?.bytes.length).toBe(referrer.size);
    return { digest: referrer.digest, manifest: JSON.parse(stored!.bytes.toString('utf8')) };
  }

  test('each image manifest (OCI and Docker) has one SPDX artifact manifest naming it as subject', async () => {
    for (const format of ['oci', 'docker'] as const) {
      const { manifest } = await artifactFor(record.manifests[format].digest);
      expect(manifest.subject).toEqual(record.manifests[format]);
      expect(manifest.config.mediaType).toBe('application/vnd.oci.empty.v1+json');
      expect(await storage.statBlob(manifest.config.digest)).toMatchObject({ size: 2 });
      expect(manifest.layers).toHaveLength(1);
      expect(manifest.layers[0]?.mediaType).toBe('application/spdx+json');
    }
    expect(Object.keys(record.referrers ?? {}).sort()).toEqual(
      [record.manifests.oci.digest, record.manifests.docker.digest].sort(),
    );
    const unknown = `sha256:${'0'.repeat(64)}`;
    expect(await builder.getReferrers(unknown)).toEqual([]);
  });

  test('lists exactly the store paths in the layers, and validates against the SPDX 2.3 schema', async () => {
    const { manifest } = await artifactFor(record.manifests.oci.digest);
    const sbom = await readJson<SpdxDocument>(storage, manifest.layers[0]!.digest);
    expect(validateSpdx(sbom), JSON.stringify(validateSpdx.errors)).toBe(true);

    const inLayers = new Set<string>();
    for (const layer of record.layers)
      for (const path of await storePathsInLayer(storage, layer.digest)) inLayers.add(path);
    expect(inLayers.size).toBeGreaterThan(3);
    expect(sbom.packages.map((p) => p.packageFileName).sort()).toEqual([...inLayers].sort());

    const described = sbom.relationships.filter((r) => r.relationshipType === 'DESCRIBES');
    const names = described.map((r) => sbom.packages.find((p) => p.SPDXID === r.relatedSpdxElement)?.name);
    // `shell` is a group in the bundled set (bash, coreutils, …); git and htop are asked by name.
    expect(names).toEqual(expect.arrayContaining(['git', 'htop', 'bash-interactive', 'coreutils']));
    expect(sbom.packages.find((p) => p.name === 'htop')?.comment).toContain('requested as htop');
    expect(JSON.stringify(sbom)).not.toContain(BUNDLED_PACKAGE_SET_PATH);
    expect(sbom.comment).toContain('a local Nix package set');
  });

  test('the same digest from a second build on fresh storage', async () => {
    const other = await freshStorage('nixery-sbom-b-');
    const second = await bundledBuilder(other).builder.getImage('shell/git/htop', 'latest');
    expect(second.manifests).toEqual(record.manifests);
    expect(second.referrers).toEqual(record.referrers);
    const first = await artifactFor(record.manifests.oci.digest);
    const again = (await bundledBuilder(other).builder.getReferrers(record.manifests.oci.digest))[0];
    expect(again?.digest).toBe(first.digest);
    expect(buildReferrersIndex(second.referrers?.[second.manifests.oci.digest] ?? []).digest).toBe(
      buildReferrersIndex(record.referrers?.[record.manifests.oci.digest] ?? []).digest,
    );
  });
});
