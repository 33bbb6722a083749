import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { groupingStrategies, groupLayers, LayersError, RuntimeGraph } from '../src/index.js';
import { names, runtimeGraph, storePath } from './helpers.js';

/** app requests lib and dep; lib is small; dep's size and popularity vary per test. */
function withDependency(dep: { narSize?: number; closureSize?: number; name?: string }) {
  const depName = dep.name ?? 'dep';
  return runtimeGraph(
    {
      app: { narSize: 100, references: ['lib', depName] },
      lib: { narSize: 10 },
      [depName]: {
        narSize: dep.narSize ?? 10,
        ...(dep.closureSize !== undefined ? { closureSize: dep.closureSize } : {}),
      },
    },
    ['app'],
  );
}

describe('rules that make a path its own layer', () => {
  test('a closure strictly bigger than 100 MB', () => {
    expect(
      names(groupLayers(withDependency({ closureSize: 100_000_001 }), {}, { strategy: 'nixery' })),
    ).toEqual([['dep'], ['app', 'lib']]);
    expect(
      names(groupLayers(withDependency({ closureSize: 100_000_000 }), {}, { strategy: 'nixery' })),
    ).toEqual([['app', 'dep', 'lib']]);
  });

  test('popularity 100 or more, but not 99', () => {
    expect(names(groupLayers(withDependency({}), { dep: 100 }, { strategy: 'nixery' }))).toEqual([
      ['dep'],
      ['app', 'lib'],
    ]);
    expect(names(groupLayers(withDependency({}), { dep: 99 }, { strategy: 'nixery' }))).toEqual([
      ['app', 'dep', 'lib'],
    ]);
  });

  test('popularity is looked up by name without the hash, in a map or an object', () => {
    const fromMap = groupLayers(withDependency({ name: 'glibc-2.37' }), new Map([['glibc-2.37', 300_000]]), {
      strategy: 'nixery',
    });
    expect(names(fromMap)).toEqual([['glibc-2.37'], ['app', 'lib']]);
    expect(fromMap[0]?.mergeRating).toBe(300_000n * 10n);
    // Inherited object properties are not popularity data.
    expect(
      names(groupLayers(withDependency({ name: 'constructor' }), {}, { strategy: 'nixery' })),
    ).toHaveLength(1);
  });

  test.each(['nss-cacert-3.90', 'iana-etc-20230316', 'nss-cacert'])(
    '%s counts 500000 without any data',
    (name) => {
      const layers = groupLayers(withDependency({ name, narSize: 7 }), {}, { strategy: 'nixery' });
      expect(names(layers)).toEqual([[name], ['app', 'lib']]);
      expect(layers[0]?.mergeRating).toBe(500_000n * 7n);
    },
  );

  test('the 500000 rule overrides a published count', () => {
    const layers = groupLayers(
      withDependency({ name: 'iana-etc-1', narSize: 3 }),
      { 'iana-etc-1': 5 },
      { strategy: 'nixery' },
    );
    expect(layers[0]?.mergeRating).toBe(1_500_000n);
  });

  test('thresholds are options', () => {
    const graph = withDependency({ closureSize: 5000 });
    expect(names(groupLayers(graph, { dep: 20 }, { strategy: 'nixery', popularityThreshold: 20 }))).toEqual([
      ['dep'],
      ['app', 'lib'],
    ]);
    expect(names(groupLayers(graph, {}, { strategy: 'nixery', bigClosureThreshold: 4999 }))).toEqual([
      ['dep'],
      ['app', 'lib'],
    ]);
    expect(names(groupLayers(graph, {}, { strategy: 'nixery', bigClosureThreshold: 5000 }))).toEqual([
      ['app', 'dep', 'lib'],
    ]);
  });
});

/** Four requested leaves whose ratings (popularity 1) are their sizes. */
const leaves = (sizes: Record<string, number>) =>
  runtimeGraph(
    Object.fromEntries(Object.entries(sizes).map(([name, narSize]) => [name, { narSize }])),
    Object.keys(sizes),
  );

