// A root directory holding nothing but a runtime closure, and a way to run programs in it
// with chroot(1) and an empty environment: what an image made of these paths would see.
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import { closureOf } from './nix.js';

export interface ClosureRoot {
  dir: string;
  /** Runs argv inside the root with exactly `env` (nothing inherited); output is kept verbatim. */
  run(
    argv: string[],
    env?: Record<string, string>,
  ): Promise<Result<{ reject: false; stripFinalNewline: false }>>;
  remove(): Promise<void>;
}

async function findChroot(): Promise<string> {
  for (const candidate of ['/usr/sbin/chroot', '/usr/bin/chroot', '/sbin/chroot']) {
    try {
      await access(candidate);
      return candidate;
    } catch {
      // try the next place
    }
  }
  throw new Error('chroot(1) not found');
}

export async function makeClosureRoot(paths: string[]): Promise<ClosureRoot> {
  const chroot = await findChroot();
  const dir = await mkdtemp(join(tmpdir(), 'nix-closure-root-'));
  const store = join(dir, 'nix', 'store');
  await mkdir(store, { recursive: true });
  const closure = await closureOf(paths);
  await execa('cp', ['-a', ...closure, store]);
  return {
    dir,
    run: (argv, env = {}) =>
      execa(chroot, [dir, ...argv], { env, extendEnv: false, reject: false, stripFinalNewline: false }),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
