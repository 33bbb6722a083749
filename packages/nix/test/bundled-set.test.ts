import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildImageClosure } from '../src/index.js';
import {
  BUNDLED_SET,
  expectGraphMatchesNixStore,
  expectOk,
  OFFLINE,
  pathSource,
  processesMentioning,
} from './helpers.js';

const system = 'x86_64-linux';
const source = pathSource(BUNDLED_SET);
const options = { timeoutSeconds: 120, ...OFFLINE };
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** The bundled set with slowDemo sleeping `seconds`: a package set directory of its own. */
function slowSet(seconds: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'nixery-slow-'));
  temporary.push(dir);
  writeFileSync(
    join(dir, 'default.nix'),
    `{ system ? builtins.currentSystem, ... }: import ${BUNDLED_SET} { inherit system; slowSeconds = ${seconds}; }\n`,
  );
  return dir;
}

describe('bundled package set (nix/pkgs)', () => {
  test('a shell image with git and curl: closure and references match nix-store', async () => {
    const packages = [
      'bashInteractive',
      'cacert',
      'coreutils',
      'curl',
      'git',
      'iana-etc',
      'moreutils',
      'nano',
    ];
    const result = await buildImageClosure({ packages, system, source }, options);
    expectOk(result);
    expect(result.packages.map((p) => p.attr)).toEqual(packages);
    const roots = result.packages.map((p) => p.outPath);
    expect(result.graph.exportReferencesGraph.graph).toEqual(roots);
    // coreutils was requested, so /usr/bin/env comes from a requested root.
    expect(roots).toContain(result.envPath);
    expectGraphMatchesNixStore(result.graph, roots);
    expect(result.graph.graph.length).toBeGreaterThan(packages.length);
  });

  test('with gcRootDir, every built output is a GC root until the directory is removed', async () => {
    const rootDir = mkdtempSync(join(tmpdir(), 'nixery-gcroots-'));
    temporary.push(rootDir);
    const result = await buildImageClosure(
      { packages: ['hello', 'git'], system, source },
      { ...options, gcRootDir: rootDir },
    );
    expectOk(result);
    const links = readdirSync(rootDir).map((name) => readlinkSync(join(rootDir, name)));
    const built = [...result.packages.flatMap((p) => p.outPaths), result.envPath];
    expect(links.sort()).toEqual(built.sort());
    const roots = execFileSync('nix-store', ['--gc', '--print-roots'], { encoding: 'utf8' });
    for (const name of readdirSync(rootDir)) expect(roots).toContain(join(rootDir, name));
  });

  test('nested, camelCase and digit-leading names resolve', async () => {
    const result = await buildImageClosure(
      { packages: ['python3packages.requests', 'haskellpackages.pandoc', '1password'], system, source },
      options,
    );
    expectOk(result);
    expect(result.packages.map((p) => p.attr)).toEqual([
      'python3Packages.requests',
      'haskellPackages.pandoc',
      '_1password',
    ]);
    expect(result.packages[0]?.outPath).toMatch(/-requests-[0-9.]+$/);
    expectGraphMatchesNixStore(result.graph, [
      ...result.packages.map((p) => p.outPath),
      result.envPath as string,
    ]);
  });

  test('several unknown packages are reported by name at once', async () => {
    const result = await buildImageClosure(
      {
        packages: ['hello', 'no-such-package', 'python3packages.nope', 'cacert', 'nosuchthing'],
        system,
        source,
      },
      options,
    );
    expect(result).toEqual({
      ok: false,
      kind: 'unknown-packages',
      names: ['no-such-package', 'python3packages.nope', 'nosuchthing'],
    });
  });

  test('names that look like Nix code are data: a clean not-found, never evaluated', async () => {
    const crafted = [
      'a"+builtins.abort "x',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: imitates Nix interpolation on purpose
      '${builtins.abort "x"}',
      '"; builtins.abort "x"; "',
      'hello]',
    ];
    const result = await buildImageClosure({ packages: ['hello', ...crafted], system, source }, options);
    expect(result).toEqual({ ok: false, kind: 'unknown-packages', names: crafted });
  });

  test('a failing build is build-failed with its log lines in the tail', async () => {
    const lines: string[] = [];
    const result = await buildImageClosure(
      { packages: ['brokenDemo'], system, source },
      { ...options, onLogLine: (line) => lines.push(line) },
    );
    expect(result.ok).toBe(false);
    if (result.ok || result.kind !== 'build-failed') throw new Error(JSON.stringify(result));
    expect(result.logTail).toMatch(/brokenDemo: error: this demo build fails on purpose/);
    expect(result.logTail).toMatch(/failed with exit code 1/);
    expect(lines.join('\n')).toContain(result.logTail.split('\n').at(-1));
  });

  test('a build slower than the timeout is a timeout, and leaves no Nix process behind', async () => {
    // A fresh sleep duration gives a derivation that was never built (and so is not cached).
    const seconds = 3600 + randomInt(1_000_000);
    const lines: string[] = [];
    const started = Date.now();
    const result = await buildImageClosure(
      { packages: ['slowDemo'], system, source: pathSource(slowSet(seconds)) },
      { ...OFFLINE, timeoutSeconds: 2, onLogLine: (line) => lines.push(line) },
    );
    const elapsed = Date.now() - started;
    expect(result).toMatchObject({ ok: false, kind: 'timeout', seconds: 2 });
    expect(elapsed).toBeLessThan(8000);
    // The build really started (its log reached us live) and everything that ran it is gone.
    expect(lines.join('\n')).toContain(`sleeping for ${seconds} seconds`);
    const drv = lines.join('\n').match(/\/nix\/store\/[a-z0-9]{32}-slow-demo-1\.0\.drv/)?.[0];
    expect(drv).toBeDefined();
    expect(processesMentioning(drv as string)).toEqual([]);
    expect(processesMentioning(`slowSeconds=${seconds}`)).toEqual([]);
  });

  // riscv64-linux: once a server has built the set's aarch64 stand-ins (extra-platforms), the
  // shared store has them, and aarch64-linux "builds" here without extra-platforms.
  test('riscv64-linux cannot be built here: unsupported-system', async () => {
    const result = await buildImageClosure({ packages: ['hello'], system: 'riscv64-linux', source }, options);
    expect(result).toMatchObject({ ok: false, kind: 'unsupported-system', system: 'riscv64-linux' });
    if (!result.ok && result.kind === 'unsupported-system') expect(result.message).toMatch(/native system/);
  });

  test('a missing Nix is nix-missing', async () => {
    const result = await buildImageClosure(
      { packages: ['hello'], system, source },
      { ...options, nixBuildPath: '/nonexistent/bin/nix-build' },
    );
    expect(result).toEqual({ ok: false, kind: 'nix-missing', message: expect.stringMatching(/not found/) });
  });

  test('an abort signal stops Nix mid-build and rejects with its reason', async () => {
    const seconds = 3600 + randomInt(1_000_000);
    const controller = new AbortController();
    const reason = new Error('client went away');
    const build = buildImageClosure(
      { packages: ['slowDemo'], system, source: pathSource(slowSet(seconds)) },
      {
        ...options,
        signal: controller.signal,
        onLogLine: (line) => {
          if (line.includes('sleeping for')) controller.abort(reason);
        },
      },
    );
    await expect(build).rejects.toBe(reason);
    expect(processesMentioning(`slowSeconds=${seconds}`)).toEqual([]);
  });
});
