import { describe, expect, test } from 'vitest';
import { buildDominatorTree, groupLayers } from '../src/index.js';
import { names, runtimeGraph } from './helpers.js';

// The graph from the comment at the top of Nixery's builder/layers.go and its design post:
//
//   img ─> A ─> E        A, B, C, D requested; C ─> E, C ─> D; D ─> F, D ─> G.
//   img ─> B ─> E        E and G are popular, so they get edges from the image root
//   img ─> C ─> E, D     and become layers of their own; F is only reachable through D.
//   img ─> D ─> F, G
//
// Sizes and counts are chosen so the ratings rank G > E > {D,F} > C > A = B, which is the ranking
// Nixery's listed groupings for budgets 1 to 4 imply.
const example = runtimeGraph(
  {
    A: { narSize: 10_000, references: ['E'] },
    B: { narSize: 10_000, references: ['E'] },
    C: { narSize: 10_000, references: ['E', 'D'] },
    D: { narSize: 20_000, references: ['F', 'G'] },
    E: { narSize: 5_000 },
    F: { narSize: 30_000 },
    G: { narSize: 40_000 },
  },
  ['A', 'B', 'C', 'D'],
);
const popularity = { E: 10_000, G: 2_000 };

describe("Nixery's published example", () => {
  test('the dominator tree puts F under D and everything else under the image root', () => {
    const tree = buildDominatorTree(example, popularity);
    const parents = Object.fromEntries(tree.nodes.map((n) => [n.name, n.parent?.slice(-1) ?? 'root']));
    expect(parents).toEqual({ A: 'root', B: 'root', C: 'root', D: 'root', E: 'root', F: 'D', G: 'root' });
  });

  test('budget 3 gives {G}, {E}, {A,B,C,D,F}', () => {
    expect(names(groupLayers(example, popularity, { strategy: 'nixery', budget: 3 }))).toEqual([
      ['G'],
      ['E'],
      ['A', 'B', 'C', 'D', 'F'],
    ]);
  });

  test.each([
    [1, [['A', 'B', 'C', 'D', 'E', 'F', 'G']]],
    [2, [['G'], ['A', 'B', 'C', 'D', 'E', 'F']]],
    // {A,B,C} rates 15k+15k+105k = 135k, above {D,F}'s 120k, so it comes first.
    [4, [['G'], ['E'], ['A', 'B', 'C'], ['D', 'F']]],
    [5, [['G'], ['E'], ['D', 'F'], ['C'], ['A', 'B']]],
    [6, [['G'], ['E'], ['D', 'F'], ['C'], ['A'], ['B']]],
    [94, [['G'], ['E'], ['D', 'F'], ['C'], ['A'], ['B']]],
  ])('budget %i', (budget, expected) => {
    expect(names(groupLayers(example, popularity, { strategy: 'nixery', budget }))).toEqual(expected);
  });

  test('ratings are popularity × the sum of member closure sizes', () => {
    const layers = groupLayers(example, popularity, { strategy: 'nixery', budget: 3 });
    // G: 2000 × 40k; E: 10000 × 5k; merged: A 15k + B 15k + C 105k + (D 90k + F 30k).
    expect(layers.map((l) => l.mergeRating)).toEqual([80_000_000n, 50_000_000n, 255_000n]);
    expect(layers.map((l) => l.narSize)).toEqual([40_000, 5_000, 80_000]);
  });
});
