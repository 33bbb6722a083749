// `nixery gc` as a user runs it, on a storage folder whose blob times are set on disk.
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemStorage } from '@nixery/storage';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from './support/cli.js';

let root: string;
let storage: FilesystemStorage;
let old: string;
let fresh: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nixery-cli-gc-'));
  storage = new FilesystemStorage(root);
  old = (await storage.putBlob(Readable.from([Buffer.from('an unreferenced blob, ten days old')]))).digest;
  fresh = (await storage.putBlob(Readable.from([Buffer.from('an unreferenced blob, just written')]))).digest;
  const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000);
  await utimes(join(root, 'blobs', 'sha256', old.slice(7)), tenDaysAgo, tenDaysAgo);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

test('--dry-run --json reports the old unreferenced blob and deletes nothing; a real run deletes it, not the fresh one', async () => {
  const dry = await runCli(['gc', '--storage-path', root, '--dry-run', '--json']);
  expect(dry.stderr).toBe('');
  expect(dry.code).toBe(0);
  const report = JSON.parse(dry.stdout) as {
    dryRun: boolean;
    blobs: { deleted: number; deletedBytes: number; fresh: number };
    deleted: { blobs: { digest: string }[] };
  };
  expect(report.dryRun).toBe(true);
  expect(report.deleted.blobs.map((b) => b.digest)).toEqual([old]);
  expect(report.blobs).toMatchObject({ deleted: 1, deletedBytes: 34, fresh: 1 });
  expect(await storage.statBlob(old)).not.toBeNull();

  const real = await runCli(['gc', '--storage-path', root, '--retention', '7d', '--grace', '1d']);
  expect(real.code).toBe(0);
  expect(real.stdout).toMatch(/blobs: 1 kept .*deleted 1 \(34 B\)/);
  expect(await storage.statBlob(old)).toBeNull();
  expect(await storage.statBlob(fresh)).not.toBeNull();
});

test('a malformed duration is a usage error naming the setting', async () => {
  const result = await runCli(['gc', '--storage-path', root, '--retention', 'a month']);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/NIXERY_GC_RETENTION="a month" must be a duration/);
});
