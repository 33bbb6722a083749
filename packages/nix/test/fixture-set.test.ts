import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildImageClosure } from '../src/index.js';
import { expectGraphMatchesNixStore, expectOk, FIXTURE_SET, OFFLINE, pathSource } from './helpers.js';
import { gitIn } from './support/git-repo.js';

const system = 'x86_64-linux';
const source = pathSource(FIXTURE_SET);
const options = { timeoutSeconds: 60, ...OFFLINE };

describe('fixture package set', () => {
  test('the closure graph matches nix-store, with the requested paths as roots', async () => {
    const result = await buildImageClosure(
      { packages: ['cacert', 'hello', 'iana-etc'], system, source },
      options,
    );
    expectOk(result);
    expect(result.packages.map((p) => [p.name, p.attr])).toEqual([
      ['cacert', 'cacert'],
      ['hello', 'hello'],
      ['iana-etc', 'iana-etc'],
    ]);
    const roots = result.packages.map((p) => p.outPath);
    expect(result.graph.exportReferencesGraph.graph).toEqual(roots);
    expect(roots.map((p) => p.replace(/^\/nix\/store\/[a-z0-9]{32}-/, ''))).toEqual([
      'nss-cacert-3.98',
      'hello-2.12',
      'iana-etc-20240318',
    ]);
    // coreutils (for /usr/bin/env) is in the closure but not a requested root.
    expect(result.envPath).toMatch(/-coreutils-9\.5$/);
    expect(roots).not.toContain(result.envPath);
    expectGraphMatchesNixStore(result.graph, [...roots, result.envPath as string]);
    const hello = result.graph.graph.find((p) => p.path === roots[1]);
    expect(hello?.references.map((r) => r.replace(/^.*?-/, '')).sort()).toEqual([
      'libleaf-1.0',
      'libmid-1.0',
    ]);
  });

  test('coreutils is a root only when it was requested', async () => {
    const result = await buildImageClosure({ packages: ['coreutils', 'hello'], system, source }, options);
    expectOk(result);
    expect(result.graph.exportReferencesGraph.graph).toContain(result.envPath);
  });

  // As Nixery: only the default output, although meta.outputsToInstall lists `man` too.
  test('only the default output is built and a root; other outputs by name', async () => {
    const result = await buildImageClosure({ packages: ['manual', 'manual.man'], system, source }, options);
    expectOk(result);
    const [manual, page] = result.packages;
    expect(manual?.outPaths.map((p) => p.replace(/^.*?-/, ''))).toEqual(['manual-1.0']);
    expect(page?.outPaths.map((p) => p.replace(/^.*?-/, ''))).toEqual(['manual-1.0-man']);
    expect(page?.attr).toBe('manual.man');
    expect(manual?.outPath).toBe(manual?.outPaths[0]);
    expect(result.graph.exportReferencesGraph.graph).toEqual([manual?.outPath, page?.outPath]);
    expect(result.graph.graph.some((p) => p.path.endsWith('-manual-1.0-dev'))).toBe(false);
    expectGraphMatchesNixStore(result.graph, [
      manual?.outPath as string,
      page?.outPath as string,
      result.envPath as string,
    ]);
  });

  test('names resolve case-insensitively, nested, and with a _ prefix for leading digits', async () => {
    const result = await buildImageClosure(
      { packages: ['mixedcase', 'toolsets.python.requests', '2fa', 'exact', 'EXACT'], system, source },
      options,
    );
    expectOk(result);
    expect(result.packages.map((p) => [p.name, p.attr])).toEqual([
      ['mixedcase', 'MixedCase'],
      ['toolsets.python.requests', 'toolSets.Python.requests'],
      ['2fa', '_2fa'],
      ['exact', 'exact'],
      ['EXACT', 'Exact'],
    ]);
  });

  test('unknown names are all reported, including ones that are not packages', async () => {
    const result = await buildImageClosure(
      {
        packages: ['hello', 'nope', 'toolsets', 'notapackage', 'toolsets.python.nope', 'hello..x', 'zz'],
        system,
        source,
      },
      options,
    );
    expect(result).toEqual({
      ok: false,
      kind: 'unknown-packages',
      names: ['nope', 'toolsets', 'notapackage', 'toolsets.python.nope', 'hello..x', 'zz'],
    });
  });

  test('an empty request still yields coreutils for /usr/bin/env', async () => {
    const result = await buildImageClosure({ packages: [], system, source }, options);
    expectOk(result);
    expect(result.graph.exportReferencesGraph.graph).toEqual([]);
    expect(result.graph.graph.map((p) => p.path)).toEqual([result.envPath]);
  });
});

describe('git package source', () => {
  let repo: string;
  let first: string;
  let second: string;
  let git: ReturnType<typeof gitIn>;

  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'nixery-git-source-'));
    git = gitIn(repo);
    git('init', '-q', '-b', 'main');
    cpSync(join(FIXTURE_SET, 'default.nix'), join(repo, 'default.nix'));
    git('add', 'default.nix');
    git('commit', '-q', '-m', 'first');
    first = git('rev-parse', 'HEAD');
    // A second commit on a side branch adds a package the default branch does not have.
    git('checkout', '-q', '-b', 'extra');
    const file = join(repo, 'default.nix');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^rec \{$/m, 'rec {\n  onlyOnBranch = hello;'));
    git('commit', '-q', '-am', 'second');
    second = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  const gitSource = (extra: Record<string, string>) => ({
    nixArg: JSON.stringify({ kind: 'git', url: `file://${repo}`, ...extra }),
  });

  test('the default branch', async () => {
    const result = await buildImageClosure({ packages: ['hello'], system, source: gitSource({}) }, options);
    expectOk(result);
    const missing = await buildImageClosure(
      { packages: ['onlyonbranch'], system, source: gitSource({}) },
      options,
    );
    expect(missing).toEqual({ ok: false, kind: 'unknown-packages', names: ['onlyonbranch'] });
  });

  test('a commit on another branch, and a branch by name', async () => {
    const byRev = await buildImageClosure(
      { packages: ['onlyonbranch'], system, source: gitSource({ rev: second }) },
      options,
    );
    expectOk(byRev);
    expect(byRev.packages[0]?.attr).toBe('onlyOnBranch');
    const byRef = await buildImageClosure(
      { packages: ['onlyonbranch'], system, source: gitSource({ ref: 'extra' }) },
      options,
    );
    expectOk(byRef);
    const old = await buildImageClosure(
      { packages: ['onlyonbranch'], system, source: gitSource({ rev: first }) },
      options,
    );
    expect(old).toMatchObject({ ok: false, kind: 'unknown-packages' });
  });
});
