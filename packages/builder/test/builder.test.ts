import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { platformOfArch } from '@nixery/source';
import { FilesystemStorage, type Storage } from '@nixery/storage';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ImageError, type ImageRecord } from '../src/index.js';
import { bundledBuilder, CountingStorage, tempDir } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});
async function scratch(prefix: string) {
  const dir = await tempDir(prefix);
  cleanups.push(dir.remove);
  return dir.path;
}

test('many layers in flight at once (a machine with many cores) raise no listener-leak warning', async () => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on('warning', onWarning);
  try {
    const storage = new FilesystemStorage(await scratch('nixery-builder-wide-'));
    const record = await bundledBuilder(storage, { layerConcurrency: 8 }).builder.getImage(
      'shell/git/hello',
      'latest',
    );
    expect(record.layers.length).toBeGreaterThan(11); // enough to pass Node's default of 10 listeners
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', onWarning);
  }
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
});

describe('reproducible, reusable builds', () => {
  let firstRecord: ImageRecord;
  let warmStorage: CountingStorage;

  beforeAll(async () => {
    warmStorage = new CountingStorage(await scratch('nixery-builder-a-'));
    firstRecord = await bundledBuilder(warmStorage).builder.getImage('shell/git/hello', 'latest');
  });

  test('the same image on fresh storage gets the same manifest digests', async () => {
    const fresh = new FilesystemStorage(await scratch('nixery-builder-b-'));
    const second = await bundledBuilder(fresh).builder.getImage('shell/git/hello', 'latest');
    expect(second.manifests).toEqual(firstRecord.manifests);
    expect(second.layers.map((l) => l.digest)).toEqual(firstRecord.layers.map((l) => l.digest));
  });

  test('a rebuild on warm storage writes no blob at all', async () => {
    const before = warmStorage.blobWrites;
    const { builder, events } = bundledBuilder(warmStorage);
    const asked = Date.now();
    const again = await builder.getImage('shell/git/hello', 'latest');
    expect(again.manifests).toEqual(firstRecord.manifests);
    // An unpinned source (a local path): the answer holds for the 60 s reuse window only.
    expect(again.reuseUntil).toBeGreaterThan(asked);
    expect(again.reuseUntil).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(warmStorage.blobWrites).toBe(before);
    const end = events.find((e) => e.type === 'build-end');
    expect(end?.type === 'build-end' && end.timings.layersWritten).toBe(0);
  });

  test('an image sharing packages reuses their layers', async () => {
    const before = warmStorage.blobWrites;
    const { builder, events } = bundledBuilder(warmStorage);
    await builder.getImage('shell/hello', 'latest');
    const hits = events.filter((e) => e.type === 'layer-cache' && e.hit).length;
    expect(hits).toBeGreaterThan(0);
    // Only layers whose grouping differs (and the root layer) are new, plus the image's config and
    // its SBOM (the empty config of the SBOM artifact is shared by every image).
    const end = events.find((e) => e.type === 'build-end');
    expect(end?.type === 'build-end').toBe(true);
    if (end?.type === 'build-end')
      expect(warmStorage.blobWrites - before).toBe(end.timings.layersWritten + 2);
  });

  test('another gzip level gives other blobs of the same tars, and never mixes with the default', async () => {
    const fast = await bundledBuilder(warmStorage, { gzipLevel: 1 }).builder.getImage(
      'shell/git/hello',
      'latest',
    );
    expect(fast.layers.map((l) => l.diffId)).toEqual(firstRecord.layers.map((l) => l.diffId));
    for (const [i, layer] of fast.layers.entries())
      expect(layer.digest).not.toBe(firstRecord.layers[i]?.digest);
    expect(fast.manifests).not.toEqual(firstRecord.manifests);
    // The level-6 layers are still what a level-6 build on the same storage gets.
    const again = await bundledBuilder(warmStorage).builder.getImage('shell/git/hello', 'latest');
    expect(again.manifests).toEqual(firstRecord.manifests);
  });

  test('the layer budget bounds the layer count (plus the root layer)', async () => {
    const storage = new FilesystemStorage(await scratch('nixery-builder-budget-'));
    const record = await bundledBuilder(storage, { layerBudget: 3 }).builder.getImage(
      'shell/git/hello',
      'latest',
    );
    expect(record.layers).toHaveLength(4);
    expect(record.layers.at(-1)?.pathCount).toBe(0);
  });

  test('concurrent requests for one image share one build', async () => {
    const storage = new FilesystemStorage(await scratch('nixery-builder-flight-'));
    const { builder, events } = bundledBuilder(storage);
    const records = await Promise.all(Array.from({ length: 5 }, () => builder.getImage('jq/curl', 'latest')));
    expect(new Set(records.map((r) => r.manifests.oci.digest)).size).toBe(1);
    expect(events.filter((e) => e.type === 'build-start')).toHaveLength(1);
  });
});

