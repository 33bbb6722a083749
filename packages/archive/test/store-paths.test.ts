import { execFile } from 'node:child_process';
import { lstat, mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { storePathsTar, UnsupportedFileTypeError } from '../src/index.js';
import { collect, DEMO, DEP, LONG_NAME, listTar, makeFixtureStore, tempDir } from './helpers.js';

const run = promisify(execFile);

describe('storePathsTar', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let storeA: string;
  let storeB: string;
  let pathsA: string[];
  let pathsB: string[];

  beforeAll(async () => {
    root = await tempDir('archive-store-');
    storeA = path.join(root.dir, 'a');
    storeB = path.join(root.dir, 'b');
    pathsA = await makeFixtureStore(storeA);
    pathsB = await makeFixtureStore(storeB, true);
  });
  afterAll(() => root.cleanup());

  test('packing the same paths twice gives byte-identical archives', async () => {
    const first = await collect(storePathsTar(pathsA, { storeDir: storeA }));
    const second = await collect(storePathsTar([...pathsA].reverse(), { storeDir: storeA }));
    expect(first.length).toBeGreaterThan(1024);
    expect(second.equals(first)).toBe(true);
  });

  test('creation order, mtimes and permission bits on disk do not change the archive', async () => {
    const a = await collect(storePathsTar(pathsA, { storeDir: storeA }));
    const b = await collect(storePathsTar(pathsB, { storeDir: storeB }));
    expect(b.equals(a)).toBe(true);
  });

  test('entries are sorted byte-wise, depth first, with parents first and normalised metadata', async () => {
    const entries = await listTar(storePathsTar(pathsA, { storeDir: storeA }));
    const demo = `nix/store/${DEMO}`;
    expect(entries.map((e) => e.name)).toEqual([
      'nix/',
      'nix/store/',
      `${demo}/`,
      `${demo}/bin/`,
      `${demo}/bin/Zed`,
      `${demo}/bin/hello`,
      `${demo}/bin/hi`,
      `${demo}/empty-file`,
      `${demo}/lib/`,
      `${demo}/lib/absolute`,
      `${demo}/lib/dep.conf`,
      `${demo}/lib/hardlink.txt`,
      `${demo}/share/`,
      `${demo}/share/a-b`,
      `${demo}/share/doc/`,
      `${demo}/share/doc/readme.txt`,
      `${demo}/share/empty/`,
      `${demo}/${path.dirname(LONG_NAME)}/`,
      `${demo}/${LONG_NAME}`,
      `nix/store/${DEP}/`,
      `nix/store/${DEP}/etc/`,
      `nix/store/${DEP}/etc/dep.conf`,
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ uid: 0, gid: 0, uname: '', gname: '', mtime: 1000 });
    }
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('nix/store/')).toMatchObject({ type: 'directory', mode: 0o555 });
    expect(byName.get(`${demo}/share/empty/`)).toMatchObject({ type: 'directory', mode: 0o555 });
    expect(byName.get(`${demo}/bin/hello`)).toMatchObject({ type: 'file', mode: 0o555, size: 21 });
    expect(byName.get(`${demo}/bin/Zed`)).toMatchObject({ type: 'file', mode: 0o444 });
    expect(byName.get(`${demo}/share/doc/readme.txt`)).toMatchObject({
      type: 'file',
      mode: 0o444,
      size: 8000,
    });
    expect(byName.get(`${demo}/bin/hi`)).toMatchObject({ type: 'symlink', linkname: 'hello' });
    expect(byName.get(`${demo}/lib/absolute`)).toMatchObject({ type: 'symlink', linkname: '/etc/hostname' });
    expect(byName.get(`${demo}/lib/dep.conf`)).toMatchObject({
      type: 'symlink',
      linkname: `/nix/store/${DEP}/etc/dep.conf`,
    });
    // The hard link is a second regular file with the same contents, not a tar "link" entry.
    expect(byName.get(`${demo}/lib/hardlink.txt`)).toMatchObject({
      type: 'file',
      size: 8000,
      sha256: byName.get(`${demo}/share/doc/readme.txt`)?.sha256,
    });
  });

  test('GNU tar lists and extracts the archive with the same files and modes', async () => {
    const archive = path.join(root.dir, 'layer.tar');
    await writeFile(archive, await collect(storePathsTar(pathsA, { storeDir: storeA })));
    const listing = await run('tar', ['-tvf', archive]);
    expect(listing.stderr).toBe('');
    expect(listing.stdout).toContain(
      `lrwxrwxrwx 0/0               0 1970-01-01 00:00 nix/store/${DEMO}/bin/hi -> hello`,
    );
    expect(listing.stdout).toMatch(
      new RegExp(`-r-xr-xr-x 0/0\\s+21 1970-01-01 00:00 nix/store/${DEMO}/bin/hello`),
    );

    const out = path.join(root.dir, 'extracted');
    await mkdir(out);
    await run('tar', ['-xf', archive, '-C', out, '--no-same-owner']);
    const extractedDemo = path.join(out, 'nix', 'store', DEMO);
    const sourceDemo = path.join(storeA, DEMO);
    for (const file of ['bin/hello', 'share/doc/readme.txt', LONG_NAME, 'lib/hardlink.txt', 'empty-file']) {
      expect(
        (await readFile(path.join(extractedDemo, file))).equals(await readFile(path.join(sourceDemo, file))),
      ).toBe(true);
    }
    expect((await lstat(path.join(extractedDemo, 'bin/hello'))).mode & 0o7777).toBe(0o555);
    expect((await lstat(path.join(extractedDemo, 'share/doc/readme.txt'))).mode & 0o7777).toBe(0o444);
    expect(await readlink(path.join(extractedDemo, 'lib/absolute'))).toBe('/etc/hostname');
    expect((await lstat(path.join(extractedDemo, 'share/empty'))).isDirectory()).toBe(true);
  });

  test('refuses unsupported file types with a clear error', async () => {
    const store = path.join(root.dir, 'socket-store');
    const pkg = path.join(store, 'cccccccccccccccccccccccccccccccc-sock');
    await mkdir(pkg, { recursive: true });
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path.join(pkg, 'control.sock'), resolve));
    try {
      const failure = await collect(storePathsTar([pkg], { storeDir: store })).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(UnsupportedFileTypeError);
      expect(String(failure)).toMatch(/control\.sock: unsupported file type \(socket\)/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('does not run ahead of a slow consumer (backpressure)', async () => {
    const store = path.join(root.dir, 'big-store');
    const pkg = path.join(store, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-big');
    await mkdir(pkg, { recursive: true });
    await writeFile(path.join(pkg, 'blob'), Buffer.alloc(8 * 1024 * 1024, 7));
    const stream = storePathsTar([pkg], { storeDir: store });
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Only about one output buffer (64 KiB) plus one file chunk may be waiting, never the file.
    expect(stream.readableLength).toBeLessThanOrEqual(256 * 1024);
    let total = first.done ? 0 : first.value.length;
    for (let next = await iterator.next(); !next.done; next = await iterator.next())
      total += next.value.length;
    expect(total).toBeGreaterThan(8 * 1024 * 1024);
  });

  test('rejects paths that are not top-level paths of the store', () => {
    expect(() => storePathsTar([path.join(storeA, DEMO, 'bin')], { storeDir: storeA })).toThrow(
      /not a top-level path of the store/,
    );
  });
});
