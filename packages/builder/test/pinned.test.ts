import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { FilesystemStorage } from '@nixery/storage';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', repo.path, ...args], {
        encoding: 'utf8',
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@t',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@t',
        },
      }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'package set');
    commit = git('rev-parse', 'HEAD');
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
});
