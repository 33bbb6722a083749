// A real crash: the server killed with SIGKILL while writing clang's layers leaves uploads in
// staging and a GC-root folder that keeps clang's closure from Nix's garbage collector.
// `nixery verify` reports both with counts and bytes; the next server start removes the stale
// GC-root folder and the staging leftovers older than its grace period; `verify --repair` (no build
// running on this host) removes the rest; then the image pulls intact.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemStorage } from '@nixery/storage';
import { afterEach, expect, test } from 'vitest';
import { stagingNames, startRegistryProcess, waitFor } from './support/faults.js';
import { startTestRegistry } from './support/registry.js';
import { runVerify } from './support/verify-command.js';

const ACCEPT = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Report {
  problems: { kind: string; count?: number; bytes?: number | null; oldestAgeMs?: number; paths?: string[] }[];
  gcRoots: { live: number; stale: number } | null;
  stagingRemoved: number;
  gcRootFoldersRemoved: number;
}

test('after a SIGKILL mid-build, verify reports the staging leftovers and the stale GC-root folder; a restart and verify --repair clean them; the next pull succeeds', async () => {
  const root = await mkdtemp(join(tmpdir(), 'nixery-leftovers-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const storagePath = join(root, 'storage');
  const gcRootsDir = join(root, 'gcroots');
  const env = { STORAGE_PATH: storagePath, NIXERY_GCROOTS_DIR: gcRootsDir };
  const verify = (...args: string[]) =>
    runVerify(['--storage-path', storagePath, '--gcroots-dir', gcRootsDir, ...args]);

  const first = await startRegistryProcess(env);
  cleanups.push(async () => {
    first.child.kill('SIGKILL');
    await first.exited;
  });
  // clang's closure holds a 76 MiB llvm-libs layer: seconds of gzip to land the kill in.
  const pending = fetch(`${first.url}/v2/clang/manifests/latest`, { headers: ACCEPT }).catch(
    (error: unknown) => error,
  );
  // Killed once two uploads and a megabyte are under way: leftovers with bytes, one to age below.
  const staged = new FilesystemStorage(storagePath);
  await waitFor('two uploads and a megabyte in staging', 60_000, async () => {
    const { count, bytes } = await staged.stagingSummary();
    return count >= 2 && bytes > 1024 * 1024;
  });
  first.child.kill('SIGKILL');
  await first.exited;
  expect(await pending).toBeInstanceOf(Error);

  const leftovers = await stagingNames(storagePath);
  const [folder, ...otherFolders] = await readdir(gcRootsDir);
  expect(otherFolders).toEqual([]);
  expect(folder).toMatch(new RegExp(`_${first.child.pid}_\\d+_[A-Za-z0-9]{6}$`));
  expect((await readdir(join(gcRootsDir, folder!))).length).toBeGreaterThan(0); // Nix's result links

  // Plain verify: not "no problems found", but both leftovers with counts and bytes.
  const text = await verify();
  expect(text.exitCode).toBe(1);
  expect(text.stdout).not.toContain('no problems found');
  expect(text.stdout).toMatch(
    new RegExp(
      `staging holds ${leftovers.length} unfinished uploads? \\(\\d+ bytes, the oldest written \\d+ s ago\\)`,
    ),
  );
  expect(text.stdout).toMatch(
    /1 stale GC-root folder \(the build that made it is gone.*keeps \d+ bytes of store paths/,
  );
  const json = await verify('--json');
  const report = JSON.parse(json.stdout) as Report;
  const staging = report.problems.find((p) => p.kind === 'staging-leftovers');
  const gcRoots = report.problems.find((p) => p.kind === 'gc-roots-stale');
  const stagingBytes = (
    await Promise.all(leftovers.map((name) => stat(join(storagePath, 'staging', name))))
  ).reduce((sum, info) => sum + info.size, 0);
  expect(staging).toMatchObject({ count: leftovers.length, bytes: stagingBytes });
  expect(stagingBytes).toBeGreaterThan(0);
  expect(gcRoots).toMatchObject({ count: 1, paths: [join(gcRootsDir, folder!)] });
  expect(gcRoots?.bytes).toBeGreaterThan(50 * 1024 * 1024); // clang's closure, llvm-libs included
  expect(report.problems.map((p) => p.kind).sort()).toEqual(['gc-roots-stale', 'staging-leftovers']);

  // One leftover aged past the grace period (an hour at NIX_TIMEOUT 60): the restart removes it and
  // the stale GC-root folder, and keeps the younger leftovers (they could be another instance's).
  const [aged, ...young] = leftovers;
  expect(young.length).toBeGreaterThan(0);
  const longAgo = new Date(Date.now() - 2 * 3_600_000);
  await utimes(join(storagePath, 'staging', aged!), longAgo, longAgo);
  const second = await startTestRegistry({ storagePath, env: { NIXERY_GCROOTS_DIR: gcRootsDir } });
  cleanups.push(second.close);
  expect(existsSync(join(gcRootsDir, folder!))).toBe(false);
  expect((await stagingNames(storagePath)).sort()).toEqual([...young].sort());

  // No build runs on this host now, so --repair removes the leftovers whatever their age.
  const repaired = JSON.parse((await verify('--repair', '--json')).stdout) as Report;
  expect(repaired.stagingRemoved).toBe(young.length);
  expect(await stagingNames(storagePath)).toEqual([]);
  const clean = await verify();
  expect(clean.exitCode).toBe(0);
  expect(clean.stdout).toContain('no problems found');

  // The next pull builds clang from scratch and serves it intact.
  const response = await fetch(`${second.url}/v2/clang/manifests/latest`, { headers: ACCEPT });
  expect(response.status, await response.clone().text()).toBe(200);
  const manifest = (await response.json()) as { layers: { digest: string; size: number }[] };
  for (const layer of manifest.layers) {
    const blob = await fetch(`${second.url}/v2/clang/blobs/${layer.digest}`, { method: 'HEAD' });
    expect(blob.status).toBe(200);
    expect(Number(blob.headers.get('content-length'))).toBe(layer.size);
  }
  const after = await verify();
  expect(after.exitCode, after.stdout).toBe(0);
  expect(await readdir(gcRootsDir)).toEqual([]); // the build removed its own folder
}, 240_000);
