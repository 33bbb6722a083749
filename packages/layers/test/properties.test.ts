import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { groupLayers, type Layer, storePathName } from '../src/index.js';
import { type Case, closureCase, reordered } from './random-closures.js';

function popularityOfPath(path: string, popularity: Record<string, number>): number {
  const name = storePathName(path);
  if (name.startsWith('nss-cacert') || name.startsWith('iana-etc')) return 500_000;
  return Object.hasOwn(popularity, name) ? (popularity[name] as number) : 1;
}

/** The paths Nixery's root points at (requested, big or popular) and everything they reach. */
function expectedPaths({ json, popularity }: Case): { kept: Set<string>; rootChildren: Set<string> } {
  const byPath = new Map(json.graph.map((p) => [p.path, p]));
  const rootChildren = new Set(json.exportReferencesGraph.graph);
  for (const p of json.graph) {
    if (p.closureSize > 100_000_000 || popularityOfPath(p.path, popularity) >= 100) rootChildren.add(p.path);
  }
  const kept = new Set<string>();
  const stack = [...rootChildren];
  while (stack.length > 0) {
    const path = stack.pop() as string;
    if (kept.has(path)) continue;
    kept.add(path);
    stack.push(...(byPath.get(path)?.references ?? []));
  }
  return { kept, rootChildren };
}

const sum = (layers: Layer[], field: 'narSize') => layers.reduce((s, l) => s + l[field], 0);
const ratingSum = (layers: Layer[]) => layers.reduce((s, l) => s + l.mergeRating, 0n);

describe('groupLayers on random closures', () => {
  test('every kept path is in exactly one non-empty layer, within the budget', () => {
    fc.assert(
      fc.property(closureCase, (c) => {
        const layers = groupLayers(c.json, c.popularity, { strategy: 'nixery', budget: c.budget });
        const seen = layers.flatMap((l) => l.paths);
        expect(new Set(seen).size).toBe(seen.length);
        expect(new Set(seen)).toEqual(expectedPaths(c).kept);
        expect(layers.length).toBeLessThanOrEqual(c.budget);
        for (const layer of layers) expect(layer.paths.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  test('layers come highest rating first with sorted paths', () => {
    fc.assert(
      fc.property(closureCase, (c) => {
        const layers = groupLayers(c.json, c.popularity, { strategy: 'nixery', budget: c.budget });
        for (let i = 1; i < layers.length; i++) {
          expect((layers[i - 1] as Layer).mergeRating >= (layers[i] as Layer).mergeRating).toBe(true);
        }
        for (const layer of layers) expect([...layer.paths].sort()).toEqual(layer.paths);
      }),
    );
  });

  test('the result does not depend on the order of paths, references or requests', () => {
    fc.assert(
      fc.property(closureCase, fc.integer({ min: 1, max: 2 ** 30 }), (c, seed) => {
        expect(
          groupLayers(reordered(c.json, seed), c.popularity, { strategy: 'nixery', budget: c.budget }),
        ).toEqual(groupLayers(c.json, c.popularity, { strategy: 'nixery', budget: c.budget }));
      }),
      { numRuns: 300 },
    );
  });

  test('with budget to spare, requested, big and popular paths never share a layer', () => {
    fc.assert(
      fc.property(closureCase, (c) => {
        const { rootChildren } = expectedPaths(c);
        const byPath = new Map(c.json.graph.map((p) => [p.path, p]));
        const layers = groupLayers(c.json, c.popularity, { strategy: 'nixery', budget: 1000 });
        expect(layers.length).toBeGreaterThanOrEqual(rootChildren.size);
        for (const layer of layers) {
          expect(layer.paths.filter((p) => rootChildren.has(p)).length).toBeLessThanOrEqual(1);
          // The head dominates the layer, so it is the one member no other member references.
          const referenced = new Set(
            layer.paths.flatMap((p) => byPath.get(p)?.references.filter((r) => r !== p) ?? []),
          );
          const heads = layer.paths.filter((p) => !referenced.has(p));
          expect(heads).toHaveLength(1);
          // Exact rating: head popularity × sum of the members' closure sizes, in bigint.
          const closure = layer.paths.reduce((s, p) => s + BigInt(byPath.get(p)?.closureSize ?? 0), 0n);
          expect(layer.mergeRating).toBe(
            BigInt(popularityOfPath(heads[0] as string, c.popularity)) * closure,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  test('merging conserves the total rating and size', () => {
    fc.assert(
      fc.property(closureCase, (c) => {
        const unmerged = groupLayers(c.json, c.popularity, { strategy: 'nixery', budget: 1000 });
        const merged = groupLayers(c.json, c.popularity, { strategy: 'nixery', budget: c.budget });
        expect(ratingSum(merged)).toBe(ratingSum(unmerged));
        expect(sum(merged, 'narSize')).toBe(sum(unmerged, 'narSize'));
        // The layers kept whole are exactly the best-ranked unmerged ones.
        if (unmerged.length > c.budget) {
          const keys = new Set(merged.map((l) => l.key));
          expect(unmerged.slice(0, c.budget - 1).every((l) => keys.has(l.key))).toBe(true);
        } else {
          expect(merged).toEqual(unmerged);
        }
      }),
      { numRuns: 300 },
    );
  });
});
