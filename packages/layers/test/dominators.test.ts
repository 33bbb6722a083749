import fc from 'fast-check';
import { DirectedGraph } from 'graphology';
import { describe, expect, test } from 'vitest';
import { graphDominators, immediateDominators } from '../src/index.js';
import { compact, naiveImmediateDominators } from './naive-dominators.js';

/** Immediate dominators as a letter map, for graphs whose nodes are 0 = 'a', 1 = 'b', … */
function lettered(nodeCount: number, edges: string, root = 'a'): Record<string, string> {
  const code = (c: string) => c.charCodeAt(0) - 97;
  const pairs = edges.split(/\s+/).map((e) => [code(e[0] as string), code(e[1] as string)] as const);
  const { idom } = immediateDominators(compact(nodeCount, pairs), code(root));
  const result: Record<string, string> = {};
  idom.forEach((d, v) => {
    if (v !== code(root) && d !== -1) result[String.fromCharCode(97 + v)] = String.fromCharCode(97 + d);
  });
  return result;
}

describe('immediateDominators: textbook graphs', () => {
  test('a diamond: the join is dominated by the fork', () => {
    expect(lettered(4, 'ab ac bd cd')).toEqual({ b: 'a', c: 'a', d: 'a' });
  });

  test('a chain: each node dominates the next', () => {
    expect(lettered(4, 'ab bc cd')).toEqual({ b: 'a', c: 'b', d: 'c' });
  });

  test("Cooper, Harvey and Kennedy's irreducible example (figure 4)", () => {
    // 6 → 5, 6 → 4; 5 → 1; 4 → 2, 4 → 3; 1 → 2; 2 → 1, 2 → 3; 3 → 2. Lettered: f=6 … a=1.
    expect(lettered(6, 'fe fd ea db dc ab ba bc cb', 'f')).toEqual({
      e: 'f',
      d: 'f',
      a: 'f',
      b: 'f',
      c: 'f',
    });
  });

  test('a loop with an exit (the classic control-flow example)', () => {
    // a → b; b → c, b → d; c → e; d → e; e → b (back edge), e → f.
    expect(lettered(6, 'ab bc bd ce de eb ef')).toEqual({ b: 'a', c: 'b', d: 'b', e: 'b', f: 'e' });
  });

  test('unreachable nodes get -1, the root itself', () => {
    const { idom, order } = immediateDominators(
      compact(4, [
        [0, 1],
        [2, 3],
      ]),
      0,
    );
    expect([...idom]).toEqual([0, 0, -1, -1]);
    expect([...order]).toEqual([0, 1]);
  });

  test('a 200 000-node chain needs no recursion', () => {
    const n = 200_000;
    const edges = Array.from({ length: n - 1 }, (_, i) => [i, i + 1] as const);
    const { idom } = immediateDominators(compact(n, edges), 0);
    expect(idom[n - 1]).toBe(n - 2);
    expect(idom[1]).toBe(0);
  });

  test('rejects a root outside the graph', () => {
    expect(() => immediateDominators(compact(2, [[0, 1]]), 5)).toThrow(RangeError);
  });
});

/** A random graph; with `dag`, edges only go from lower to higher numbers. */
const randomGraph = (dag: boolean) =>
  fc.integer({ min: 1, max: 40 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      edges: fc
        .array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: n * 3 })
        .map((pairs) => (dag ? pairs.filter(([a, b]) => a < b) : pairs)),
      root: dag ? fc.constant(0) : fc.nat(n - 1),
    }),
  );

describe('immediateDominators agrees with the definition', () => {
  test('on random DAGs', () => {
    fc.assert(
      fc.property(randomGraph(true), ({ n, edges, root }) => {
        const graph = compact(n, edges);
        expect([...immediateDominators(graph, root).idom]).toEqual([
          ...naiveImmediateDominators(graph, root),
        ]);
      }),
      { numRuns: 300 },
    );
  });

  test('on random graphs with cycles, self loops and repeated edges', () => {
    fc.assert(
      fc.property(randomGraph(false), ({ n, edges, root }) => {
        const graph = compact(n, edges);
        expect([...immediateDominators(graph, root).idom]).toEqual([
          ...naiveImmediateDominators(graph, root),
        ]);
      }),
      { numRuns: 300 },
    );
  });

  test('order lists every reachable node after its immediate dominator', () => {
    fc.assert(
      fc.property(randomGraph(false), ({ n, edges, root }) => {
        const { idom, order } = immediateDominators(compact(n, edges), root);
        const position = new Map([...order].map((v, i) => [v, i]));
        expect(order[0]).toBe(root);
        expect(order.length).toBe([...idom].filter((d) => d !== -1).length);
        for (const v of order) {
          if (v !== root) expect(position.get(idom[v] as number)).toBeLessThan(position.get(v) as number);
        }
      }),
    );
  });
});

describe('graphDominators on a graphology graph', () => {
  test('maps every reachable node to its immediate dominator', () => {
    const graph = new DirectedGraph();
    for (const node of ['root', 'x', 'y', 'z', 'island']) graph.addNode(node);
    graph.addEdge('root', 'x');
    graph.addEdge('root', 'y');
    graph.addEdge('x', 'z');
    graph.addEdge('y', 'z');
    expect(Object.fromEntries(graphDominators(graph, 'root'))).toEqual({ x: 'root', y: 'root', z: 'root' });
    expect(Object.fromEntries(graphDominators(graph, 'x'))).toEqual({ z: 'x' });
  });

  test('rejects an unknown root', () => {
    expect(() => graphDominators(new DirectedGraph(), 'nope')).toThrow(RangeError);
  });
});
