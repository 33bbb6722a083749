import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { isUnsupportedSystem, parsePathInfoJson, parseUnknownPackages } from '../src/index.js';
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
  const listForm = execFileSync(
    'nix',
    [
      'path-info',
      '--json',
      '--recursive',
      '--closure-size',
      '--extra-experimental-features',
      'nix-command',
      path,
    ],
    { encoding: 'utf8' },
  );

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
