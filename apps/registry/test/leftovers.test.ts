import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createGcRootFolder } from '@nixery/nix';
import { FilesystemStorage } from '@nixery/storage';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { cleanLeftoversAtStart, stagingGraceMs } from '../src/leftovers.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'registry-leftovers-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the staging grace period is ten request timeouts (NIX_TIMEOUT + 120 s), at least an hour', () => {
  expect(stagingGraceMs(60)).toBe(3_600_000);
  expect(stagingGraceMs(600)).toBe(7_200_000);
  expect(stagingGraceMs(3600)).toBe(37_200_000);
});

test('start-up removes stale GC-root folders and staging past the grace period, keeps the rest, and logs it', async () => {
  const storage = new FilesystemStorage(join(root, 'storage'));
  const gcRootsDir = join(root, 'gcroots');
  const live = await createGcRootFolder(gcRootsDir);
  const host = (/^(.+)_\d+_\d+_[A-Za-z0-9]{6}$/.exec(basename(live)) as RegExpExecArray)[1];
  const deadPid = Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
  );
  const stale = join(gcRootsDir, `${host}_${deadPid}_7_abcdef`);
  await mkdir(stale);

  const staging = join(storage.root, 'staging');
  await mkdir(staging, { recursive: true });
  for (const name of ['old', 'young']) await writeFile(join(staging, name), 'partial');
  const pastGrace = new Date(Date.now() - stagingGraceMs(60) - 60_000);
  await utimes(join(staging, 'old'), pastGrace, pastGrace);

  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const result = await cleanLeftoversAtStart({ storage, gcRootsDir, nixTimeoutSeconds: 60, logger });

  expect(result).toEqual({ gcRootFoldersRemoved: [stale], stagingRemoved: 1, graceMs: 3_600_000 });
  expect(existsSync(stale)).toBe(false);
  expect(existsSync(live)).toBe(true);
  expect(await readdir(staging)).toEqual(['young']);
  expect(lines.map((l) => l.msg)).toEqual([
    'removed stale GC-root folders',
    'cleaned staging leftovers older than the grace period',
  ]);
  expect(lines[1]).toMatchObject({ removed: 1, graceSeconds: 3600, kept: { count: 1, bytes: 7 } });
});

test('a storage that fails is logged as a warning, not a failed start', async () => {
  const failing = new FilesystemStorage(join(root, 'storage'));
  failing.cleanStaging = async () => {
    throw new Error('bucket unreachable');
  };
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const result = await cleanLeftoversAtStart({
    storage: failing,
    gcRootsDir: join(root, 'gcroots'),
    nixTimeoutSeconds: 60,
    logger,
  });
  expect(result).toEqual({ gcRootFoldersRemoved: [], stagingRemoved: 0, graceMs: 3_600_000 });
  expect(lines).toEqual([
    expect.objectContaining({ msg: 'could not clean staging leftovers', err: 'bucket unreachable' }),
  ]);
});
