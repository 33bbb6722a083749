// `nixery verify` (the command module, run through a tiny commander program) on storage a real
// server filled: a blob corrupted on disk is reported with exit code 1, --repair removes it and
// what points to it, and the server then rebuilds and serves the image intact.
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { storageProblems } from './support/faults.js';
import { startTestRegistry, type TestRegistry } from './support/registry.js';
import { runVerify } from './support/verify-command.js';

const ACCEPT = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };
let registry: TestRegistry;
// GC-root folders of this file's builds only: others (a crashed server elsewhere) would be problems.
const gcRootsDir = join(tmpdir(), `nixery-gcroots-verify-e2e-${process.pid}`);
const previousGcRootsDir = process.env.NIXERY_GCROOTS_DIR;
beforeAll(async () => {
  process.env.NIXERY_GCROOTS_DIR = gcRootsDir; // read by `nixery verify`
  registry = await startTestRegistry({ env: { NIXERY_GCROOTS_DIR: gcRootsDir } });
});
afterAll(async () => {
  await registry?.stop();
  if (previousGcRootsDir === undefined) delete process.env.NIXERY_GCROOTS_DIR;
  else process.env.NIXERY_GCROOTS_DIR = previousGcRootsDir;
  await rm(gcRootsDir, { recursive: true, force: true });
});

test('nixery verify finds a corrupted blob (exit 1), --repair removes it, and the server serves the image intact again', async () => {
  const response = await fetch(`${registry.url}/v2/hello/manifests/latest`, { headers: ACCEPT });
  const manifest = (await response.json()) as { layers: { digest: string; size: number }[] };
  const clean = await runVerify(['--storage-path', registry.storagePath]);
  expect(clean.exitCode).toBe(0);
  expect(clean.stdout).toContain('no problems found');

  const victim = manifest.layers[0]!;
  const handle = await open(join(registry.storagePath, 'blobs', 'sha256', victim.digest.slice(7)), 'r+');
  await handle.write(Buffer.from('garbage'), 0, 7, Math.floor(victim.size / 2));
  await handle.close();

  const found = await runVerify(['--storage-path', registry.storagePath, '--json']);
  expect(found.exitCode).toBe(1);
  const report = JSON.parse(found.stdout) as { problems: { kind: string; digest?: string }[] };
  expect(report.problems).toContainEqual(
    expect.objectContaining({ kind: 'blob-corrupt', digest: victim.digest }),
  );

  const repaired = await runVerify(['--storage-path', registry.storagePath, '--repair']);
  expect(repaired.exitCode).toBe(0);
  expect(repaired.stdout).toContain(`deleted blob ${victim.digest}`);
  expect(await storageProblems(registry.storagePath)).toEqual([]);

  // The server's in-memory image (unpinned source, 60 s) still names the removed blob; a fresh
  // server on the same storage rebuilds the layer, byte-identical.
  const fresh = await startTestRegistry({
    storagePath: registry.storagePath,
    env: { NIXERY_GCROOTS_DIR: gcRootsDir },
  });
  try {
    const again = await fetch(`${fresh.url}/v2/hello/manifests/latest`, { headers: ACCEPT });
    expect(again.status).toBe(200);
    const blob = await fetch(`${fresh.url}/v2/hello/blobs/${victim.digest}`);
    expect(blob.status).toBe(200);
    const bytes = Buffer.from(await blob.arrayBuffer());
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(victim.digest);
  } finally {
    await fresh.close();
  }
  expect((await runVerify(['--storage-path', registry.storagePath])).exitCode).toBe(0);

  const usage = await runVerify(['--storage-backend', 'tape']);
  expect(usage.exitCode).toBe(2);
});
