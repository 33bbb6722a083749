import { mkdtemp, open, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ImageRecord } from '@nixery/builder';
import { LayerCache } from '@nixery/cache';
import { FilesystemStorage } from '@nixery/storage';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { formatReport, needsAttention, verifyStorage } from '../src/index.js';
import { buildImage } from './support/image.js';

let root: string;
let storage: FilesystemStorage;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'verify-'));
  storage = new FilesystemStorage(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const blobFile = (digest: string) => path.join(root, 'blobs', 'sha256', digest.slice('sha256:'.length));
const layerEntryKey = (key: string) => `layers/${key}.json`;

/**
 * The layer-cache key a built layer is stored under: the builder salts the layer's content key
 * (with the gzip layout), so the entry is found by the blob it names.
 */
async function layerCacheKeyOf(digest: string): Promise<string> {
  for await (const { key } of storage.listObjects('layers/')) {
    const entry = await storage.getObject(key);
    if (entry && (JSON.parse(entry.body.toString('utf8')) as { digest: string }).digest === digest)
      return key.slice('layers/'.length, -'.json'.length);
  }
  throw new Error(`no layer-cache entry names ${digest}`);
}

/** Flips one byte in the middle of a stored file, keeping its size. */
async function flipByte(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const { size } = await handle.stat();
    const at = Math.floor(size / 2);
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await handle.write(byte, 0, 1, at);
  } finally {
    await handle.close();
  }
}

/** The distinct blobs (SBOM, empty config) the image's SBOM artifact manifests name. */
async function sbomBlobsOf(record: ImageRecord): Promise<{ digest: string; size: number }[]> {
  const blobs = new Map<string, number>();
  for (const referrers of Object.values(record.referrers ?? {})) {
    for (const referrer of referrers) {
      const manifest = await storage.getObject(`manifests/sha256/${referrer.digest.slice('sha256:'.length)}`);
      const parsed = JSON.parse(manifest!.body.toString('utf8')) as {
        config: { digest: string; size: number };
        layers: { digest: string; size: number }[];
      };
      for (const blob of [parsed.config, ...parsed.layers]) blobs.set(blob.digest, blob.size);
    }
  }
  return [...blobs].map(([digest, size]) => ({ digest, size }));
}

describe('verifyStorage over a real built image (filesystem)', () => {
  test('a freshly built image verifies clean, and every stored thing is counted', async () => {
    const { record } = await buildImage(storage, 'hello');
    const report = await verifyStorage(storage);
    expect(report.problems).toEqual([]);
    expect(needsAttention(report)).toBe(false);
    // The layers, the config, and the SBOM with its artifact manifests' empty config blob.
    const sbomBlobs = await sbomBlobsOf(record);
    expect(report.blobs.checked).toBe(record.layers.length + 1 + sbomBlobs.length);
    expect(report.layerEntries.checked).toBe(record.layers.length);
    // The Docker and OCI manifests, and one SBOM artifact manifest referring to each.
    expect(report.manifests.checked).toBe(2 + 2);
    expect(report.imageRecords.checked).toBe(1);
    const total = record.layers.reduce((sum, l) => sum + l.size, record.config.size);
    expect(report.blobs.bytes).toBe(total + sbomBlobs.reduce((sum, b) => sum + b.size, 0));
    expect(formatReport(report)).toContain('no problems found');
  });

  test('a corrupted layer blob is found, with everything that points to it; --repair removes them and a rebuild succeeds', async () => {
    const { record, cacheKey } = await buildImage(storage, 'hello');
    const layer = record.layers[0]!;
    const layerKey = await layerCacheKeyOf(layer.digest);
    await flipByte(blobFile(layer.digest));

    const found = await verifyStorage(storage);
    expect(needsAttention(found)).toBe(true);
    const kinds = found.problems.map((p) => p.kind).sort();
    expect(kinds).toEqual([
      'blob-corrupt',
      'image-record-dangling',
      'layer-entry-dangling',
      'manifest-dangling',
      'manifest-dangling',
    ]);
    expect(found.problems).toContainEqual(
      expect.objectContaining({ kind: 'blob-corrupt', digest: layer.digest, size: layer.size }),
    );
    expect(found.problems).toContainEqual(
      expect.objectContaining({ kind: 'layer-entry-dangling', key: layerEntryKey(layerKey) }),
    );
    // Without --repair nothing is touched.
    expect(await storage.statBlob(layer.digest)).not.toBeNull();
    expect(formatReport(found)).toMatch(/5 problems found/);

    const repaired = await verifyStorage(storage, { repair: true });
    expect(needsAttention(repaired)).toBe(false);
    expect(repaired.repairs).toContainEqual({
      action: 'delete-blob',
      target: layer.digest,
      problem: 'blob-corrupt',
    });
    expect(
      repaired.repairs
        .filter((r) => r.action === 'delete-object')
        .map((r) => r.target)
        .sort(),
    ).toEqual(
      [
        layerEntryKey(layerKey),
        `manifests/${cacheKey}.json`,
        `manifests/sha256/${record.manifests.docker.digest.slice(7)}`,
        `manifests/sha256/${record.manifests.oci.digest.slice(7)}`,
      ].sort(),
    );
    expect(await storage.statBlob(layer.digest)).toBeNull();
    expect(await storage.getObject(layerEntryKey(layerKey))).toBeNull();
    expect((await verifyStorage(storage)).problems).toEqual([]);

    // The layer cache no longer claims the layer, so the next build writes it again, intact.
    const rebuilt = await buildImage(storage, 'hello');
    expect(rebuilt.record.manifests.docker.digest).toBe(record.manifests.docker.digest);
    expect(await storage.statBlob(layer.digest)).toEqual({ size: layer.size, contentType: null });
    expect((await verifyStorage(storage)).problems).toEqual([]);
  });

  test('a cache entry whose blob was deleted is found and removed', async () => {
    const { record } = await buildImage(storage, 'hello');
    const layer = record.layers[record.layers.length - 1]!;
    const layerKey = await layerCacheKeyOf(layer.digest);
    await storage.deleteBlob(layer.digest);

    const found = await verifyStorage(storage);
    expect(found.problems).toContainEqual({
      kind: 'layer-entry-dangling',
      key: layerEntryKey(layerKey),
      digest: layer.digest,
      reason: 'is missing',
    });
    expect(found.problems.some((p) => p.kind === 'blob-corrupt')).toBe(false);

    await verifyStorage(storage, { repair: true });
    expect(await storage.getObject(layerEntryKey(layerKey))).toBeNull();
    expect(await new LayerCache(storage).get(layerKey)).toBeNull();
    expect((await verifyStorage(storage)).problems).toEqual([]);
  });
});

