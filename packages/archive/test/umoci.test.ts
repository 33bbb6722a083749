import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readFile, readlink, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { hashingSink, writeLayer } from '../src/index.js';
import { DEMO, DEP, makeFixtureStore, sha256, tempDir } from './helpers.js';

const run = promisify(execFile);

describe('an OCI consumer (umoci) unpacks our layers', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await tempDir('archive-umoci-');
  });
  afterAll(() => work.cleanup());

  test('store-path layer + root layer unpack into the expected root filesystem', async () => {
    const store = path.join(work.dir, 'store');
    const [demo, dep] = await makeFixtureStore(store);
    const layout = path.join(work.dir, 'layout');
    const blobs = path.join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });

    // Write each layer into the layout through hashingSink, then move it under its digest.
    let counter = 0;
    const addLayer = async (source: Parameters<typeof writeLayer>[0]) => {
      const staging = path.join(layout, `staging-${counter++}`);
      const layer = await writeLayer(
        source,
        hashingSink((data) => pipeline(data, createWriteStream(staging))),
        {
          storeDir: store,
        },
      );
      await rename(staging, path.join(blobs, layer.digest.slice('sha256:'.length)));
      return layer;
    };
    const layers = [
      await addLayer({ kind: 'store-paths', paths: [demo!, dep!] }),
      await addLayer({ kind: 'root', packages: [demo!], envPath: dep! }),
    ];
    const addJson = async (value: unknown) => {
      const bytes = Buffer.from(JSON.stringify(value));
      const digest = sha256(bytes);
      await writeFile(path.join(blobs, digest.slice('sha256:'.length)), bytes);
      return { digest, size: bytes.length };
    };
    const config = await addJson({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: ['PATH=/bin:/usr/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    });
    const manifest = await addJson({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: layers.map((l) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        digest: l.digest,
        size: l.size,
      })),
    });
    await writeFile(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    await writeFile(
      path.join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...manifest,
            annotations: { 'org.opencontainers.image.ref.name': 'latest' },
          },
        ],
      }),
    );

    const bundle = path.join(work.dir, 'bundle');
    await run('umoci', ['unpack', '--image', `${layout}:latest`, bundle]);
    const rootfs = path.join(bundle, 'rootfs');
    expect(await readFile(path.join(rootfs, 'nix/store', DEMO, 'bin/hello'), 'utf8')).toBe(
      '#!/bin/sh\necho hello\n',
    );
    expect((await lstat(path.join(rootfs, 'nix/store', DEMO, 'bin/hello'))).mode & 0o777).toBe(0o555);
    expect(await readlink(path.join(rootfs, 'bin/hello'))).toBe(`/nix/store/${DEMO}/bin/hello`);
    expect(await readlink(path.join(rootfs, 'usr/bin/env'))).toBe(`/nix/store/${DEP}/bin/env`);
    expect((await lstat(path.join(rootfs, 'tmp'))).mode & 0o7777).toBe(0o1777);
  });
});
