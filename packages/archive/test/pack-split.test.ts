// A layer of many store paths is packed by several workers at once, in segments: the tar must
// be byte for byte the one-worker tar, its digest the whole tar's, a slow consumer must stop
// every worker, and any segment's failure must fail the stream as one worker would.
import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { storePathEntries, storePathsTar, tarStream, UnsupportedFileTypeError } from '../src/index.js';
import { PACK_CHUNK_BYTES } from '../src/pack-job.js';
import { SEGMENT_CREDIT_CHUNKS, WorkerTarStream } from '../src/pack-pool.js';
import { planPack, SPLIT_MIN_PATHS } from '../src/pack-split.js';
import { packJob } from '../src/store-paths.js';
import { collect, listTar, makeFixtureStore, sha256, tempDir } from './helpers.js';

const hash = (i: number) => i.toString(36).padStart(32, '0');

/** `count` store paths of assorted shapes: nested directories, links, empty and larger files. */
async function makeManyPaths(
  store: string,
  count: number,
  fileBytes = (i: number) => (i % 7) * 1000,
): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = path.join(store, `${hash(i * 7919)}-pkg-${i}`);
    paths.push(dir);
    if (i % 13 === 5) {
      // A store path that is a single file, and one that is a link.
      await writeFile(dir, `single file ${i}\n`);
      continue;
    }
    if (i % 17 === 3) {
      await symlink(`/nix/store/${hash(1)}-pkg-1`, dir);
      continue;
    }
    await mkdir(path.join(dir, 'share', 'doc'), { recursive: true });
    await mkdir(path.join(dir, 'bin'), { recursive: true });
    await writeFile(path.join(dir, 'bin', `tool-${i}`), `#!/bin/sh\necho ${i}\n`, { mode: 0o755 });
    await writeFile(path.join(dir, 'share', 'doc', 'README'), Buffer.alloc(fileBytes(i), i % 251));
    await writeFile(path.join(dir, 'share', 'empty'), '');
    await symlink(`../bin/tool-${i}`, path.join(dir, 'share', 'tool'));
  }
  return paths;
}