describe('merging and ordering', () => {
  test('all the lowest-rated beyond the budget merge into one layer rated their sum', () => {
    const layers = groupLayers(
      leaves({ a: 70, b: 100, c: 10, d: 20, e: 30 }),
      {},
      { strategy: 'nixery', budget: 3 },
    );
    expect(names(layers)).toEqual([['b'], ['a'], ['c', 'd', 'e']]);
    expect(layers.map((l) => l.mergeRating)).toEqual([100n, 70n, 60n]);
  });

  test('the merged layer ranks by its summed rating, above layers it outgrows', () => {
    const layers = groupLayers(
      leaves({ a: 100, b: 60, c: 50, d: 40 }),
      {},
      { strategy: 'nixery', budget: 3 },
    );
    expect(names(layers)).toEqual([['a'], ['c', 'd'], ['b']]);
    expect(layers.map((l) => l.mergeRating)).toEqual([100n, 90n, 60n]);
  });

  test('budget 1 puts every path in one layer', () => {
    const layers = groupLayers(leaves({ a: 1, b: 2, c: 3 }), {}, { strategy: 'nixery', budget: 1 });
    expect(names(layers)).toEqual([['a', 'b', 'c']]);
    expect(layers[0]?.mergeRating).toBe(6n);
    expect(layers[0]?.narSize).toBe(6);
  });

  test('equal ratings are ordered by name, then by full path', () => {
    const layers = groupLayers(leaves({ zeta: 5, alpha: 5, mid: 5 }), {}, { strategy: 'nixery' });
    expect(names(layers)).toEqual([['alpha'], ['mid'], ['zeta']]);
    // Same name, different hashes: the full path decides.
    const twins = {
      graph: [
        '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x',
        '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x',
      ].map((path) => ({ path, narSize: 1, closureSize: 1, narHash: 'h', references: [] })),
      exportReferencesGraph: {
        graph: [
          '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-x',
          '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-x',
        ],
      },
    };
    expect(groupLayers(twins, {}, { strategy: 'nixery' }).map((l) => l.paths[0]?.slice(11, 12))).toEqual([
      'a',
      'b',
    ]);
  });

  test('equal ratings at the budget boundary merge the later-named candidates', () => {
    const layers = groupLayers(leaves({ d: 5, c: 5, b: 5, a: 5 }), {}, { strategy: 'nixery', budget: 2 });
    expect(names(layers)).toEqual([['b', 'c', 'd'], ['a']]);
  });

  test('ratings are exact past 2^53', () => {
    const big = 2 ** 52 + 1; // closure sizes are safe integers; the product is not
    const graph = runtimeGraph({ 'nss-cacert-1': { narSize: 1, closureSize: big } }, ['nss-cacert-1']);
    const [layer] = groupLayers(graph, {}, { strategy: 'nixery' });
    expect(layer?.mergeRating).toBe(500_000n * BigInt(big));
    expect(layer?.mergeRating.toString()).toBe('2251799813685248500000');
  });
});

test('closure sums are exact past 2^53', () => {
  const size = 2 ** 52 + 1;
  const chain = runtimeGraph(
    {
      app: { narSize: 1, closureSize: size, references: ['a'] },
      a: { narSize: 1, closureSize: size, references: ['b'] },
      b: { narSize: 1, closureSize: size },
    },
    ['app'],
  );
  const [layer] = groupLayers(
    chain,
    { app: 7 },
    { strategy: 'nixery', bigClosureThreshold: Number.MAX_SAFE_INTEGER },
  );
  expect(layer?.paths).toHaveLength(3);
  expect(layer?.mergeRating).toBe(7n * 3n * BigInt(size));
});

