// Issue 21: packages whose trees hold symlinks out of the store (or cycles) must give a forest
// of links to links, never the targets' contents, and the walk must be bounded and cancellable.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type BlobSink,
  ForestLimitError,
  type RootLayerOptions,
  rootEntries,
  rootTar,
  storePathEntries,
  type TarEntry,
  writeLayer,
} from '../src/index.js';
import { digestSink, listTar, tempDir } from './helpers.js';

const HOST_LINKS = '55555555555555555555555555555555-host-links';
const CYCLE = '66666666666666666666666666666666-cycle';
const OUTPUT_LINK = '77777777777777777777777777777777-output-link';
const WIDE = '88888888888888888888888888888888-wide';
const DEEP = '99999999999999999999999999999999-deep';
const BIG = 'abababababababababababababababab-big';
const CYCLE_DIRS = ['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8'];

async function entriesOf(options: RootLayerOptions): Promise<TarEntry[]> {
  const all: TarEntry[] = [];
  for await (const entry of rootEntries(options)) all.push(entry);
  return all;
}

describe('root forest with hostile symlinks', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let store: string;
  const at = (...parts: string[]) => path.join(store, ...parts);
  const image = (...parts: string[]) => `/nix/store/${parts.join('/')}`;

  beforeAll(async () => {
    root = await tempDir('archive-hostile-');
    store = root.dir;
    await mkdir(at(HOST_LINKS, 'bin'), { recursive: true });
    await writeFile(at(HOST_LINKS, 'bin', 'tool'), 'a real file', { mode: 0o755 });
    await symlink('/', at(HOST_LINKS, 'host'));
    await symlink('/root', at(HOST_LINKS, 'roothome'));
    await symlink('/etc', at(HOST_LINKS, 'etc'));
    await mkdir(at(HOST_LINKS, 'lib'), { recursive: true });
    await symlink('/etc/passwd', at(HOST_LINKS, 'lib', 'passwd'));
    await mkdir(at(HOST_LINKS, 'share', 'a', 'b'), { recursive: true });
    await symlink('../../../../../../..', at(HOST_LINKS, 'share', 'a', 'b', 'up'));
    await symlink('real', at(HOST_LINKS, 'share', 'dangling'));
    // Eight sibling directories, each linking to every other one: a factorial walk if followed.
    for (const dir of CYCLE_DIRS) await mkdir(at(CYCLE, dir), { recursive: true });
    for (const dir of CYCLE_DIRS) {
      for (const other of CYCLE_DIRS) if (other !== dir) await symlink(`../${other}`, at(CYCLE, dir, other));
    }
    // An output that is itself a symlink to a host folder.
    await symlink('/etc', at(OUTPUT_LINK));
    await mkdir(at(WIDE, 'share'), { recursive: true });
    for (let i = 0; i < 50; i++) await writeFile(at(WIDE, 'share', `f${i}`), '');
    await mkdir(at(BIG), { recursive: true });
    await writeFile(at(BIG, 'data'), Buffer.alloc(8 * 1024 * 1024, 7));
    await mkdir(at(DEEP, ...Array.from({ length: 12 }, (_, i) => `l${i}`)), { recursive: true });
  });
  afterAll(() => root.cleanup());

  test('symlinks out of the store stay links to the package entry; nothing of the host is read', async () => {
    const entries = await listTar(rootTar({ packages: [at(HOST_LINKS)], envPath: null, storeDir: store }));
    expect(entries.map((e) => [e.name, e.type, e.linkname ?? ''])).toEqual([
      ['bin/', 'directory', ''],
      ['bin/tool', 'symlink', image(HOST_LINKS, 'bin', 'tool')],
      ['etc', 'symlink', image(HOST_LINKS, 'etc')],
      ['host', 'symlink', image(HOST_LINKS, 'host')],
      ['lib/', 'directory', ''],
      ['lib/passwd', 'symlink', image(HOST_LINKS, 'lib', 'passwd')],
      ['roothome', 'symlink', image(HOST_LINKS, 'roothome')],
      ['share/', 'directory', ''],
      ['share/a/', 'directory', ''],
      ['share/a/b/', 'directory', ''],
      ['share/a/b/up', 'symlink', image(HOST_LINKS, 'share', 'a', 'b', 'up')],
      ['share/dangling', 'symlink', image(HOST_LINKS, 'share', 'dangling')],
      ['tmp/', 'directory', ''],
    ]);
  });

  test('a symlinked top-level entry is not merged with another package’s directory', async () => {
    // HOST_LINKS' `etc -> /etc` comes first, so the link wins: a later package's real etc/
    // cannot merge into it. The other way round, the real directory wins and the link is dropped.
    const withEtc = '12121212121212121212121212121212-with-etc';
    await mkdir(at(withEtc, 'etc'), { recursive: true });
    await writeFile(at(withEtc, 'etc', 'own.conf'), 'x');
    const first = await entriesOf({
      packages: [at(HOST_LINKS), at(withEtc)],
      envPath: null,
      storeDir: store,
    });
    expect(first.filter((e) => e.name.startsWith('etc'))).toEqual([
      { type: 'symlink', name: 'etc', target: image(HOST_LINKS, 'etc') },
    ]);
    const second = await entriesOf({
      packages: [at(withEtc), at(HOST_LINKS)],
      envPath: null,
      storeDir: store,
    });
    expect(second.filter((e) => e.name.startsWith('etc')).map((e) => e.name)).toEqual([
      'etc/',
      'etc/own.conf',
    ]);
  });

  test('a cycle of sibling directories gives one link per link, not a factorial walk', async () => {
    const entries = await entriesOf({ packages: [at(CYCLE)], envPath: null, storeDir: store });
    // 8 directories, 8 × 7 links, plus tmp/.
    expect(entries).toHaveLength(8 + 8 * 7 + 1);
    expect(entries.find((e) => e.name === 'd1/d2')).toEqual({
      type: 'symlink',
      name: 'd1/d2',
      target: image(CYCLE, 'd1', 'd2'),
    });
    expect(entries.filter((e) => e.type === 'directory').map((e) => e.name)).toEqual([
      ...CYCLE_DIRS.map((d) => `${d}/`),
      'tmp/',
    ]);
  });

  test('an output that is a symlink to a host folder contributes nothing', async () => {
    const entries = await entriesOf({ packages: [at(OUTPUT_LINK)], envPath: null, storeDir: store });
    expect(entries).toEqual([{ type: 'directory', name: 'tmp/', mode: 0o1777 }]);
  });

  test('a package path outside the store is refused before anything is read', async () => {
    await expect(entriesOf({ packages: ['/etc'], envPath: null, storeDir: store })).rejects.toThrow(
      /not a top-level path of the store/,
    );
    await expect(
      entriesOf({ packages: [path.join(at(HOST_LINKS), '..', '..')], envPath: null, storeDir: store }),
    ).rejects.toThrow(/not a top-level path of the store/);
  });

  test('the store-path walk records the same links verbatim and never descends them', async () => {
    const entries: TarEntry[] = [];
    for await (const entry of storePathEntries([at(HOST_LINKS), at(OUTPUT_LINK)], { storeDir: store }))
      entries.push(entry);
    const links = entries.filter((e) => e.type === 'symlink');
    expect(links).toContainEqual({ type: 'symlink', name: `nix/store/${OUTPUT_LINK}`, target: '/etc' });
    expect(links).toContainEqual({ type: 'symlink', name: `nix/store/${HOST_LINKS}/host`, target: '/' });
    expect(
      entries.every(
        (e) =>
          e.name.startsWith(`nix/store/${HOST_LINKS}`) ||
          e.name.startsWith(`nix/store/${OUTPUT_LINK}`) ||
          e.name === 'nix/' ||
          e.name === 'nix/store/',
      ),
    ).toBe(true);
    expect(entries).toHaveLength(2 + 13 + 1);
  });

  describe('bounds', () => {
    test('more entries than maxEntries fail with the package named', async () => {
      const options = { packages: [at(HOST_LINKS), at(WIDE)], envPath: null, storeDir: store };
      // HOST_LINKS has 12 entries, WIDE 50 more (share/ is merged) and tmp/ one: 63 in all.
      expect(await entriesOf({ ...options, limits: { maxEntries: 63 } })).toHaveLength(63);
      // The 41st entry is one of WIDE's files (share/f…), after HOST_LINKS' 12 and 28 of WIDE's.
      const error = await entriesOf({ ...options, limits: { maxEntries: 40 } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForestLimitError);
      expect(error).toMatchObject({ reason: 'entries', packagePath: image(WIDE), limit: 40 });
      expect((error as Error).message).toBe(`the image root of ${image(WIDE)} has more than 40 entries`);
    });

    test('nesting deeper than maxDepth fails', async () => {
      const options = { packages: [at(DEEP)], envPath: null, storeDir: store };
      expect(await entriesOf({ ...options, limits: { maxDepth: 12 } })).toHaveLength(13);
      await expect(entriesOf({ ...options, limits: { maxDepth: 11 } })).rejects.toMatchObject({
        name: 'ForestLimitError',
        reason: 'depth',
        packagePath: image(DEEP),
        message: `the image root of ${image(DEEP)} nests directories deeper than 11 levels`,
      });
    });

    test('a walk past its deadline fails', async () => {
      const walk = rootEntries({
        packages: [at(WIDE)],
        envPath: null,
        storeDir: store,
        limits: { timeoutMs: 20 },
      });
      expect((await walk.next()).value).toMatchObject({ name: 'share/' });
      await new Promise((resolve) => setTimeout(resolve, 40));
      await expect(walk.next()).rejects.toMatchObject({
        reason: 'deadline',
        packagePath: image(WIDE),
        limit: 20,
      });
    });

    test('through writeLayer the bound error reaches the caller', async () => {
      const error = await writeLayer({ kind: 'root', packages: [at(WIDE)], envPath: null }, digestSink, {
        storeDir: store,
        forestLimits: { maxEntries: 10 },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ForestLimitError);
      expect(
        await writeLayer({ kind: 'root', packages: [at(WIDE)], envPath: null }, digestSink, {
          storeDir: store,
        }),
      ).toHaveProperty('size');
    });
  });

  describe('abort', () => {
    test('aborting stops the forest walk with the signal’s reason', async () => {
      const controller = new AbortController();
      const walk = rootEntries({
        packages: [at(WIDE)],
        envPath: null,
        storeDir: store,
        signal: controller.signal,
      });
      await walk.next();
      controller.abort(new Error('client gone'));
      await expect(walk.next()).rejects.toThrow('client gone');
    });

    test('aborting stops the store-path walk', async () => {
      const controller = new AbortController();
      controller.abort(new Error('client gone'));
      const walk = storePathEntries([at(WIDE)], { storeDir: store, signal: controller.signal });
      await walk.next(); // nix/
      await walk.next(); // nix/store/
      await expect(walk.next()).rejects.toThrow('client gone');
    });

    test('aborting a layer being written rejects it and ends the sink’s stream', async () => {
      const controller = new AbortController();
      let sinkSawError: unknown = null;
      const slowSink: BlobSink = async (compressed) => {
        try {
          for await (const _ of compressed) {
            controller.abort(new Error('client gone'));
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        } catch (error) {
          sinkSawError = error;
          throw error;
        }
        return { digest: 'sha256:never', size: 0 };
      };
      await expect(
        writeLayer({ kind: 'store-paths', paths: [at(BIG)] }, slowSink, {
          storeDir: store,
          signal: controller.signal,
          compressionLevel: 0,
        }),
      ).rejects.toThrow('client gone');
      expect(sinkSawError).not.toBeNull();
    });

    test('an already aborted signal writes nothing', async () => {
      let sinkCalled = false;
      await expect(
        writeLayer(
          { kind: 'root', packages: [at(WIDE)], envPath: null },
          async (s) => {
            sinkCalled = true;
            return digestSink(s);
          },
          { storeDir: store, signal: AbortSignal.abort(new Error('gone before')) },
        ),
      ).rejects.toThrow('gone before');
      expect(sinkCalled).toBe(false);
    });
  });
});
