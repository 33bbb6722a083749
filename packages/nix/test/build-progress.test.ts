import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { type NixBuildProgress, NixBuildProgressParser } from '../src/index.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/nix-build-output/${name}`, import.meta.url), 'utf8').split('\n');

/** Every progress the parser reports for the lines, in order. */
function progressOf(lines: string[]): NixBuildProgress[] {
  const parser = new NixBuildProgressParser();
  return lines.map((line) => parser.feed(line)).filter((p): p is NixBuildProgress => p !== null);
}

const counts = (p: NixBuildProgress) => [
  p.derivations.started,
  p.derivations.total,
  p.fetches.started,
  p.fetches.total,
];

describe('NixBuildProgressParser on real nix-build output', () => {
  test('two derivations built: the announced list, then each start', () => {
    const seen = progressOf(fixture('two-built.txt'));
    expect(seen.map(counts)).toEqual([
      [0, 1, 0, 0],
      [0, 2, 0, 0],
      [1, 2, 0, 0],
      [2, 2, 0, 0],
    ]);
    expect(seen.at(-1)?.current).toMatch(/^\/nix\/store\/[0-9a-z]{32}-slow-step-b-1\.0\.drv$/);
    expect(seen[2]?.current).toMatch(/-slow-step-a-1\.0\.drv$/);
  });

  test('two paths fetched from a binary cache', () => {
    const seen = progressOf(fixture('two-fetched.txt'));
    expect(seen.map(counts)).toEqual([
      [0, 0, 0, 1],
      [0, 0, 0, 2],
      [0, 0, 1, 2],
      [0, 0, 2, 2],
    ]);
    expect(seen.at(-1)?.current).toBeNull();
  });

  test('one path fetched and one derivation built: "this derivation", "this path"', () => {
    const seen = progressOf(fixture('one-fetched-one-built.txt'));
    expect(seen.at(-1) && counts(seen.at(-1) as NixBuildProgress)).toEqual([1, 1, 1, 1]);
    expect(seen.map(counts)).toEqual([
      [0, 1, 0, 0],
      [0, 1, 0, 1],
      [0, 1, 1, 1],
      [1, 1, 1, 1],
    ]);
  });

  test('a failing build still counts its start; builder output and errors change nothing', () => {
    const lines = fixture('broken.txt');
    const seen = progressOf(lines);
    expect(seen.map(counts)).toEqual([
      [0, 1, 0, 0],
      [1, 1, 0, 0],
    ]);
    const parser = new NixBuildProgressParser();
    for (const line of lines.filter((l) => /brokenDemo|error:/.test(l))) expect(parser.feed(line)).toBeNull();
  });

  test('a store path indented in a builder log after the list is not counted', () => {
    const parser = new NixBuildProgressParser();
    parser.feed('this derivation will be built:');
    parser.feed('  /nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x.drv');
    parser.feed("building '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x.drv'...");
    expect(parser.feed('  /nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-y')).toBeNull();
    expect(counts(parser.progress())).toEqual([1, 1, 0, 0]);
  });

  test('a remote build line ("… on \'ssh://…\'") counts as a start', () => {
    const parser = new NixBuildProgressParser();
    const drv = '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x.drv';
    expect(parser.feed(`building '${drv}' on 'ssh-ng://builder'...`)?.derivations).toEqual({
      total: 1,
      started: 1,
    });
  });
});
