import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { FilesystemStorage } from '@nixery/storage';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { commitFolder } from '../../nix/test/support/git-repo.js';
import { bundledBuilder, tempDir } from './support.js';

// A pinned source (a git commit) caches whole images: memory, then storage for other instances.
describe('images from a pinned source', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let url: string;
  let commit: string;
  let storage: FilesystemStorage;

  beforeAll(async () => {
    const repo = await tempDir('nixery-pinned-repo-');
    cleanups.push(repo.remove);
    cpSync(BUNDLED_PACKAGE_SET_PATH, repo.path, { recursive: true });
    commit = commitFolder(repo.path);
    url = `file://${repo.path}`;
    const dir = await tempDir('nixery-pinned-storage-');
    cleanups.push(dir.remove);
    storage = new FilesystemStorage(join(dir.path, 'storage'));
  });
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  test('a second instance answers from the stored manifest cache without running Nix', async () => {
    const first = bundledBuilder(storage, { source: { kind: 'git', url } });
    const built = await first.builder.getImage('hello', commit);
    expect(first.events.filter((e) => e.type === 'build-start')).toHaveLength(1);

    const second = bundledBuilder(storage, { source: { kind: 'git', url } });
    const cached = await second.builder.getImage('hello', commit);
    expect(cached.manifests).toEqual(built.manifests);
    // A pinned source's answer holds for good, built or cached.
    expect(built.reuseUntil).toBe(Number.POSITIVE_INFINITY);
    expect(cached.reuseUntil).toBe(Number.POSITIVE_INFINITY);
    expect(second.events.some((e) => e.type === 'build-start')).toBe(false);
    expect(second.events).toContainEqual({ type: 'manifest-cache', image: 'hello', hit: true });
  });

  test('other grouping settings are another image: they build, not reuse the cached record', async () => {
    const other = bundledBuilder(storage, {
      source: { kind: 'git', url },
      layerStrategy: 'nixery',
      layerBudget: 2,
    });
    const image = await other.builder.getImage('hello', commit);
    expect(other.events.filter((e) => e.type === 'build-start')).toHaveLength(1);
    expect(image.layers.length).toBeLessThanOrEqual(3);
  });

  test('another instance builds an image of names resolved before without evaluating them', async () => {
    const first = bundledBuilder(storage, { source: { kind: 'git', url } });
    await first.builder.getImage('jq/tree', commit);
    expect(first.events.filter((e) => e.type === 'nix-evaluation')).toHaveLength(1);

    // Another image (no cached record), of names the first instance resolved: built, not evaluated.
    const second = bundledBuilder(storage, { source: { kind: 'git', url } });
    const image = await second.builder.getImage('tree', commit);
    expect(second.events.filter((e) => e.type === 'build-end')).toHaveLength(1);
    expect(second.events.some((e) => e.type === 'nix-evaluation')).toBe(false);
    // (with the packages every image gets: cacert, iana-etc)
    expect(image.packages).toEqual(['cacert', 'iana-etc', 'tree']);
    const stored: string[] = [];
    for await (const info of storage.listObjects('resolutions/')) stored.push(info.key);
    // jq, tree, cacert, iana-etc and coreutils (for /usr/bin/env).
    expect(stored.length).toBeGreaterThanOrEqual(5);
  });

  test('a remembered derivation gone from the store sends the names to evaluation again', async () => {
    const first = bundledBuilder(storage, { source: { kind: 'git', url } });
    await first.builder.planImage('file', commit);
    expect(first.events.filter((e) => e.type === 'nix-evaluation')).toHaveLength(1);
    // What another machine's store (behind the same storage) or a garbage collection leaves.
    let rewritten = 0;
    for await (const info of storage.listObjects('resolutions/')) {
      const object = await storage.getObject(info.key);
      const text = object?.body.toString('utf8') ?? '';
      if (!text.includes('-file-')) continue;
      const gone = text.replace(
        /\/nix\/store\/[a-z0-9]{32}-([^"]*\.drv)/,
        '/nix/store/00000000000000000000000000000000-$1',
      );
      await storage.putObject(info.key, Buffer.from(gone), 'application/json');
      rewritten++;
    }
    expect(rewritten).toBe(1);

    const second = bundledBuilder(storage, { source: { kind: 'git', url } });
    const plan = await second.builder.planImage('file', commit);
    expect(second.events.filter((e) => e.type === 'nix-evaluation')).toHaveLength(1);
    expect(plan.closure.packages.map((p) => p.attr)).toEqual(['cacert', 'file', 'iana-etc']);
    // Learnt again: a third instance needs no evaluation.
    const third = bundledBuilder(storage, { source: { kind: 'git', url } });
    await third.builder.planImage('file', commit);
    expect(third.events.some((e) => e.type === 'nix-evaluation')).toBe(false);
  });
});