describe('what is kept and what is ignored', () => {
  test('paths unreachable from the requested ones are dropped unless big or popular', () => {
    const graph = runtimeGraph(
      {
        app: { narSize: 1 },
        orphan: { narSize: 1 },
        popularOrphan: { narSize: 1 },
        bigOrphan: { narSize: 1, closureSize: 200_000_000 },
      },
      ['app'],
    );
    const kept = groupLayers(graph, { popularOrphan: 1000 }, { strategy: 'nixery' }).flatMap(
      (l) => names([l])[0],
    );
    expect(kept.sort()).toEqual(['app', 'bigOrphan', 'popularOrphan']);
  });

  test('no requested paths and nothing popular gives no layers', () => {
    expect(groupLayers(runtimeGraph({ lonely: { narSize: 1 } }, []), {}, { strategy: 'nixery' })).toEqual([]);
    expect(
      groupLayers({ graph: [], exportReferencesGraph: { graph: [] } }, {}, { strategy: 'nixery' }),
    ).toEqual([]);
  });

  test('self references and repeated references change nothing', () => {
    const plain = runtimeGraph({ app: { narSize: 3, references: ['lib'] }, lib: { narSize: 2 } }, ['app']);
    const noisy = runtimeGraph(
      {
        app: { narSize: 3, closureSize: 5, references: ['app', 'lib', 'lib', 'app'] },
        lib: { narSize: 2, references: ['lib'] },
      },
      ['app', 'app'],
    );
    expect(groupLayers(noisy, {}, { strategy: 'nixery' })).toEqual(
      groupLayers(plain, {}, { strategy: 'nixery' }),
    );
  });

  test('a requested path that another requested path depends on is its own layer', () => {
    const graph = runtimeGraph({ app: { narSize: 3, references: ['lib'] }, lib: { narSize: 2 } }, [
      'app',
      'lib',
    ]);
    expect(names(groupLayers(graph, {}, { strategy: 'nixery' }))).toEqual([['app'], ['lib']]);
  });
});

describe('layers', () => {
  test('paths are sorted and the key is sha256 of them joined by newlines', () => {
    const [layer] = groupLayers(leaves({ b: 1, a: 1 }), {}, { strategy: 'nixery', budget: 1 });
    expect(layer?.paths).toEqual([storePath('a'), storePath('b')].sort());
    const expected = createHash('sha256')
      .update(`${layer?.paths.join('\n')}`)
      .digest('hex');
    expect(layer?.key).toBe(expected);
  });

  test('accepts a validated RuntimeGraph as well as JSON', () => {
    const json = leaves({ a: 2, b: 1 });
    expect(groupLayers(RuntimeGraph.fromJson(json), {}, { strategy: 'nixery' })).toEqual(
      groupLayers(json, {}, { strategy: 'nixery' }),
    );
  });
});

describe('options', () => {
  test.each([0, -1, 1.5, Number.NaN])('budget %s is rejected', (budget) => {
    expect(() => groupLayers(leaves({ a: 1 }), {}, { strategy: 'nixery', budget })).toThrow(LayersError);
  });

  test.each([-1, 1.5, Number.NaN])('a popularity of %s passed directly is rejected', (count) => {
    expect(() => groupLayers(withDependency({}), { dep: count }, { strategy: 'nixery' })).toThrow(
      /popularity of "dep"/,
    );
  });

  test('negative thresholds and unknown strategies are rejected', () => {
    expect(() => groupLayers(leaves({ a: 1 }), {}, { strategy: 'nixery', popularityThreshold: -1 })).toThrow(
      /popularityThreshold/,
    );
    expect(() => groupLayers(leaves({ a: 1 }), {}, { strategy: 'best' as 'nixery' })).toThrow(
      /unknown grouping strategy/,
    );
  });

  test('the stable strategy is the default; nixery is registered by name', () => {
    const json = leaves({ a: 3, b: 1, c: 2 });
    expect(groupLayers(json, { b: 10 }, { budget: 2 })).toEqual(
      groupLayers(json, { b: 10 }, { strategy: 'stable', budget: 2 }),
    );
    // Nixery keeps the best-rated (popular b) alone; stable keeps the largest path (a) alone.
    expect(names(groupLayers(json, { b: 10 }, { strategy: 'nixery', budget: 2 }))).toEqual([
      ['b'],
      ['a', 'c'],
    ]);
    expect(names(groupLayers(json, { b: 10 }, { budget: 2 }))).toEqual([['b', 'c'], ['a']]);
    expect(groupingStrategies.nixery.name).toBe('nixery');
  });
});