describe('failures map to registry errors', () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = new FilesystemStorage(await scratch('nixery-builder-errors-'));
  });

  // The HTTP status and registry code of each reason are the registry's (apps/registry's
  // failure-responses test); here only the reason and its data.
  test.each([
    ['Hello', 'latest', 'invalid-name'],
    ['hello', '-x', 'invalid-tag'],
    ['hello', 'v2', 'tag-not-served'],
    ['hello/nosuchthing/norsuchother', 'latest', 'unknown-packages'],
    ['brokendemo', 'latest', 'build-failed'],
  ])('%s:%s → %s', async (name, tag, reason) => {
    const { builder, events } = bundledBuilder(storage);
    const error = await builder.getImage(name, tag).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({ reason });
    expect(error).not.toHaveProperty('status');
    if (reason === 'unknown-packages') {
      expect((error as ImageError).detail.packages).toEqual(['norsuchother', 'nosuchthing']);
    }
    if (reason === 'build-failed') {
      expect(String((error as ImageError).detail.log)).toMatch(/brokenDemo|broken/i);
      expect(events.some((e) => e.type === 'build-failed')).toBe(true);
    }
  });

  // riscv64-linux, not aarch64-linux: a server serving linux/arm64 from the bundled set builds
  // the set's own aarch64 packages, after which the shared store has them without extra-platforms.
  test('a platform Nix has no builder for → unsupported-system, naming the system', async () => {
    const { builder } = bundledBuilder(storage, { platforms: [platformOfArch('riscv64')] });
    const error = await builder.getImage('hello', 'latest').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({ reason: 'unsupported-system', detail: { system: 'riscv64-linux' } });
  });

  test('one platform served: no index; several: an arm64/… name still has none', async () => {
    const { builder } = bundledBuilder(storage);
    expect(await builder.getImageIndex('hello', 'latest')).toBeNull();
    const multi = bundledBuilder(storage, { platforms: [platformOfArch('amd64'), platformOfArch('arm64')] });
    expect(await multi.builder.getImageIndex('arm64/hello', 'latest')).toBeNull();
    await expect(multi.builder.getImageIndex('Hello', 'latest')).rejects.toMatchObject({
      reason: 'invalid-name',
    });
  });

  test('a timeout is its own failure', async () => {
    const { builder } = bundledBuilder(storage, { nixTimeoutSeconds: 1 });
    const error = await builder.getImage('slowdemo', 'latest').catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'timeout' });
  });

  test('a root forest over its entry bound is forest-limit, naming the package', async () => {
    const { builder, events } = bundledBuilder(storage, { forestLimits: { maxEntries: 3 } });
    const error = await builder.getImage('hello', 'latest').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageError);
    expect(error).toMatchObject({ reason: 'forest-limit' });
    const detail = (error as ImageError).detail;
    expect(detail).toMatchObject({ reason: 'forest-limit', limit: 'entries' });
    expect(String(detail.package)).toMatch(/^\/nix\/store\/[0-9a-z]{32}-/);
    expect((error as Error).message).toBe(`the image root of ${detail.package} has more than 3 entries`);
    expect(events.some((e) => e.type === 'build-failed')).toBe(true);
  });

  test('a caller that goes away aborts its build: rejected with its reason, not reported as failed', async () => {
    const { builder, events } = bundledBuilder(storage, { nixTimeoutSeconds: 60 });
    const caller = new AbortController();
    const pending = builder.getImage('slowdemo', 'latest', { signal: caller.signal });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const left = Date.now();
    caller.abort(new Error('client gone'));
    await expect(pending).rejects.toThrow('client gone');
    // The build ends too (Nix is stopped), without a build-failed event.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(events.some((e) => e.type === 'build-start')).toBe(true);
    expect(events.some((e) => e.type === 'build-failed')).toBe(false);
    expect(Date.now() - left).toBeLessThan(5_000);
  });
});

