import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { groupLayers, layersToJson } from '../src/index.js';
import { closureCase } from './random-closures.js';

// Every layer says why the strategy made it; the reasons agree with the layers themselves.
describe('layer reasons', () => {
  test('stable: every-path, the largest paths by rank, owner groups and at most one merge', () => {
    fc.assert(
      fc.property(closureCase, (c) => {
        const layers = groupLayers(c.json, c.popularity, { strategy: 'stable', budget: c.budget });
        const size = new Map(c.json.graph.map((p) => [p.path, p.narSize]));
        const everyPath = c.json.graph.length <= c.budget;
        const largest = layers.filter((l) => l.reason?.kind === 'largest');
        for (const layer of layers) {
          expect(layer.reason).toBeDefined();
          if (everyPath) expect(layer.reason).toEqual({ kind: 'every-path' });
          if (layer.reason?.kind === 'largest' || layer.reason?.kind === 'every-path') {
            expect(layer.paths).toHaveLength(1);
          }
          if (layer.reason?.kind === 'owner') {
            const head = layer.reason.head;
            // The head is in its group, or is a one-path layer whose private dependencies these are.
            const beside = largest.some((l) => l.paths[0] === head);
            expect(layer.paths.includes(head) || beside).toBe(true);
          }
          if (layer.reason?.kind === 'merged') expect(layer.reason.heads.length).toBeGreaterThan(1);
        }
        // Ranks 1..k, each one-path layer at least as large as every grouped path.
        const ranks = largest
          .map((l) => (l.reason?.kind === 'largest' ? l.reason.rank : 0))
          .sort((a, b) => a - b);
        expect(ranks).toEqual(ranks.map((_, i) => i + 1));
        const smallestAlone = Math.min(...largest.map((l) => size.get(l.paths[0]!)!));
        for (const layer of layers.filter((l) => l.reason?.kind === 'owner' || l.reason?.kind === 'merged')) {
          for (const path of layer.paths)
            if (!largest.some((l) => l.paths[0] === path))
              expect(size.get(path)).toBeLessThanOrEqual(smallestAlone);
        }
        expect(layers.filter((l) => l.reason?.kind === 'merged').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  test("nixery: a head's subtree, or the budget's one merged layer", () => {
    fc.assert(
      fc.property(closureCase, (c) => {
        const layers = groupLayers(c.json, c.popularity, { strategy: 'nixery', budget: c.budget });
        for (const layer of layers) {
          const reason = layer.reason;
          expect(reason?.kind === 'owner' || reason?.kind === 'merged').toBe(true);
          if (reason?.kind === 'owner') expect(layer.paths).toContain(reason.head);
          if (reason?.kind === 'merged') for (const head of reason.heads) expect(layer.paths).toContain(head);
        }
        expect(layers.filter((l) => l.reason?.kind === 'merged').length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  test('the JSON output is unchanged by them', () => {
    fc.assert(
      fc.property(closureCase, (c) => {
        const layers = groupLayers(c.json, c.popularity, { budget: c.budget });
        const parsed = JSON.parse(layersToJson(layers)) as { layers: Record<string, unknown>[] };
        for (const layer of parsed.layers)
          expect(Object.keys(layer)).toEqual(['paths', 'mergeRating', 'narSize', 'key']);
      }),
      { numRuns: 50 },
    );
  });
});
