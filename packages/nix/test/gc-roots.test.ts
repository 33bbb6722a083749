import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  buildImageClosure,
  closureBytes,
  createGcRootFolder,
  defaultGcRootsParent,
  listGcRootFolders,
  removeStaleGcRootFolders,
} from '../src/index.js';
import { expectOk, FIXTURE_SET, OFFLINE, pathSource } from './helpers.js';

const parents: string[] = [];
afterEach(() => {
  for (const parent of parents.splice(0)) rmSync(parent, { recursive: true, force: true });
});

function freshParent(): string {
  const parent = join(mkdtempSync(join(tmpdir(), 'gcroots-test-')), 'roots');
  parents.push(join(parent, '..'));
  return parent;
}

/** The pid of a process that has exited (the kernel may reuse it later, but not within a test). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('GC-root folders', () => {
  test('a folder made by this process is live, named after its host and pid, in a parent made on demand', async () => {
    const parent = freshParent();
    const folder = await createGcRootFolder(parent);
    expect(basename(join(folder, '..'))).toBe('roots');
    expect(basename(folder)).toMatch(new RegExp(`_${process.pid}_\\d+_[A-Za-z0-9]{6}$`));
    expect(readdirSync(folder)).toEqual([]);
    const [listed, ...rest] = await listGcRootFolders(parent);
    expect(rest).toEqual([]);
    expect(listed).toMatchObject({ path: folder, state: 'live', storePaths: [] });
    expect(listed?.owner.pid).toBe(process.pid);
    expect(Date.now() - (listed?.modifiedMs ?? 0)).toBeLessThan(60_000);
  });

  test('owner gone, pid reused by another process, or another host: stale, stale, foreign; other entries are ignored', async () => {
    const parent = freshParent();
    const live = await createGcRootFolder(parent);
    const host = (/^(.+)_\d+_\d+_[A-Za-z0-9]{6}$/.exec(basename(live)) as RegExpExecArray)[1];
    const gone = join(parent, `${host}_${deadPid()}_12345_aaaaaa`);
    // This process's pid, but a start time that is not this process's: the pid was reused.
    const reused = join(parent, `${host}_${process.pid}_1_bbbbbb`);
    const foreign = join(parent, `elsewhere.example_${process.pid}_1_cccccc`);
    for (const dir of [gone, reused, foreign, join(parent, 'not-a-gcroot-folder')]) mkdirSync(dir);
    writeFileSync(join(parent, `${host}_1_1_dddddd`), 'a file, not a folder');
    symlinkSync('/nix/store/00000000000000000000000000000000-gone', join(gone, 'result'));

    const states = Object.fromEntries((await listGcRootFolders(parent)).map((f) => [f.path, f.state]));
    expect(states).toEqual({ [live]: 'live', [gone]: 'stale', [reused]: 'stale', [foreign]: 'foreign' });
    const goneFolder = (await listGcRootFolders(parent)).find((f) => f.path === gone);
    expect(goneFolder?.storePaths).toEqual(['/nix/store/00000000000000000000000000000000-gone']);

    const removed = await removeStaleGcRootFolders(parent);
    expect(removed.map((f) => f.path).sort()).toEqual([gone, reused].sort());
    expect([gone, reused].some(existsSync)).toBe(false);
    expect([live, foreign].every(existsSync)).toBe(true);
  });

  test('a missing parent lists nothing; the default parent is under the temporary folder', async () => {
    expect(await listGcRootFolders(join(freshParent(), 'nope'))).toEqual([]);
    expect(await removeStaleGcRootFolders(join(freshParent(), 'nope'))).toEqual([]);
    expect(defaultGcRootsParent()).toBe(join(tmpdir(), 'nixery-gcroots'));
  });

  test('a real build rooted in a folder: its links are listed, and closureBytes measures what they hold', async () => {
    const parent = freshParent();
    const folder = await createGcRootFolder(parent);
    const result = await buildImageClosure(
      { packages: ['hello'], system: 'x86_64-linux', source: pathSource(FIXTURE_SET) },
      { timeoutSeconds: 60, ...OFFLINE, gcRootDir: folder },
    );
    expectOk(result);
    const [listed] = await listGcRootFolders(parent);
    expect(listed?.storePaths).toEqual([result.packages[0]?.outPath, result.envPath].sort());

    const closure = execFileSync('nix-store', ['-qR', ...(listed?.storePaths ?? [])], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const expected = closure.reduce(
      (sum, path) => sum + (result.graph.graph.find((p) => p.path === path)?.narSize ?? Number.NaN),
      0,
    );
    expect(await closureBytes(listed?.storePaths ?? [])).toBe(expected);
    expect(expected).toBeGreaterThan(0);
    expect(await closureBytes([])).toBe(0);
    expect(await closureBytes(['/nix/store/00000000000000000000000000000000-gone'])).toBeNull();
  });
});