/** Writes an OCI image layout holding one image from storage, the way any client would see it. */
async function exportLayout(storage: Storage, record: ImageRecord, dir: string): Promise<void> {
  const manifestDigest = record.manifests.oci.digest;
  const manifest = await storage.getObject(`manifests/sha256/${manifestDigest.slice(7)}`);
  if (!manifest) throw new Error('manifest missing');
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(dir, 'blobs', 'sha256', manifestDigest.slice(7)), manifest.body);
  for (const blob of [record.config, ...record.layers]) {
    await pipeline(
      await storage.readBlob(blob.digest),
      createWriteStream(join(dir, 'blobs', 'sha256', blob.digest.slice(7))),
    );
  }
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: manifest.body.length,
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
}

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Walks a tree and describes every entry: type, executable bit, link target, content digest. */
async function describeTree(root: string, relative = ''): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  const here = join(root, relative);
  const stat = await lstat(here);
  if (stat.isSymbolicLink()) entries.set(relative, `link ${await readlink(here)}`);
  else if (stat.isFile())
    entries.set(relative, `file ${stat.mode & 0o111 ? 'x' : '-'} ${await fileDigest(here)}`);
  else if (stat.isDirectory()) {
    entries.set(relative, 'dir');
    for (const name of (await readdir(here)).sort()) {
      for (const [k, v] of await describeTree(root, join(relative, name))) entries.set(k, v);
    }
  }
  return entries;
}

describe('a built image unpacked with umoci', () => {
  test('holds every store path intact and a root with the symlink forest, /tmp and /usr/bin/env', async () => {
    const storage = new FilesystemStorage(await scratch('nixery-builder-umoci-'));
    const record = await bundledBuilder(storage).builder.getImage('shell/git/hello', 'latest');
    const work = await scratch('nixery-builder-layout-');
    await exportLayout(storage, record, join(work, 'layout'));
    const unpack = await execa(
      'umoci',
      ['unpack', '--image', `${join(work, 'layout')}:latest`, join(work, 'bundle')],
      {
        reject: false,
      },
    );
    expect(unpack.stderr).toBe('');
    const rootfs = join(work, 'bundle', 'rootfs');

    const closure = (
      await execa('nix-store', [
        '-qR',
        ...(await readdir(join(rootfs, 'nix', 'store'))).map((n) => `/nix/store/${n}`),
      ])
    ).stdout
      .split('\n')
      .sort();
    const unpackedPaths = (await readdir(join(rootfs, 'nix', 'store'))).map((n) => `/nix/store/${n}`).sort();
    expect(unpackedPaths).toEqual(closure);
    for (const storePath of closure) {
      const original = await describeTree(storePath);
      const unpacked = await describeTree(join(rootfs, storePath));
      expect(unpacked, storePath).toEqual(original);
    }

    // The root: a merged symlink forest of the requested packages.
    expect(await readlink(join(rootfs, 'bin', 'hello'))).toMatch(
      /^\/nix\/store\/[a-z0-9]{32}-hello-[^/]+\/bin\/hello$/,
    );
    expect(await readlink(join(rootfs, 'bin', 'git'))).toMatch(/-git-[^/]+\/bin\/git$/);
    expect((await lstat(join(rootfs, 'bin'))).isDirectory()).toBe(true);
    expect((await lstat(join(rootfs, 'tmp'))).mode & 0o7777).toBe(0o1777);
    const env = await readlink(join(rootfs, 'usr', 'bin', 'env'));
    expect(env).toMatch(/-coreutils-[^/]+\/bin\/env$/);
    expect(unpackedPaths).toContain(env.replace(/\/bin\/env$/, ''));
    const ran = await execa('chroot', [rootfs, '/usr/bin/env', 'hello'], { reject: false });
    expect(ran.stdout).toBe('Hello, world!');
    expect(JSON.parse(await readFile(join(work, 'bundle', 'config.json'), 'utf8')).process.args).toEqual([
      'bash',
    ]);
  });
});
