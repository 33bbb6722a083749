import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type BlobSink,
  buildLayersConcurrently,
  createLimiter,
  hashingSink,
  SMALL_LAYERS_PER_SLOT,
  storePathsTar,
  writeLayer,
} from '../src/index.js';
import { collect, DEMO, digestSink, makeFixtureStore, sha256, tempDir } from './helpers.js';

describe('writeLayer', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let store: string;
  let paths: string[];
  let counter = 0;

  /** A sink that stores into a file, like an OCI layout writer, and lets hashingSink do the digest. */
  const fileSink = (): { sink: BlobSink; file: string } => {
    const file = path.join(root.dir, `blob-${counter++}`);
    return { file, sink: hashingSink((data) => pipeline(data, createWriteStream(file))) };
  };

  beforeAll(async () => {
    root = await tempDir('archive-layer-');
    store = path.join(root.dir, 'store');
    paths = await makeFixtureStore(store);
  });
  afterAll(() => root.cleanup());

  test('diffId hashes the tar, digest and size describe the gzip bytes the sink received', async () => {
    const { sink, file } = fileSink();
    const layer = await writeLayer({ kind: 'store-paths', paths }, sink, { storeDir: store });
    const gzip = await readFile(file);
    const tar = gunzipSync(gzip);
    expect(layer.digest).toBe(sha256(gzip));
    expect(layer.size).toBe(gzip.length);
    expect(layer.diffId).toBe(sha256(tar));
    expect(tar.equals(await collect(storePathsTar(paths, { storeDir: store })))).toBe(true);
  });

  test('the gzip stream is deterministic: fixed header, same bytes twice', async () => {
    const a = fileSink();
    const b = fileSink();
    const first = await writeLayer({ kind: 'store-paths', paths }, a.sink, { storeDir: store });
    const second = await writeLayer({ kind: 'store-paths', paths: [...paths].reverse() }, b.sink, {
      storeDir: store,
    });
    expect(second).toEqual(first);
    const header = (await readFile(a.file)).subarray(0, 10);
    expect([...header.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]); // magic, deflate, no flags (no name, no CRC)
    expect(header.readUInt32LE(4)).toBe(0); // MTIME
    expect(header[9]).toBe(3); // OS: Unix
  });

  test('the gzip bytes are zlib level 6 over the tar, whatever the stream chunking', async () => {
    const { file, sink } = fileSink();
    await writeLayer({ kind: 'store-paths', paths }, sink, { storeDir: store });
    const tar = await collect(storePathsTar(paths, { storeDir: store }));
    // One-shot zlib with default buffers gives the same deflate stream as our 64 KiB-chunked one,
    // so the chunk size is free to tune and layers stay byte-identical across versions.
    const oneShot = gzipSync(tar, { level: 6 });
    oneShot[9] = 3; // the OS byte, pinned to Unix as the layer writer does
    expect((await readFile(file)).equals(oneShot)).toBe(true);
  });

  test('the compression level changes the gzip bytes but not the diffId', async () => {
    const fast = await writeLayer({ kind: 'store-paths', paths }, digestSink, {
      storeDir: store,
      compressionLevel: 1,
    });
    const best = await writeLayer({ kind: 'store-paths', paths }, digestSink, {
      storeDir: store,
      compressionLevel: 9,
    });
    expect(fast.diffId).toBe(best.diffId);
    expect(fast.digest).not.toBe(best.digest);
    await expect(
      writeLayer({ kind: 'store-paths', paths }, digestSink, { storeDir: store, compressionLevel: 11 }),
    ).rejects.toThrow(RangeError);
  });

  test('builds the root layer from a root source', async () => {
    const layer = await writeLayer(
      { kind: 'root', packages: [path.join(store, DEMO)], envPath: null },
      digestSink,
      { storeDir: store },
    );
    expect(layer.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(layer.diffId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('a failing sink fails the build instead of hanging it', async () => {
    const failing: BlobSink = async (compressed) => {
      for await (const _ of compressed) throw new Error('disk full');
      throw new Error('unreachable');
    };
    await expect(writeLayer({ kind: 'store-paths', paths }, failing, { storeDir: store })).rejects.toThrow(
      'disk full',
    );
  });

  test('a failing source (a missing store path) fails the build', async () => {
    const missing = path.join(store, 'dddddddddddddddddddddddddddddddd-gone');
    await expect(
      writeLayer({ kind: 'store-paths', paths: [missing] }, digestSink, { storeDir: store }),
    ).rejects.toThrow(/ENOENT/);
  });
});

describe('concurrency helpers', () => {
  test('createLimiter never runs more than the limit at once', async () => {
    const limited = createLimiter(2);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      [30, 10, 20, 5, 15].map((ms, index) =>
        limited(async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(ms);
          running--;
          return index;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    expect(() => createLimiter(0)).toThrow(RangeError);
  });

  test('buildLayersConcurrently runs small layers beside the large ones, each kind within its bound', async () => {
    const running = { small: 0, large: 0 };
    const peak = { small: 0, large: 0 };
    const job = (kind: 'small' | 'large', index: number) => async () => {
      running[kind]++;
      peak[kind] = Math.max(peak[kind], running[kind]);
      await sleep(5);
      running[kind]--;
      return index;
    };
    const MiB = 1024 * 1024;
    const jobs = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? // Large by size, by path count, or of unknown size.
          [
            { build: job('large', i), bytes: 8 * MiB, paths: 1 },
            { build: job('large', i), bytes: 1024, paths: 500 },
            job('large', i),
          ][(i / 3) % 3]!
        : { build: job('small', i), bytes: 20 * 1024, paths: 1 },
    );
    const results = await buildLayersConcurrently(jobs, 2);
    expect(results).toEqual(jobs.map((_, i) => i));
    expect(peak.large).toBe(2);
    expect(peak.small).toBe(2 * SMALL_LAYERS_PER_SLOT);
  });

  test('buildLayersConcurrently builds real layers and keeps job order', async () => {
    const { dir, cleanup } = await tempDir('archive-conc-');
    try {
      const store = path.join(dir, 'store');
      await mkdir(store);
      const [demo, dep] = await makeFixtureStore(store);
      const sources = [[demo!], [dep!], [demo!, dep!]];
      const concurrent = await buildLayersConcurrently(
        sources.map(
          (p) => () => writeLayer({ kind: 'store-paths', paths: p }, digestSink, { storeDir: store }),
        ),
        2,
      );
      const sequential = [];
      for (const p of sources) {
        sequential.push(await writeLayer({ kind: 'store-paths', paths: p }, digestSink, { storeDir: store }));
      }
      expect(concurrent).toEqual(sequential);
      expect(new Set(concurrent.map((l) => l.digest)).size).toBe(3);
    } finally {
      await cleanup();
    }
  });
});
