// Store-path layers are packed in worker threads: the bytes must be those of the main-thread
// writer over the same walk, errors must arrive as the same errors, and a consumer that stops
// must free its worker for the next layer.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { storePathEntries, storePathsTar, tarStream } from '../src/index.js';
import { collect, makeFixtureStore, sha256, tempDir } from './helpers.js';

describe('packing in a worker', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let store: string;
  let paths: string[];
  let big: string;

  beforeAll(async () => {
    root = await tempDir('archive-worker-');
    store = path.join(root.dir, 'store');
    paths = await makeFixtureStore(store);
    big = path.join(store, 'dddddddddddddddddddddddddddddddd-big');
    await mkdir(path.join(big, 'many'), { recursive: true });
    await writeFile(path.join(big, 'blob'), Buffer.alloc(3 * 1024 * 1024 + 17, 9));
    for (let i = 0; i < 300; i++) await writeFile(path.join(big, 'many', `f${i}`), `file ${i}\n`.repeat(i));
  });
  afterAll(() => root.cleanup());

  test('gives the bytes of the main-thread writer over the same walk, and their sha256', async () => {
    for (const set of [paths, [big], [...paths, big]]) {
      const tar = storePathsTar(set, { storeDir: store });
      const bytes = await collect(tar);
      const reference = await collect(tarStream(storePathEntries(set, { storeDir: store })));
      expect(bytes.equals(reference)).toBe(true);
      expect(tar.summary()).toEqual({ digest: sha256(bytes), size: bytes.length });
    }
  });

  test('a tar of one gzip member comes compressed by the worker, with the bytes of that member', async () => {
    const tar = storePathsTar(paths, { storeDir: store }, 6);
    const whole = await tar.packedWhole();
    const reference = await collect(tarStream(storePathEntries(paths, { storeDir: store })));
    const member = gzipSync(reference, { level: 6 });
    member[9] = 3;
    expect(whole?.equals(member)).toBe(true);
    expect(tar.summary()).toEqual({ digest: sha256(reference), size: reference.length });
    expect(tar.destroyed).toBe(true);
    // Read instead of asked: an error, never an empty tar.
    await expect(collect(storePathsTar(paths, { storeDir: store }, 6))).rejects.toThrow('packedWhole');
    // Larger than a member: the tar itself is streamed, for the parallel member compressor.
    const large = storePathsTar([big], { storeDir: store }, 6);
    expect(await large.packedWhole()).toBeNull();
    expect((await collect(large)).length).toBeGreaterThan(3 * 1024 * 1024);
    // Not asked for at all: nothing to wait for.
    const plain = storePathsTar(paths, { storeDir: store });
    expect(await plain.packedWhole()).toBeNull();
    expect((await collect(plain)).equals(reference)).toBe(true);
  });

  test('many layers at once, more than there are workers, all come out whole', async () => {
    const expected = await collect(tarStream(storePathEntries([big], { storeDir: store })));
    const results = await Promise.all(
      Array.from({ length: 12 }, () => collect(storePathsTar([big], { storeDir: store }))),
    );
    for (const result of results) expect(result.equals(expected)).toBe(true);
  });

  test('a store path that vanished fails with the file-system error', async () => {
    const gone = path.join(store, 'ffffffffffffffffffffffffffffffff-gone');
    const failure = (await collect(storePathsTar([gone], { storeDir: store })).catch(
      (e) => e,
    )) as NodeJS.ErrnoException;
    expect(failure).toBeInstanceOf(Error);
    expect(failure.code).toBe('ENOENT');
    expect(failure.message).toContain(gone);
  });

  test('a consumer that stops early frees its worker: later layers still pack', async () => {
    for (let i = 0; i < 20; i++) {
      const tar = storePathsTar([big], { storeDir: store });
      for await (const _ of tar) break; // destroys the stream after the first chunk
    }
    const controller = new AbortController();
    const aborted = storePathsTar([big], { storeDir: store, signal: controller.signal });
    const failing = collect(aborted).catch((e: Error) => e.message);
    controller.abort(new Error('client gone'));
    expect(await failing).toBe('client gone');
    const after = await collect(storePathsTar(paths, { storeDir: store }));
    const reference = await collect(tarStream(storePathEntries(paths, { storeDir: store })));
    expect(after.equals(reference)).toBe(true);
  });
});
