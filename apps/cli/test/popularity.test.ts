import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BASE_ENV, REPO_ROOT, runCli, temporaryDir } from './support/cli.js';
import { APP1, APP2, GLIBC, HAND_GRAPH, LIBX, LIBY } from './support/graphs.js';

const dir = temporaryDir('popularity');
const nix28File = join(dir.path, 'app1.json');
const nix219File = join(dir.path, 'app2.json');

const byPath = new Map(HAND_GRAPH.graph.map((info) => [info.path, info]));
const info = (path: string) => byPath.get(path) as (typeof HAND_GRAPH.graph)[number];

beforeAll(() => {
  // app1's closure as Nix 2.8 prints it (an array) ...
  writeFileSync(nix28File, JSON.stringify([info(APP1), info(LIBX), info(GLIBC)]));
  // ... and app2's as Nix 2.19+ does (an object keyed by path, without "path" fields).
  const keyed = Object.fromEntries(
    [APP2, LIBX, LIBY, GLIBC].map((path) => {
      const { path: _path, ...rest } = info(path);
      return [path, rest];
    }),
  );
  writeFileSync(nix219File, JSON.stringify(keyed));
});
afterAll(() => dir.remove());

describe('nixery popularity --from-path-info', () => {
  test('counts referrers per name, each distinct path once, across both formats', async () => {
    // By hand: app1 → {libx, glibc}; libx → {glibc} (counted once though in both files);
    // app2 → {libx, liby, glibc}; self references and repeats do not count.
    const result = await runCli(['popularity', '--from-path-info', nix28File, nix219File]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{"glibc-2.39":3,"libx-1.0":2,"liby-2.0":1}\n');
  });

  test('--out writes the file; stdin is read for -', async () => {
    const out = join(dir.path, 'out.json');
    const result = await runCli(['popularity', '--from-path-info', '-', '--out', out], {
      input: readFileSync(nix28File, 'utf8'),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe('{"glibc-2.39":2,"libx-1.0":1}\n');
  });

  test('a file that is not path-info JSON fails with exit 1', async () => {
    const bad = join(dir.path, 'bad.json');
    writeFileSync(bad, '{"not":"json"');
    const result = await runCli(['popularity', '--from-path-info', bad]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not valid JSON/);
  });
});

describe('nixery popularity with Nix (bundled package set)', () => {
  test('--attrs counts exactly the closures of those attributes', async () => {
    // bash → busybox, glibc; hello, busybox and glibc reference nothing (nix/README.md).
    const result = await runCli(['popularity', '--attrs', 'hello,bash']);
    expect(result.stderr).not.toMatch(/nixery:/);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{"busybox-1.35.0":1,"glibc-2.39":1}\n');
  });

  test('a package with no references gives an empty map (coreutils, built for images, is not counted)', async () => {
    const result = await runCli(['popularity', '--attrs', 'hello']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('{}\n');
  });

  test('--all counts every derivation but slowDemo and brokenDemo, as nix path-info sees them', async () => {
    const result = await runCli(['popularity', '--all']);
    expect(result.stderr).not.toMatch(/nixery:/);
    expect(result.code).toBe(0);
    const counts = JSON.parse(result.stdout) as Record<string, number>;

    // Count independently with nix-store: referrers of each name among the whole set's closure.
    const outputs = execFileSync(
      'nix-build',
      [
        '--no-out-link',
        join(REPO_ROOT, 'nix/pkgs'),
        '-A',
        'hello',
        '-A',
        'git',
        '-A',
        'python3Packages.numpy',
        '-A',
        'clang',
      ],
      {
        env: BASE_ENV,
        encoding: 'utf8',
      },
    )
      .trim()
      .split('\n');
    const closure = execFileSync('nix-store', ['-qR', ...outputs], { env: BASE_ENV, encoding: 'utf8' })
      .trim()
      .split('\n');
    const glibc = closure.find((p) => p.endsWith('-glibc-2.39')) as string;
    const referrers = execFileSync('nix-store', ['-q', '--referrers', glibc], {
      env: BASE_ENV,
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    // Everything that refers to glibc in these four closures is in the whole set's closure too.
    const glibcReferrersHere = referrers.filter((p) => closure.includes(p) && p !== glibc).length;
    expect(counts['glibc-2.39']).toBeGreaterThanOrEqual(glibcReferrersHere);
    expect(counts['glibc-2.39']).toBeGreaterThan(20);
    expect(
      Object.keys(counts).some((name) => name.startsWith('slow-demo') || name.startsWith('broken-demo')),
    ).toBe(false);
    // certifi refers to nss-cacert, so the nested python3Packages were built and counted.
    expect(counts['nss-cacert-3.98']).toBeGreaterThanOrEqual(1);
  });

  test('an unknown attribute exits with 3 and names it', async () => {
    const result = await runCli(['popularity', '--attrs', 'hello,nosuchattr']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/unknown package: nosuchattr/);
  });
});

describe('the popularity data shipped with the bundled set', () => {
  test('nix/pkgs/popularity.json is what `popularity --all` computes today', async () => {
    const result = await runCli(['popularity', '--all', '-q']);
    expect(result.code).toBe(0);
    const shipped = readFileSync(join(REPO_ROOT, 'nix', 'pkgs', 'popularity.json'), 'utf8');
    // Regenerate with: pnpm nixery popularity --all --out nix/pkgs/popularity.json
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(shipped));
  });
});
