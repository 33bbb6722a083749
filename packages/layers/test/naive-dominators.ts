import type { CompactDigraph } from '../src/index.js';

/**
 * Dominators by definition, for checking the fast algorithm: d dominates v when v cannot be
 * reached from the root once d is removed. The immediate dominator of v is its strict dominator
 * with the most dominators of its own (the closest one). O(n · (n + e)).
 */
export function naiveImmediateDominators(graph: CompactDigraph, root: number): Int32Array {
  const n = graph.nodeCount;
  const reachableWithout = (removed: number): Uint8Array => {
    const seen = new Uint8Array(n);
    if (removed === root) return seen;
    const stack = [root];
    seen[root] = 1;
    while (stack.length > 0) {
      const v = stack.pop() as number;
      for (let e = graph.offsets[v] as number; e < (graph.offsets[v + 1] as number); e++) {
        const w = graph.targets[e] as number;
        if (w !== removed && seen[w] === 0) {
          seen[w] = 1;
          stack.push(w);
        }
      }
    }
    return seen;
  };
  const reachable = reachableWithout(-1);
  // dominators[v] = every d that dominates v (v itself included).
  const dominators: number[][] = Array.from({ length: n }, (_, v) => (reachable[v] ? [v] : []));
  for (let d = 0; d < n; d++) {
    if (!reachable[d]) continue;
    const without = reachableWithout(d);
    for (let v = 0; v < n; v++) if (v !== d && reachable[v] && !without[v]) dominators[v]?.push(d);
  }
  const idom = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    if (!reachable[v]) continue;
    if (v === root) {
      idom[v] = root;
      continue;
    }
    let best = -1;
    for (const d of dominators[v] ?? []) {
      if (d === v) continue;
      if (best === -1 || (dominators[d]?.length ?? 0) > (dominators[best]?.length ?? 0)) best = d;
    }
    idom[v] = best;
  }
  return idom;
}

/** Compressed rows from an edge list. */
export function compact(nodeCount: number, edges: readonly (readonly [number, number])[]): CompactDigraph {
  const rows: number[][] = Array.from({ length: nodeCount }, () => []);
  for (const [from, to] of edges) rows[from]?.push(to);
  const offsets = new Int32Array(nodeCount + 1);
  const targets: number[] = [];
  rows.forEach((row, v) => {
    offsets[v] = targets.length;
    targets.push(...row);
  });
  offsets[nodeCount] = targets.length;
  return { nodeCount, offsets, targets: Int32Array.from(targets) };
}