describe('verifyStorage on hand-made damage', () => {
  test('a blob of the wrong size behind a layer entry, and unparsable entries, are problems', async () => {
    const { digest, size } = await storage.putBlob(Readable.from([Buffer.from('layer bytes')]));
    const key = 'a'.repeat(64);
    await new LayerCache(storage).put(key, { digest, diffId: digest, size, mediaType: 'x/y' });
    // Rewrite the entry with a size the blob does not have.
    await storage.putObject(
      layerEntryKey(key),
      Buffer.from(JSON.stringify({ digest, diffId: digest, size: size + 1, mediaType: 'x/y' })),
      'application/json',
    );
    await storage.putObject(layerEntryKey('b'.repeat(64)), Buffer.from('{not json'), 'application/json');
    await storage.putObject(`manifests/sha256/${'c'.repeat(64)}`, Buffer.from('{}'), 'application/json');

    const report = await verifyStorage(storage);
    expect(report.problems).toContainEqual({
      kind: 'layer-entry-dangling',
      key: layerEntryKey(key),
      digest,
      reason: `has ${size} bytes, not ${size + 1}`,
    });
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: 'layer-entry-invalid', key: layerEntryKey('b'.repeat(64)) }),
    );
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: 'manifest-invalid', digest: `sha256:${'c'.repeat(64)}` }),
    );
    // The intact blob itself is not a problem and survives repair.
    await verifyStorage(storage, { repair: true });
    expect(await storage.statBlob(digest)).not.toBeNull();
    expect((await verifyStorage(storage)).problems).toEqual([]);
  });

  test('repair removes staging leftovers older than the given age, not fresh ones', async () => {
    await storage.putBlob(Readable.from([Buffer.from('x')]));
    const old = path.join(root, 'staging', 'crashed-upload');
    const fresh = path.join(root, 'staging', 'upload-in-progress');
    await writeFile(old, 'partial');
    await writeFile(fresh, 'partial');
    const hourAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(old, hourAgo, hourAgo);

    const report = await verifyStorage(storage, { repair: true });
    expect(report.stagingRemoved).toBe(1);
    await expect(readFile(old)).rejects.toThrow(/ENOENT/);
    expect(await readFile(fresh, 'utf8')).toBe('partial');
  });

  test('folders verify does not know are neither problems nor removed by repair', async () => {
    await storage.putObject('someday/thing.json', Buffer.from('{not json'), 'application/json');
    // A damaged object beside it, so repair has something to do.
    await storage.putObject(layerEntryKey('e'.repeat(64)), Buffer.from('{not json'), 'application/json');

    const report = await verifyStorage(storage, { repair: true });
    expect(report.problems.map((p) => p.kind)).toEqual(['layer-entry-invalid']);
    expect(report.repairs.map((r) => r.target)).toEqual([layerEntryKey('e'.repeat(64))]);
    expect(await storage.getObject('someday/thing.json')).not.toBeNull();
  });

  test('an empty or missing storage folder verifies clean', async () => {
    const report = await verifyStorage(new FilesystemStorage(path.join(root, 'nothing-here')));
    expect(report.blobs.checked).toBe(0);
    expect(report.problems).toEqual([]);
  });

  test('blobs are hashed as streams: a 64 MiB blob does not raise memory by its size', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const { digest } = await storage.putBlob(
      Readable.from(
        (function* () {
          for (let i = 0; i < 64; i++) yield chunk;
        })(),
      ),
    );
    global.gc?.();
    const before = process.memoryUsage().rss;
    const report = await verifyStorage(storage);
    const grown = process.memoryUsage().rss - before;
    expect(report.problems).toEqual([]);
    expect(report.blobs.bytes).toBe(64 * 1024 * 1024);
    expect(digest).toMatch(/^sha256:/);
    expect(grown).toBeLessThan(48 * 1024 * 1024);
  });
});
