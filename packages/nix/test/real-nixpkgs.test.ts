// Evaluation against a slice of real nixpkgs (nothing in it can be built here): the plan stage
// of planImage, compared with direct nix-instantiate answers, and every way a name can fail.
import { execFileSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkPackageSet, planImage } from '../src/index.js';
import { OFFLINE, pathSource } from './helpers.js';
import { unpackRealNixpkgs } from './real-nixpkgs.js';

const system = 'x86_64-linux';
let nixpkgs: ReturnType<typeof unpackRealNixpkgs>;
const options = { timeoutSeconds: 60, ...OFFLINE };
const plan = (packages: string[], extra: Record<string, unknown> = {}) =>
  planImage({ packages, system, source: pathSource(nixpkgs.path) }, { ...options, ...extra });

beforeAll(() => {
  nixpkgs = unpackRealNixpkgs();
  // The operator's own nixpkgs settings must not reach the images.
  process.env.NIXPKGS_ALLOW_UNFREE = '1';
});
afterAll(() => {
  delete process.env.NIXPKGS_ALLOW_UNFREE;
  nixpkgs?.remove();
});

/** nix-instantiate's own answer for attributes of the set, imported with an empty config. */
function instantiate(attrs: string[]): string[] {
  const args = [
    nixpkgs.path,
    '--arg',
    'config',
    '{}',
    '--arg',
    'overlays',
    '[]',
    '--argstr',
    'system',
    system,
  ];
  const out = execFileSync('nix-instantiate', [...args, ...attrs.flatMap((a) => ['-A', a])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, NIXPKGS_ALLOW_UNFREE: '' },
  });
  return out.split('\n').filter(Boolean);
}

/** `nix show-derivation`'s output paths, per derivation and output. */
function outputPaths(drvPaths: string[]): Record<string, { outputs: Record<string, { path: string }> }> {
  const args = ['show-derivation', '--extra-experimental-features', 'nix-command', ...drvPaths];
  return JSON.parse(execFileSync('nix', args, { encoding: 'utf8' }));
}

// Evaluations take 1–4 s each on an idle machine, far more when it is busy.
const SLOW = 300_000;

describe('resolution in real nixpkgs', () => {
  test(
    'nested, case-insensitive and digit-leading names, default and explicit outputs',
    async () => {
      const names = [
        'xorg.libx11',
        'sdl2',
        '7zz',
        'python3packages.requests',
        'htop',
        'htop.man',
        'openssl.dev',
      ];
      const result = await plan(names);
      if (!result.ok) throw new Error(JSON.stringify(result));
      const attrs = [
        'xorg.libX11',
        'SDL2',
        '_7zz',
        'python3Packages.requests',
        'htop',
        'htop.man',
        'openssl.dev',
      ];
      expect(result.plan.packages.map((p) => p.attr)).toEqual(attrs);
      expect(result.plan.packages.map((p) => p.name)).toEqual(names);
      // Only the default output (htop has a `man` output in meta.outputsToInstall), else the named one.
      expect(result.plan.packages.map((p) => p.outputNames)).toEqual([
        ['out'],
        ['out'],
        ['out'],
        ['out'],
        ['out'],
        ['man'],
        ['dev'],
      ]);
      // nix-instantiate names an explicitly selected output as `<drv>!<output>`.
      const direct = instantiate(attrs);
      expect(result.plan.packages.map((p) => p.drvPath)).toEqual(direct.map((d) => d.replace(/!.*$/, '')));
      expect(direct.slice(5).map((d) => d.replace(/^.*!/, ''))).toEqual(['man', 'dev']);
      const shown = outputPaths(result.plan.packages.map((p) => p.drvPath));
      for (const p of result.plan.packages) {
        const output = p.outputNames[0] as string;
        expect(p.outputs[output]).toBe(shown[p.drvPath]?.outputs[output]?.path);
      }
      expect(result.plan.env?.drvPath).toBe(instantiate(['coreutils'])[0]);
    },
    SLOW,
  );
});

