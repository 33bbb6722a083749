// A pinned package source for tests: the bundled set committed to a fresh git repository. An
// image tagged with the commit is pinned, so its manifest is cached in storage for every
// instance (an unpinned source makes each instance ask Nix again).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledPackageSetPath } from '@nixery/nix-expressions';
import { execa } from 'execa';

export interface PinnedSource {
  /** The value for NIXERY_PKGS_REPO. */
  url: string;
  /** The commit: the image tag that pins it. */
  commit: string;
  remove(): Promise<void>;
}

export async function pinnedBundledSet(): Promise<PinnedSource> {
  const dir = await mkdtemp(join(tmpdir(), 'nixery-pinned-set-'));
  await cp(bundledPackageSetPath, dir, { recursive: true });
  const env = {
    GIT_AUTHOR_NAME: 't',
    GIT_AUTHOR_EMAIL: 't@t',
    GIT_COMMITTER_NAME: 't',
    GIT_COMMITTER_EMAIL: 't@t',
  };
  const git = (...args: string[]) => execa('git', ['-C', dir, ...args], { env });
  await git('init', '-q', '-b', 'main');
  await git('add', '.');
  await git('commit', '-q', '-m', 'package set');
  const commit = (await git('rev-parse', 'HEAD')).stdout.trim();
  return { url: `file://${dir}`, commit, remove: () => rm(dir, { recursive: true, force: true }) };
}