describe('packing a layer of many store paths in segments', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let store: string;
  let paths: string[];

  beforeAll(async () => {
    root = await tempDir('archive-split-');
    store = path.join(root.dir, 'store');
    // Some files larger than a chunk (256 KiB), so chunk and segment boundaries fall anywhere.
    paths = [
      ...(await makeFixtureStore(store)),
      ...(await makeManyPaths(store, 298, (i) => (i % 29 === 0 ? 300_000 + i : (i % 7) * 1000))),
    ];
  });
  afterAll(() => root.cleanup());

  test('the plan splits only many paths, into contiguous segments of the sorted list', () => {
    const job = packJob(paths, store);
    expect(planPack(job, 1)).toEqual({ jobs: [job], lanes: 1 });
    const few = { storePaths: job.storePaths.slice(0, SPLIT_MIN_PATHS - 1) };
    expect(planPack(few, 8).jobs).toEqual([few]);
    for (const parallelism of [2, 3, 4, 64]) {
      const plan = planPack(job, parallelism);
      expect(plan.lanes).toBe(Math.min(parallelism, 4));
      expect(plan.jobs.length).toBeGreaterThan(plan.lanes);
      expect(plan.jobs.flatMap((segment) => segment.storePaths)).toEqual(job.storePaths);
      expect(plan.jobs.map((segment) => segment.segment)).toEqual(
        plan.jobs.map((_, i) => ({ first: i === 0, last: i === plan.jobs.length - 1 })),
      );
    }
  });

  test('gives the bytes of one worker and of the main-thread writer, and the whole tar’s sha256', async () => {
    const reference = await collect(tarStream(storePathEntries(paths, { storeDir: store })));
    const job = packJob(paths, store);
    const single = new WorkerTarStream(planPack(job, 1));
    expect((await collect(single)).equals(reference)).toBe(true);
    expect(single.summary()).toEqual({ digest: sha256(reference), size: reference.length });
    for (const parallelism of [2, 3, 4]) {
      const split = new WorkerTarStream(planPack(job, parallelism));
      const bytes = await collect(split);
      expect(bytes.equals(reference)).toBe(true);
      expect(split.summary()).toEqual({ digest: sha256(reference), size: reference.length });
    }
    // storePathsTar splits by itself (on a machine of one CPU it does not; the bytes are the same).
    expect((await collect(storePathsTar(paths, { storeDir: store }))).equals(reference)).toBe(true);
    const entries = await listTar(storePathsTar(paths, { storeDir: store }));
    expect(entries.slice(0, 2).map((e) => e.name)).toEqual(['nix/', 'nix/store/']);
    expect(entries.filter((e) => e.name === 'nix/').length).toBe(1);
  });

  test('several split layers at once on a shared pool all come out whole', async () => {
    const reference = await collect(tarStream(storePathEntries(paths, { storeDir: store })));
    const job = packJob(paths, store);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => collect(new WorkerTarStream(planPack(job, 4)))),
    );
    for (const result of results) expect(result.equals(reference)).toBe(true);
  });

  test('a segment’s failure fails the stream with the first error along the tar', async () => {
    const failing = path.join(root.dir, 'failing');
    const many = await makeManyPaths(failing, 200);
    const plan = planPack(packJob(many, failing), 2);
    const sorted = plan.jobs.flatMap((segment) => segment.storePaths.map(([, local]) => local));
    // A fifo at the start of the second segment, which its worker meets at once…
    const directories = (segment: number) =>
      plan.jobs[segment]!.storePaths.map(([, local]) => local).filter((p) => lstatSync(p).isDirectory());
    const late = path.join(directories(1)[0]!, 'share', 'fifo');
    execFileSync('mkfifo', [late]);
    const lateError = await collect(new WorkerTarStream(planPack(packJob(many, failing), 2))).catch((e) => e);
    expect(lateError).toBeInstanceOf(UnsupportedFileTypeError);
    expect((lateError as UnsupportedFileTypeError).path).toBe(late);
    // …and one at the end of the first, met later but earlier in the tar: that one is the error.
    const early = path.join(directories(0).at(-1)!, 'share', 'fifo');
    execFileSync('mkfifo', [early]);
    const earlyError = await collect(new WorkerTarStream(planPack(packJob(many, failing), 2))).catch(
      (e) => e,
    );
    expect((earlyError as UnsupportedFileTypeError).path).toBe(early);
    // A store path that vanished, in the last segment.
    await rm(early);
    await rm(late);
    await rm(sorted[199]!, { recursive: true });
    const gone = (await collect(storePathsTar(many, { storeDir: failing })).catch(
      (e) => e,
    )) as NodeJS.ErrnoException;
    expect(gone.code).toBe('ENOENT');
    expect(gone.message).toContain(sorted[199]);
  });

  test('a slow consumer stops every worker; stopping or aborting frees them all', async () => {
    const large = path.join(root.dir, 'large');
    // 40 MiB of tar in 8 segments of 5 MiB, each more than a segment's run-ahead: the run-ahead
    // and the window of started segments bound how far the workers get.
    const many = await makeManyPaths(large, 256, () => 160 * 1024);
    const tar = new WorkerTarStream(planPack(packJob(many, large), 2));
    const iterator = tar[Symbol.asyncIterator]();
    await iterator.next();
    const segments = (tar as unknown as { segments: { queued: Buffer[] }[] }).segments;
    const held = () => segments.reduce((sum, s) => sum + s.queued.reduce((n, c) => n + c.length, 0), 0);
    // Wait until the workers have stopped (the held bytes no longer grow), however loaded the machine.
    let buffered = -1;
    for (let stable = 0; stable < 4; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const now = held();
      stable = now === buffered && now > 0 ? stable + 1 : 0;
      buffered = now;
    }
    // Later segments ran ahead (in parallel), but at most 3 segments' run-ahead is held.
    const runAhead = SEGMENT_CREDIT_CHUNKS * PACK_CHUNK_BYTES;
    expect(buffered).toBeGreaterThan(runAhead);
    expect(buffered).toBeLessThanOrEqual(3 * runAhead);
    await iterator.return?.();

    // Workers held by stopped streams would exhaust the pool (4 × CPUs) and hang what follows.
    for (let i = 0; i < 20; i++) {
      for await (const _ of new WorkerTarStream(planPack(packJob(many, large), 4))) break;
    }
    const controller = new AbortController();
    const aborted = storePathsTar(paths, { storeDir: store, signal: controller.signal });
    const failure = (async () => {
      for await (const _ of aborted) controller.abort(new Error('client gone')); // after a first chunk
    })().catch((e: Error) => e.message);
    expect(await failure).toBe('client gone');
    const after = await collect(new WorkerTarStream(planPack(packJob(paths, store), 4)));
    const reference = await collect(tarStream(storePathEntries(paths, { storeDir: store })));
    expect(after.equals(reference)).toBe(true);
  }, 60_000);
});
