import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import {
  causeFirst,
  errorBlocks,
  errorSummary,
  failedDerivation,
  isUnsupportedSystem,
  parsePathInfoJson,
  parseUnknownPackages,
  refusalOf,
} from '../src/index.js';
import { CLOSURE_PATH_INFO_ARGS } from '../src/run-nix.js';
import { FIXTURE_SET } from './helpers.js';

describe('parseUnknownPackages', () => {
  test('reads the marker from an error message', () => {
    expect(parseUnknownPackages('error: nixery-unknown-packages:["a","b.c"]:end\n')).toEqual(['a', 'b.c']);
  });
  test('names containing brackets and quotes survive', () => {
    const names = ['x]', 'a"+b', '["]', '\\]'];
    expect(parseUnknownPackages(`… nixery-unknown-packages:${JSON.stringify(names)}:end`)).toEqual(names);
  });
  test('no marker, no names', () => {
    expect(parseUnknownPackages('error: attribute missing')).toBeNull();
    expect(parseUnknownPackages('nixery-unknown-packages:[oops')).toBeNull();
  });
});

describe('isUnsupportedSystem', () => {
  test("recognises Nix 2.8's and newer Nix's messages", () => {
    expect(
      isUnsupportedSystem(
        "error: a 'aarch64-linux' with features {} is required to build '/nix/store/x.drv', but I am a 'x86_64-linux'",
      ),
    ).toBe(true);
    expect(isUnsupportedSystem('Reason: required system or feature not available')).toBe(true);
    expect(isUnsupportedSystem('builder failed with exit code 1')).toBe(false);
  });
});

describe('parsePathInfoJson', () => {
  // Real output of this machine's Nix (2.8: a list), and the same data as Nix ≥ 2.19 prints it.
  const path = execFileSync(
    'nix-build',
    ['--no-out-link', '--option', 'substituters', '', FIXTURE_SET, '-A', 'hello'],
    {
      encoding: 'utf8',
    },
  ).trim();
  // The arguments the closure builds run with, so the test parses what they parse.
  const listForm = execFileSync('nix', [...CLOSURE_PATH_INFO_ARGS, path], { encoding: 'utf8' });

  test('the list form of Nix 2.8', () => {
    const infos = parsePathInfoJson(listForm);
    expect(infos.map((i) => i.path.replace(/^.*?-/, '')).sort()).toEqual([
      'hello-2.12',
      'libleaf-1.0',
      'libmid-1.0',
    ]);
    expect(infos.map((i) => i.path)).toEqual(infos.map((i) => i.path).sort());
    const hello = infos.find((i) => i.path === path);
    expect(hello?.references.length).toBe(2);
    expect(Object.keys(hello ?? {}).sort()).toEqual([
      'closureSize',
      'narHash',
      'narSize',
      'path',
      'references',
    ]);
  });

  test('the object form of newer Nix gives the same result', () => {
    const list = JSON.parse(listForm) as { path: string }[];
    const objectForm = Object.fromEntries(list.map(({ path: p, ...rest }) => [p, rest]));
    expect(parsePathInfoJson(JSON.stringify(objectForm))).toEqual(parsePathInfoJson(listForm));
  });

  test('incomplete entries are refused', () => {
    expect(() => parsePathInfoJson('[{"path":"/nix/store/x","narSize":1}]')).toThrow(/incomplete/);
  });
});

describe('reading Nix errors', () => {
  // Nix 2.8's output for a failing builder, shortened.
  const log = [
    'these 3 derivations will be built:',
    '  /nix/store/aaa-dep.drv',
    '  /nix/store/bbb-dep2.drv',
    '  /nix/store/ccc-broken-demo-1.0.drv',
    "building '/nix/store/ccc-broken-demo-1.0.drv'...",
    'brokenDemo: step 1',
    "error: builder for '/nix/store/ccc-broken-demo-1.0.drv' failed with exit code 1;",
    '       last 1 log lines:',
    '       > brokenDemo: step 1',
    "       For full logs, run 'nix log /nix/store/ccc-broken-demo-1.0.drv'.",
  ];

  test('the failing derivation and the error block', () => {
    expect(failedDerivation(log)).toBe('/nix/store/ccc-broken-demo-1.0.drv');
    expect(errorBlocks(log)).toEqual([
      [
        "builder for '/nix/store/ccc-broken-demo-1.0.drv' failed with exit code 1;",
        'last 1 log lines:',
        '> brokenDemo: step 1',
        "For full logs, run 'nix log /nix/store/ccc-broken-demo-1.0.drv'.",
      ].join('\n'),
    ]);
    expect(errorSummary(log)).toBe(
      "builder for '/nix/store/ccc-broken-demo-1.0.drv' failed with exit code 1;",
    );
  });

  test('the tail leads with the error and drops the listing of derivations to build', () => {
    expect(causeFirst(log)).toEqual([...log.slice(6), log[4], log[5]]);
  });

  test("nixpkgs' meta refusals say which check refused", () => {
    const refusal = (why: string) => `Refusing to evaluate package 'x-1' in /p.nix:1 because it ${why}`;
    expect(refusalOf(refusal('has an unfree license (‘unfree’)'))).toBe('unfree');
    expect(refusalOf(refusal('is marked as broken'))).toBe('broken');
    expect(refusalOf(refusal('is marked as insecure'))).toBe('insecure');
    expect(refusalOf(refusal('is not available on the requested hostPlatform:'))).toBe(
      'unsupported-platform',
    );
    expect(refusalOf(refusal('has a blocklisted license'))).toBe('other');
    expect(refusalOf('chatbox was removed for bundling a vastly end-of-life electron version')).toBeNull();
  });
});
