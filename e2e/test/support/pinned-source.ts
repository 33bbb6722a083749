// A pinned package source for tests: the bundled set committed to a fresh git repository. An
// image tagged with the commit is pinned, so its manifest is cached in storage for every
// instance (an unpinned source makes each instance ask Nix again).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledPackageSetPath } from '@nixery/nix-expressions';
import { commitFolder } from '../../../packages/nix/test/support/git-repo.js';

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
  const commit = commitFolder(dir);
  return { url: `file://${dir}`, commit, remove: () => rm(dir, { recursive: true, force: true }) };
}
