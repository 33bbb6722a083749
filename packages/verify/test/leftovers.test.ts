// Crash leftovers: staging entries and stale GC-root folders are problems with counts, bytes and
// ages; repair removes stale folders, and staging of any age only when no build runs on this host.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildImageClosure, createGcRootFolder, listGcRootFolders } from '@nixery/nix';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { FilesystemStorage, GcsStorage, type Storage } from '@nixery/storage';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { type GcsEmulator, startGcsEmulator } from '../../storage/test/support/gcs-emulator.js';
import { formatReport, needsAttention, type Problem, verifyStorage } from '../src/index.js';

let root: string;
let storage: FilesystemStorage;
let gcRootsDir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'verify-leftovers-'));
  storage = new FilesystemStorage(join(root, 'storage'));
  gcRootsDir = join(root, 'gcroots');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A GC-root folder as a build process that then died would have left it, rooting `storePaths`. */
async function staleFolder(storePaths: string[]): Promise<string> {
  const mine = await createGcRootFolder(gcRootsDir);
  const host = (/^(.+)_\d+_\d+_[A-Za-z0-9]{6}$/.exec(basename(mine)) as RegExpExecArray)[1];
  await rm(mine, { recursive: true });
  const dead = Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
  );
  const folder = join(gcRootsDir, `${host}_${dead}_4242_${randomUUID().slice(0, 6).replace('-', 'x')}`);
  await mkdir(folder);
  for (const [i, target] of storePaths.entries())
    await symlink(target, join(folder, i === 0 ? 'result' : `result-${i + 1}`));
  return folder;
}

async function plantStaging(name: string, bytes: number, ageMs = 0): Promise<void> {
  const file = join(storage.root, 'staging', name);
  await mkdir(join(storage.root, 'staging'), { recursive: true });
  await writeFile(file, Buffer.alloc(bytes, 1));
  if (ageMs > 0) {
    const then = new Date(Date.now() - ageMs);
    await utimes(file, then, then);
  }
}

const kinds = (problems: Problem[]) => problems.map((p) => p.kind).sort();

describe('crash leftovers (filesystem)', () => {
  test('staging entries are reported with count, bytes and the age of the oldest', async () => {
    await plantStaging('a', 1000, 90_000);
    await plantStaging('b', 24);
    const report = await verifyStorage(storage);
    expect(report.problems).toEqual([
      { kind: 'staging-leftovers', count: 2, bytes: 1024, oldestAgeMs: expect.any(Number) },
    ]);
    const problem = report.problems[0] as Extract<Problem, { kind: 'staging-leftovers' }>;
    expect(problem.oldestAgeMs).toBeGreaterThanOrEqual(90_000);
    expect(problem.oldestAgeMs).toBeLessThan(100_000);
    expect(needsAttention(report)).toBe(true);
    expect(report.gcRoots).toBeNull(); // no gcRootsDir: not looked at
    expect(formatReport(report)).toMatch(
      /staging holds 2 unfinished uploads \(1024 bytes, the oldest written 9\d s ago\)/,
    );
  });

  test('a stale GC-root folder is reported with the closure bytes it holds; a live one is not a problem', async () => {
    // A real Nix build roots its outputs in the folder, as the builder's crashed build had.
    const stale = await staleFolder([]);
    const built = await buildImageClosure(
      {
        packages: ['hello'],
        system: 'x86_64-linux',
        source: { nixArg: JSON.stringify({ kind: 'path', path: BUNDLED_PACKAGE_SET_PATH }) },
      },
      { timeoutSeconds: 60, substituters: '', gcRootDir: stale },
    );
    expect(built.ok).toBe(true);
    expect((await readdir(stale)).length).toBeGreaterThan(0);
    const live = await createGcRootFolder(gcRootsDir);
    const report = await verifyStorage(storage, { gcRootsDir });
    expect(report.gcRoots).toEqual({ parent: gcRootsDir, live: 1, stale: 1, foreign: 0 });
    expect(report.problems).toHaveLength(1);
    const problem = report.problems[0] as Extract<Problem, { kind: 'gc-roots-stale' }>;
    expect(problem).toMatchObject({ kind: 'gc-roots-stale', count: 1, paths: [stale] });
    expect(problem.bytes).toBeGreaterThan(10_000);
    expect(problem.oldestAgeMs).toBeLessThan(60_000);
    const text = formatReport(report);
    expect(text).toContain('1 live (a build is running on this host), 1 stale');
    expect(text).toContain(`1 stale GC-root folder (the build that made it is gone`);
    expect(text).toContain(`keeps ${problem.bytes} bytes of store paths from garbage collection: ${stale}`);
    expect(existsSync(live)).toBe(true);
  });

  test('repair while a build runs here (a live folder): stale folders go, staging only past the age', async () => {
    await staleFolder([]);
    const live = await createGcRootFolder(gcRootsDir);
    await plantStaging('old', 10, 2 * 3_600_000);
    await plantStaging('young', 10);
    const report = await verifyStorage(storage, { gcRootsDir, repair: true });
    expect(kinds(report.problems)).toEqual(['gc-roots-stale', 'staging-leftovers']);
    expect(report.repairs).toEqual([]); // no object or blob was deleted for these
    expect(report).toMatchObject({ stagingRemoved: 1, stagingMinAgeMs: 3_600_000, gcRootFoldersRemoved: 1 });
    expect(await readdir(join(storage.root, 'staging'))).toEqual(['young']);
    expect((await listGcRootFolders(gcRootsDir)).map((f) => f.path)).toEqual([live]);
    expect(formatReport(report)).toContain(
      'staging leftovers removed: 1 (older than 3600 s: a build is running on this host',
    );
  });

  test('repair with no build running here removes staging leftovers of any age, then verifies clean', async () => {
    const stale = await staleFolder([]);
    await plantStaging('young', 10);
    const report = await verifyStorage(storage, { gcRootsDir, repair: true });
    expect(report).toMatchObject({ stagingRemoved: 1, stagingMinAgeMs: 0, gcRootFoldersRemoved: 1 });
    expect(formatReport(report)).toContain(
      'staging leftovers removed: 1 (of any age: no build is running on this host)',
    );
    expect(existsSync(stale)).toBe(false);
    const again = await verifyStorage(storage, { gcRootsDir });
    expect(again.problems).toEqual([]);
    expect(again.gcRoots).toEqual({ parent: gcRootsDir, live: 0, stale: 0, foreign: 0 });
  });
});

describe('crash leftovers (GCS emulator)', () => {
  let emulator: GcsEmulator;
  beforeAll(async () => {
    emulator = await startGcsEmulator();
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  test('staging objects are reported through the Storage interface, and repair with no build running removes them', async () => {
    const gcs: Storage = new GcsStorage({ bucket: `leftovers-${randomUUID()}` });
    await (gcs as GcsStorage).bucket
      .file('staging/crashed')
      .save(Buffer.alloc(5000, 2), { resumable: false });
    const found = await verifyStorage(gcs, { gcRootsDir });
    expect(found.problems).toEqual([
      { kind: 'staging-leftovers', count: 1, bytes: 5000, oldestAgeMs: expect.any(Number) },
    ]);
    const repaired = await verifyStorage(gcs, { gcRootsDir, repair: true });
    expect(repaired).toMatchObject({ stagingRemoved: 1, stagingMinAgeMs: 0 });
    expect((await verifyStorage(gcs, { gcRootsDir })).problems).toEqual([]);
  });
});
