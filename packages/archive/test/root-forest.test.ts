import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rootTar } from '../src/index.js';
import { collect, listTar, tempDir } from './helpers.js';

const FIRST = '11111111111111111111111111111111-first';
const SECOND = '22222222222222222222222222222222-second';
const COREUTILS = '33333333333333333333333333333333-coreutils';
const LINKED = '44444444444444444444444444444444-linked';

describe('rootTar', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let store: string;
  const at = (...parts: string[]) => path.join(store, ...parts);

  beforeAll(async () => {
    root = await tempDir('archive-root-');
    store = root.dir;
    // Two packages with overlapping bin/ and share/ trees.
    await mkdir(at(FIRST, 'bin'), { recursive: true });
    await mkdir(at(FIRST, 'share', 'man', 'man1'), { recursive: true });
    await writeFile(at(FIRST, 'bin', 'tool'), 'first tool', { mode: 0o755 });
    await writeFile(at(FIRST, 'bin', 'shared'), 'first wins', { mode: 0o755 });
    await writeFile(at(FIRST, 'share', 'man', 'man1', 'tool.1'), 'man page');
    await writeFile(at(FIRST, 'conflict'), 'a file in the first package');
    await mkdir(at(SECOND, 'bin'), { recursive: true });
    await mkdir(at(SECOND, 'share', 'man', 'man5'), { recursive: true });
    await mkdir(at(SECOND, 'conflict'), { recursive: true });
    await mkdir(at(SECOND, 'tmp', 'ignored'), { recursive: true });
    await writeFile(at(SECOND, 'bin', 'other'), 'second', { mode: 0o755 });
    await writeFile(at(SECOND, 'bin', 'shared'), 'second loses', { mode: 0o755 });
    await writeFile(at(SECOND, 'share', 'man', 'man5', 'other.conf.5'), 'man page');
    await writeFile(at(SECOND, 'conflict', 'inside'), 'hidden by the first package');
    await symlink('other', at(SECOND, 'bin', 'relative-link'));
    // A package whose top-level entry is a symlink to a directory: it stays a link (never merged).
    await mkdir(at(LINKED, 'real-bin'), { recursive: true });
    await writeFile(at(LINKED, 'real-bin', 'linked-tool'), 'via a symlinked dir', { mode: 0o755 });
    await symlink('real-bin', at(LINKED, 'bin'));
    await symlink('.', at(LINKED, 'loop'));
    await mkdir(at(COREUTILS, 'bin'), { recursive: true });
    await writeFile(at(COREUTILS, 'bin', 'env'), 'env', { mode: 0o755 });
  });
  afterAll(() => root.cleanup());

  const build = () =>
    rootTar({ packages: [at(FIRST), at(SECOND), at(LINKED)], envPath: at(COREUTILS), storeDir: store });

  test('merges directories, links files to the first provider, adds tmp and usr/bin/env', async () => {
    const entries = await listTar(build());
    const summary = entries.map((e) => [e.name, e.type, e.mode.toString(8), e.linkname ?? '']);
    expect(summary).toEqual([
      ['bin/', 'directory', '755', ''],
      // LINKED's `bin -> real-bin` is a symlink, not a directory: the first package's real bin/
      // wins and the link is not followed (issue 21: symlinks are never walked through).
      ['bin/other', 'symlink', '777', `/nix/store/${SECOND}/bin/other`],
      ['bin/relative-link', 'symlink', '777', `/nix/store/${SECOND}/bin/relative-link`],
      ['bin/shared', 'symlink', '777', `/nix/store/${FIRST}/bin/shared`],
      ['bin/tool', 'symlink', '777', `/nix/store/${FIRST}/bin/tool`],
      ['conflict', 'symlink', '777', `/nix/store/${FIRST}/conflict`],
      // The "loop" symlink leads back to its own package root, so it stays a link.
      ['loop', 'symlink', '777', `/nix/store/${LINKED}/loop`],
      ['real-bin/', 'directory', '755', ''],
      ['real-bin/linked-tool', 'symlink', '777', `/nix/store/${LINKED}/real-bin/linked-tool`],
      ['share/', 'directory', '755', ''],
      ['share/man/', 'directory', '755', ''],
      ['share/man/man1/', 'directory', '755', ''],
      ['share/man/man1/tool.1', 'symlink', '777', `/nix/store/${FIRST}/share/man/man1/tool.1`],
      ['share/man/man5/', 'directory', '755', ''],
      ['share/man/man5/other.conf.5', 'symlink', '777', `/nix/store/${SECOND}/share/man/man5/other.conf.5`],
      ['tmp/', 'directory', '1777', ''],
      ['tmp/ignored/', 'directory', '755', ''],
      ['usr/', 'directory', '755', ''],
      ['usr/bin/', 'directory', '755', ''],
      ['usr/bin/env', 'symlink', '777', `/nix/store/${COREUTILS}/bin/env`],
    ]);
    for (const entry of entries)
      expect(entry).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', mtime: 1000 });
  });

  test('is reproducible, and package order decides who wins', async () => {
    const first = await collect(build());
    expect((await collect(build())).equals(first)).toBe(true);
    const swapped = await listTar(
      rootTar({ packages: [at(SECOND), at(FIRST)], envPath: at(COREUTILS), storeDir: store }),
    );
    const shared = swapped.find((e) => e.name === 'bin/shared');
    expect(shared?.linkname).toBe(`/nix/store/${SECOND}/bin/shared`);
    const conflict = swapped.filter((e) => e.name.startsWith('conflict'));
    expect(conflict.map((e) => [e.name, e.type])).toEqual([
      ['conflict/', 'directory'],
      ['conflict/inside', 'symlink'],
    ]);
  });

  test('without an env path there is no usr/ but tmp/ stays', async () => {
    const entries = await listTar(rootTar({ packages: [at(FIRST)], envPath: null, storeDir: store }));
    expect(entries.some((e) => e.name.startsWith('usr'))).toBe(false);
    expect(entries.find((e) => e.name === 'tmp/')?.mode).toBe(0o1777);
  });
});
