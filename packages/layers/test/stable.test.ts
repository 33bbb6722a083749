import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { GROUPING_STRATEGY_NAMES, groupingStrategies, groupLayers, type Layer } from '../src/index.js';
import { names, runtimeGraph } from './helpers.js';
import { closureCase, reordered } from './random-closures.js';

const stable = (budget: number, groupSlots?: number) =>
  ({ strategy: 'stable', budget, ...(groupSlots !== undefined ? { groupSlots } : {}) }) as const;

describe('the stable strategy on random closures', () => {
  const slotsCase = fc.tuple(closureCase, fc.integer({ min: 1, max: 14 }));

  test('every path of the graph is in exactly one non-empty layer, within the budget', () => {
    fc.assert(
      fc.property(slotsCase, ([c, groupSlots]) => {
        const layers = groupLayers(c.json, c.popularity, stable(c.budget, groupSlots));
        const seen = layers.flatMap((l) => l.paths);
        expect(new Set(seen).size).toBe(seen.length);
        expect(new Set(seen)).toEqual(new Set(c.json.graph.map((p) => p.path)));
        expect(layers.length).toBeLessThanOrEqual(c.budget);
        for (const layer of layers) expect(layer.paths.length).toBeGreaterThan(0);
        const narSizes = new Map(c.json.graph.map((p) => [p.path, p.narSize]));
        for (const layer of layers) {
          expect(layer.narSize).toBe(layer.paths.reduce((s, p) => s + (narSizes.get(p) as number), 0));
        }
      }),
      { numRuns: 300 },
    );
  });

  test('the result does not depend on the order of paths, references or requests', () => {
    fc.assert(
      fc.property(slotsCase, fc.integer({ min: 1, max: 2 ** 30 }), ([c, groupSlots], seed) => {
        expect(groupLayers(reordered(c.json, seed), c.popularity, stable(c.budget, groupSlots))).toEqual(
          groupLayers(c.json, c.popularity, stable(c.budget, groupSlots)),
        );
      }),
      { numRuns: 300 },
    );
  });

  test('layers come highest rating first; the largest paths are alone in theirs', () => {
    fc.assert(
      fc.property(slotsCase, ([c, groupSlots]) => {
        const layers = groupLayers(c.json, c.popularity, stable(c.budget, groupSlots));
        for (let i = 1; i < layers.length; i++) {
          expect((layers[i - 1] as Layer).mergeRating >= (layers[i] as Layer).mergeRating).toBe(true);
        }
        // All paths when they fit, else the budget − slots largest (slots ≤ half the budget) are alone.
        const n = c.json.graph.length;
        const alone = n <= c.budget ? n : c.budget - Math.min(groupSlots, Math.ceil(c.budget / 2));
        const singles = new Set(layers.filter((l) => l.paths.length === 1).map((l) => l.paths[0]));
        expect(singles.size).toBeGreaterThanOrEqual(alone);
        if (alone > 0) {
          const sizes = c.json.graph.map((p) => p.narSize).sort((a, b) => b - a);
          const cut = sizes[alone - 1] as number;
          for (const p of c.json.graph) if (p.narSize > cut) expect(singles.has(p.path)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * An app with two private helpers and one library it shares with a tool; `extra` adds more
 * one-path packages so the budget is exceeded.
 */
function appImage(requested: string[], extra = 0) {
  const nodes: Record<string, { narSize: number; references?: string[] }> = {
    'glibc-2.37': { narSize: 30_000_000 },
    'app-1.0': { narSize: 20_000_000, references: ['app-helper-a', 'app-helper-b', 'glibc-2.37'] },
    'app-helper-a': { narSize: 2_000, references: ['shared-lib'] },
    'app-helper-b': { narSize: 3_000 },
    'tool-1.0': { narSize: 5_000_000, references: ['shared-lib', 'glibc-2.37'] },
    'shared-lib': { narSize: 1_000 },
  };
  for (let i = 0; i < extra; i++) nodes[`pkg${i}`] = { narSize: 100_000 + i };
  const wanted = [...requested, ...Array.from({ length: extra }, (_, i) => `pkg${i}`)];
  const reachable = new Set<string>();
  const stack = [...wanted];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (reachable.has(name)) continue;
    reachable.add(name);
    stack.push(...(nodes[name]?.references ?? []));
  }
  return runtimeGraph(
    Object.fromEntries(Object.entries(nodes).filter(([name]) => reachable.has(name))),
    wanted,
  );
}

describe('stable grouping rules', () => {
  test('an image with no more paths than the budget gets a layer per path', () => {
    const layers = groupLayers(appImage(['app-1.0', 'tool-1.0']), {}, stable(94));
    expect(layers).toHaveLength(6);
    expect(layers.every((l) => l.paths.length === 1)).toBe(true);
  });

  test('past the budget, small paths are grouped by the package that owns them', () => {
    // 6 paths + 4 extra packages, budget 6 with 2 group slots: the 4 largest alone.
    // app is popular, so its helpers' group outranks the others and keeps a slot of its own.
    const layers = groupLayers(appImage(['app-1.0', 'tool-1.0'], 4), { 'app-1.0': 1000 }, stable(6, 2));
    expect(layers).toHaveLength(6);
    const groups = names(layers).filter((l) => l.length > 1);
    // app's private helpers travel together; shared-lib (app and tool both reach it) heads a group
    // of its own, which merges with the other groups in the last slot.
    expect(groups).toEqual([
      ['app-helper-a', 'app-helper-b'],
      ['pkg0', 'pkg1', 'pkg2', 'shared-lib'],
    ]);
    expect(
      names(layers)
        .filter((l) => l.length === 1)
        .flat()
        .sort(),
    ).toEqual(['app-1.0', 'glibc-2.37', 'pkg3', 'tool-1.0'].sort());
  });

  test('the same package gives the same layers in different images', () => {
    const alone = groupLayers(appImage(['app-1.0'], 6), {}, stable(6, 3));
    const withTool = groupLayers(appImage(['app-1.0', 'tool-1.0'], 6), {}, stable(6, 3));
    const keysAlone = new Set(alone.map((l) => l.key));
    const shared = withTool.filter((l) => keysAlone.has(l.key));
    // glibc and app (the bytes) keep their keys, whatever else the image holds.
    expect(names(shared).flat()).toEqual(expect.arrayContaining(['glibc-2.37', 'app-1.0']));
    expect(shared.reduce((s, l) => s + l.narSize, 0)).toBeGreaterThanOrEqual(50_000_000);
  });

  test('budget 1 puts everything in one layer', () => {
    const layers = groupLayers(appImage(['app-1.0', 'tool-1.0'], 3), {}, stable(1));
    expect(layers).toHaveLength(1);
    expect(layers[0]?.paths).toHaveLength(9);
  });

  test('ratings are the head popularity times the layer bytes, the 500000 rule included', () => {
    const json = runtimeGraph(
      {
        app: { narSize: 10, references: ['nss-cacert-3.90', 'zlib'] },
        'nss-cacert-3.90': { narSize: 7 },
        zlib: { narSize: 4 },
      },
      ['app'],
    );
    const layers = groupLayers(json, { zlib: 300 }, stable(94));
    expect(layers.map((l) => l.mergeRating)).toEqual([3_500_000n, 1_200n, 10n]);
    expect(names(layers)).toEqual([['nss-cacert-3.90'], ['zlib'], ['app']]);
  });

  test('groupSlots must be a positive integer', () => {
    const json = appImage(['app-1.0']);
    for (const groupSlots of [0, -1, 1.5]) {
      expect(() => groupLayers(json, {}, stable(5, groupSlots))).toThrow(/groupSlots/);
    }
  });

  test('is registered by name, and every strategy name is listed', () => {
    expect(groupingStrategies.stable.name).toBe('stable');
    expect([...GROUPING_STRATEGY_NAMES].sort()).toEqual(Object.keys(groupingStrategies).sort());
  });
});
