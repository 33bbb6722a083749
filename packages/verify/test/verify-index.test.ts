// An image index stored by digest (a multi-platform image) is checked against the manifests it
// lists. Real Nix: linux/amd64 builds, linux/riscv64 (no builder here) is left out, so the
// index has one entry and no aarch64 build is needed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ImageBuilder, manifestObjectKey } from '@nixery/builder';
import { BUNDLED_PACKAGE_SET_PATH, platformOfArch } from '@nixery/source';
import { FilesystemStorage } from '@nixery/storage';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyStorage } from '../src/index.js';

let root: string;
let storage: FilesystemStorage;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'verify-index-'));
  storage = new FilesystemStorage(root);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('image indexes', { timeout: 120_000 }, () => {
  test('an index verifies clean; with a listed manifest gone it is dangling, and repair removes it', async () => {
    const builder = new ImageBuilder({
      storage,
      source: { kind: 'path', path: BUNDLED_PACKAGE_SET_PATH },
      nixSubstituters: '',
      platforms: [platformOfArch('amd64'), platformOfArch('riscv64')],
    });
    const index = await builder.getImageIndex('hello', 'latest');
    expect(index?.images.map((i) => i.platform.architecture)).toEqual(['amd64']);
    expect(index?.omitted.map((o) => o.platform)).toEqual(['linux/riscv64']);
    if (!index) throw new Error('no index');

    const clean = await verifyStorage(storage);
    expect(clean.problems).toEqual([]);
    const amd64 = index.images[0]?.image;
    if (!amd64) throw new Error('no amd64 image');
    // The two images' manifests, their two SBOM artifact manifests, and the two index documents.
    expect(clean.manifests.checked).toBe(6);

    await storage.deleteObject(manifestObjectKey(amd64.manifests.oci.digest));
    const broken = await verifyStorage(storage);
    expect(broken.problems).toContainEqual(
      expect.objectContaining({
        kind: 'manifest-dangling',
        digest: index.manifests.oci.digest,
        missing: [`manifest ${amd64.manifests.oci.digest} (missing)`],
      }),
    );
    // The Docker list names the Docker manifest, which is still there.
    expect(broken.problems.some((p) => 'digest' in p && p.digest === index.manifests.docker.digest)).toBe(
      false,
    );

    await verifyStorage(storage, { repair: true });
    expect(await storage.getObject(manifestObjectKey(index.manifests.oci.digest))).toBeNull();
    expect(await storage.getObject(manifestObjectKey(index.manifests.docker.digest))).not.toBeNull();
  });
});
