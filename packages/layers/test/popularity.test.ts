import { describe, expect, test } from 'vitest';
import {
  computePopularity,
  LayersError,
  parsePopularity,
  popularityFromJson,
  popularityOf,
  popularityToJson,
  runtimeGraphFromPathInfo,
} from '../src/index.js';
import { runtimeGraph, storePath } from './helpers.js';

describe('published popularity data', () => {
  test('parses name → count', () => {
    const data = parsePopularity('{"glibc-2.37-8": 300000, "zlib-1.3": 12, "rare-1": 0}');
    expect([...data]).toEqual([
      ['glibc-2.37-8', 300000],
      ['zlib-1.3', 12],
      ['rare-1', 0],
    ]);
    expect(popularityOf(data, 'zlib-1.3')).toBe(12);
    expect(popularityOf(data, 'unknown')).toBe(1);
    expect(popularityOf({ 'zlib-1.3': 12 }, 'zlib-1.3')).toBe(12);
    expect(popularityOf({}, 'toString')).toBe(1);
  });

  test.each([
    ['[1, 2]', 'INVALID_POPULARITY'],
    ['null', 'INVALID_POPULARITY'],
    ['{"a": -1}', 'INVALID_POPULARITY'],
    ['{"a": 1.5}', 'INVALID_POPULARITY'],
    ['{"a": "7"}', 'INVALID_POPULARITY'],
    ['{"a": 1e300}', 'INVALID_POPULARITY'],
    ['{"a": 1', 'INVALID_JSON'],
  ])('rejects %s', (text, code) => {
    expect(() => parsePopularity(text)).toThrow(LayersError);
    try {
      parsePopularity(text);
    } catch (error) {
      expect((error as LayersError).code).toBe(code);
    }
  });

  test('names the bad key', () => {
    expect(() => popularityFromJson({ good: 1, 'bad-1.0': -3 })).toThrow(/"bad-1.0"/);
  });

  test('serialises with sorted keys, round trip', () => {
    const text = popularityToJson(
      new Map([
        ['zlib', 2],
        ['bash', 5],
      ]),
    );
    expect(text).toBe('{"bash":5,"zlib":2}');
    expect(popularityToJson(parsePopularity(text))).toBe(text);
    expect(popularityToJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
});

describe('popularity computed from local closures', () => {
  const closureA = runtimeGraph(
    {
      git: { narSize: 1, references: ['curl-8', 'glibc-2.37', 'git'] },
      'curl-8': { narSize: 1, references: ['glibc-2.37', 'openssl-3'] },
      'openssl-3': { narSize: 1, references: ['glibc-2.37'] },
      'glibc-2.37': { narSize: 1 },
    },
    ['git'],
  );
  const closureB = runtimeGraph(
    {
      hello: { narSize: 1, references: ['glibc-2.37', 'glibc-2.37'] },
      'openssl-3': { narSize: 1, references: ['glibc-2.37'] },
      'glibc-2.37': { narSize: 1 },
    },
    ['hello'],
  );

  test('counts, per name, the other store paths that reference it', () => {
    const counts = computePopularity([closureA]);
    expect(Object.fromEntries(counts)).toEqual({ 'glibc-2.37': 3, 'curl-8': 1, 'openssl-3': 1 });
  });

  test('a path shared by several closures counts once; repeats and self references never', () => {
    const counts = computePopularity([closureA, closureB]);
    expect(Object.fromEntries(counts)).toEqual({ 'glibc-2.37': 4, 'curl-8': 1, 'openssl-3': 1 });
  });

  test('reads nix path-info output in both formats', () => {
    const array = closureB.graph.map((p) => ({ ...p, deriver: null, valid: true }));
    const object = Object.fromEntries(closureB.graph.map(({ path, ...rest }) => [path, rest]));
    expect(computePopularity([array])).toEqual(computePopularity([closureB]));
    expect(computePopularity([object])).toEqual(computePopularity([closureB]));
  });

  test('paths with the same name but different hashes add up', () => {
    const other = { ...closureB.graph[0], path: '/nix/store/00000000000000000000000000000000-hello' };
    const counts = computePopularity([closureB, [other as Record<string, unknown>]]);
    expect(counts.get('glibc-2.37')).toBe(3);
  });

  test('computed popularity drives the grouping like published data', () => {
    const graph = runtimeGraphFromPathInfo(closureA.graph, [storePath('git')]);
    expect(graph.exportReferencesGraph.graph).toEqual([storePath('git')]);
    const counts = computePopularity([closureA]);
    expect(popularityOf(counts, 'glibc-2.37')).toBe(3);
  });
});
