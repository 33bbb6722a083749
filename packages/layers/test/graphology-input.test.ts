import fc from 'fast-check';
import { DirectedGraph, MultiDirectedGraph, UndirectedGraph } from 'graphology';
import { describe, expect, test } from 'vitest';
import { groupLayers, LayersError, RuntimeGraph } from '../src/index.js';
import { names, runtimeGraph, storePath } from './helpers.js';
import { closureCase } from './random-closures.js';

/** A graphology graph built by hand, the way another tool would: only the documented attributes. */
function nixeryExample(): DirectedGraph {
  const graph = new DirectedGraph();
  const sizes = { A: 15_000, B: 15_000, C: 105_000, D: 90_000, E: 5_000, F: 30_000, G: 40_000 };
  const nar = { A: 10_000, B: 10_000, C: 10_000, D: 20_000, E: 5_000, F: 30_000, G: 40_000 };
  for (const name of Object.keys(sizes) as (keyof typeof sizes)[]) {
    graph.addNode(storePath(name), {
      narSize: nar[name],
      closureSize: sizes[name],
      topLevel: ['A', 'B', 'C', 'D'].includes(name),
    });
  }
  for (const [from, to] of ['AE', 'BE', 'CE', 'CD', 'DF', 'DG']) {
    graph.addEdge(storePath(from as string), storePath(to as string));
  }
  return graph;
}

function rejection(run: () => unknown): LayersError {
  try {
    run();
  } catch (error) {
    if (error instanceof LayersError) return error;
    throw error;
  }
  throw new Error('expected the graph to be rejected');
}

describe('groupLayers on a graphology graph', () => {
  test("Nixery's example as a hand-built graphology graph gives Nixery's groups", () => {
    const layers = groupLayers(nixeryExample(), { E: 10_000, G: 2_000 }, { strategy: 'nixery', budget: 3 });
    expect(names(layers)).toEqual([['G'], ['E'], ['A', 'B', 'C', 'D', 'F']]);
    expect(layers.map((l) => l.mergeRating)).toEqual([80_000_000n, 50_000_000n, 255_000n]);
  });

  test('a graph read from graphology groups exactly like the same graph as JSON, for both strategies', () => {
    fc.assert(
      fc.property(
        closureCase,
        fc.constantFrom('stable', 'nixery' as const),
        ({ json, popularity }, strategy) => {
          const fromJson = groupLayers(json, popularity, { strategy, budget: 8 });
          const viaGraphology = groupLayers(RuntimeGraph.fromJson(json).toGraphology(), popularity, {
            strategy,
            budget: 8,
          });
          expect(viaGraphology).toEqual(fromJson);
        },
      ),
      { numRuns: 60 },
    );
  });

  test('fromGraphology(toGraphology()) round-trips the JSON contract', () => {
    const json = runtimeGraph({ app: { narSize: 10, references: ['lib'] }, lib: { narSize: 5 } }, ['app']);
    const graph = RuntimeGraph.fromJson(json);
    expect(RuntimeGraph.fromGraphology(graph.toGraphology()).toJson()).toEqual(graph.toJson());
  });

  test('narHash and topLevel are optional; repeated edges of a multigraph count once', () => {
    const graph = new MultiDirectedGraph();
    graph.addNode(storePath('app'), { narSize: 10, closureSize: 15, topLevel: true });
    graph.addNode(storePath('lib'), { narSize: 5, closureSize: 5 });
    graph.addEdge(storePath('app'), storePath('lib'));
    graph.addEdge(storePath('app'), storePath('lib'));
    const read = RuntimeGraph.fromGraphology(graph);
    expect(read.topLevelPaths()).toEqual([storePath('app')]);
    expect(read.pathInfo(read.indexOf(storePath('app')))).toEqual({
      path: storePath('app'),
      narSize: 10,
      closureSize: 15,
      narHash: '',
      references: [storePath('lib')],
    });
  });

  test('an undirected graph is refused', () => {
    const graph = new UndirectedGraph();
    graph.addNode(storePath('a'), { narSize: 1, closureSize: 1 });
    const error = rejection(() => groupLayers(graph as never, {}));
    expect(error.code).toBe('INVALID_SHAPE');
    expect(error.message).toMatch(/must be directed/);
  });

  test('the JSON checks apply: sizes and cycles', () => {
    const badSize = new DirectedGraph();
    badSize.addNode(storePath('a'), { narSize: -1, closureSize: 1, topLevel: true });
    expect(rejection(() => groupLayers(badSize, {}))).toMatchObject({
      code: 'BAD_NUMBER',
      path: storePath('a'),
    });

    const noSize = new DirectedGraph();
    noSize.addNode(storePath('a'), { topLevel: true });
    expect(rejection(() => groupLayers(noSize, {})).code).toBe('BAD_NUMBER');

    const cyclic = new DirectedGraph();
    for (const name of ['a', 'b']) cyclic.addNode(storePath(name), { narSize: 1, closureSize: 2 });
    cyclic.addEdge(storePath('a'), storePath('b'));
    cyclic.addEdge(storePath('b'), storePath('a'));
    expect(rejection(() => groupLayers(cyclic, {})).code).toBe('CYCLE');
  });
});