describe('failing names in real nixpkgs', () => {
  test(
    'removed, refused and unknown names are each classified, next to a valid one',
    async () => {
      const result = await plan([
        'hello',
        'chatbox',
        'nodepackages.typescript',
        'vscode',
        '1password-cli',
        'nosuch',
      ]);
      expect(result).toMatchObject({ ok: false, kind: 'package-problems' });
      if (result.ok || result.kind !== 'package-problems') return;
      expect(result.problems.map(({ name, kind, attr, refusal }) => ({ name, kind, attr, refusal }))).toEqual(
        [
          { name: 'chatbox', kind: 'removed', attr: 'chatbox', refusal: undefined },
          { name: 'nodepackages.typescript', kind: 'removed', attr: 'nodePackages', refusal: undefined },
          { name: 'vscode', kind: 'refused', attr: 'vscode', refusal: 'unfree' },
          { name: '1password-cli', kind: 'refused', attr: '_1password-cli', refusal: 'unfree' },
          { name: 'nosuch', kind: 'unknown', attr: undefined, refusal: undefined },
        ],
      );
      const messages = result.problems.map((p) => p.message.split('\n')[0]);
      expect(messages[0]).toBe('chatbox was removed for bundling a vastly end-of-life electron version');
      expect(messages[1]).toMatch(/^nodePackages has been removed\. /);
      expect(messages[2]).toMatch(
        /^Refusing to evaluate package 'vscode-[^']+' .* because it has an unfree license/,
      );
      expect(messages[3]).toMatch(/^Refusing to evaluate package '1password-cli-[^']+'/);
      expect(messages[4]).toBe('');
    },
    SLOW,
  );

  // With allowUnfree the meta check passes; vscode then needs files the slice does not hold.
  test(
    'allowUnfree (passed as data) gets an unfree package past the refusal',
    async () => {
      const result = await plan(['vscode'], { allowUnfree: true });
      expect(result).toMatchObject({
        ok: false,
        kind: 'package-problems',
        problems: [{ name: 'vscode', kind: 'eval-error' }],
      });
      if (result.ok || result.kind !== 'package-problems') return;
      expect(result.problems[0]?.message).toMatch(/No such file or directory/);
    },
    SLOW,
  );

  test(
    'an uncatchable error (a missing file) is pinned on its name, not on the valid ones',
    async () => {
      const result = await plan(['firefox', 'hello']);
      expect(result).toMatchObject({ ok: false, kind: 'package-problems' });
      if (result.ok || result.kind !== 'package-problems') return;
      expect(result.problems).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({ name: 'firefox', kind: 'eval-error' });
      expect(result.problems[0]?.message).toMatch(/^getting status of '.*': No such file or directory/);
    },
    SLOW,
  );
});

describe('the start-up check', () => {
  test('the fixture (minimum lowered to 2.8) passes; upstream minimum 2.18 is refused with one line', async () => {
    expect(await checkPackageSet(pathSource(nixpkgs.path))).toMatchObject({ ok: true });
    // A copy that shares nothing with the fixture's lib/, with upstream's minimum restored.
    const copy = `${nixpkgs.path}-upstream`;
    cpSync(join(nixpkgs.path, 'lib'), join(copy, 'lib'), { recursive: true });
    cpSync(join(nixpkgs.path, 'default.nix'), join(copy, 'default.nix'));
    try {
      const file = join(copy, 'lib', 'minfeatures.nix');
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace('compareVersions "2.8"', 'compareVersions "2.18"'),
      );
      const check = await checkPackageSet(pathSource(copy));
      expect(check).toMatchObject({
        ok: false,
        kind: 'nix-too-old',
        missing: ['`builtins.nixVersion` reports at least 2.18'],
      });
      if (check.ok) return;
      expect(check.message).toMatch(
        /^the package set needs a Nix with `builtins.nixVersion` reports at least 2\.18, but the installed Nix is 2\.\d+/,
      );
      expect(check.message).not.toContain('\n');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  test('a missing package set is a failed check, not a refusal', async () => {
    expect(await checkPackageSet(pathSource('/nonexistent/nixpkgs'))).toMatchObject({
      ok: false,
      kind: 'check-failed',
    });
  });
});
