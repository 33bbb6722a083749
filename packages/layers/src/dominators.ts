import type { AbstractGraph } from 'graphology-types';

/** A directed graph in compressed rows: the successors of `v` are `targets[offsets[v] .. offsets[v + 1]]`. */
export interface CompactDigraph {
  nodeCount: number;
  offsets: Int32Array;
  targets: Int32Array;
}

export interface Dominators {
  /** Immediate dominator of each node; the root's is itself, an unreachable node's is -1. */
  idom: Int32Array;
  /** The reachable nodes in reverse postorder (root first): every node comes after its dominators. */
  order: Int32Array;
}

/**
 * Immediate dominators by the iterative algorithm of Cooper, Harvey and Kennedy ("A Simple, Fast
 * Dominance Algorithm", 2001). Nodes are visited in reverse postorder, so on a DAG one pass
 * settles every node and a second confirms it; the depth-first search keeps its own stack, so
 * deep chains cannot overflow the call stack.
 */
export function immediateDominators(graph: CompactDigraph, root: number): Dominators {
  const { nodeCount, offsets, targets } = graph;
  if (!Number.isInteger(root) || root < 0 || root >= nodeCount) {
    throw new RangeError(`root ${root} is not a node of a graph of ${nodeCount} nodes`);
  }
  const { postNumber, postOrder } = depthFirstPostorder(graph, root);
  const reachable = postOrder.length;
  const order = postOrder.reverse();
  const predecessors = reachablePredecessors(nodeCount, offsets, targets, postNumber);

  const idom = new Int32Array(nodeCount).fill(-1);
  idom[root] = root;
  const intersect = (a: number, b: number): number => {
    // Walk both fingers up the partial tree; a dominator always has the higher postorder number.
    while (a !== b) {
      while ((postNumber[a] as number) < (postNumber[b] as number)) a = idom[a] as number;
      while ((postNumber[b] as number) < (postNumber[a] as number)) b = idom[b] as number;
    }
    return a;
  };

  let changed = true;
  while (changed) {
    changed = false;
    for (let k = 1; k < reachable; k++) {
      const v = order[k] as number;
      let candidate = -1;
      for (let e = predecessors.offsets[v] as number; e < (predecessors.offsets[v + 1] as number); e++) {
        const p = predecessors.targets[e] as number;
        if (idom[p] === -1) continue; // not processed yet in this pass
        candidate = candidate === -1 ? p : intersect(p, candidate);
      }
      if (idom[v] !== candidate) {
        idom[v] = candidate;
        changed = true;
      }
    }
  }
  return { idom, order };
}

/** Postorder numbers (-1 when unreachable) and the postorder itself, by an explicit-stack DFS. */
function depthFirstPostorder(
  { nodeCount, offsets, targets }: CompactDigraph,
  root: number,
): { postNumber: Int32Array; postOrder: Int32Array } {
  const postNumber = new Int32Array(nodeCount).fill(-1);
  const visited = new Uint8Array(nodeCount);
  const stackNode = new Int32Array(nodeCount);
  const stackEdge = new Int32Array(nodeCount);
  const postOrder: number[] = [];
  let depth = 0;
  stackNode[0] = root;
  stackEdge[0] = offsets[root] as number;
  visited[root] = 1;
  depth = 1;
  while (depth > 0) {
    const top = depth - 1;
    const v = stackNode[top] as number;
    const e = stackEdge[top] as number;
    if (e < (offsets[v + 1] as number)) {
      stackEdge[top] = e + 1;
      const w = targets[e] as number;
      if (visited[w] === 0) {
        visited[w] = 1;
        stackNode[depth] = w;
        stackEdge[depth] = offsets[w] as number;
        depth++;
      }
    } else {
      postNumber[v] = postOrder.length;
      postOrder.push(v);
      depth--;
    }
  }
  return { postNumber, postOrder: Int32Array.from(postOrder) };
}

/** Predecessor rows, keeping only edges whose source is reachable from the root. */
function reachablePredecessors(
  nodeCount: number,
  offsets: Int32Array,
  targets: Int32Array,
  postNumber: Int32Array,
): { offsets: Int32Array; targets: Int32Array } {
  const counts = new Int32Array(nodeCount + 1);
  for (let v = 0; v < nodeCount; v++) {
    if (postNumber[v] === -1) continue;
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
      const w = targets[e] as number;
      counts[w + 1] = (counts[w + 1] as number) + 1;
    }
  }
  for (let v = 0; v < nodeCount; v++) counts[v + 1] = (counts[v + 1] as number) + (counts[v] as number);
  const fill = counts.slice(0, nodeCount);
  const sources = new Int32Array(counts[nodeCount] as number);
  for (let v = 0; v < nodeCount; v++) {
    if (postNumber[v] === -1) continue;
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
      const w = targets[e] as number;
      const slot = fill[w] as number;
      sources[slot] = v;
      fill[w] = slot + 1;
    }
  }
  return { offsets: counts, targets: sources };
}

/**
 * Immediate dominators of a graphology graph (which has no dominator algorithm of its own): a map
 * from every node reachable from `root`, root excluded, to its immediate dominator.
 */
export function graphDominators(graph: AbstractGraph, root: string): Map<string, string> {
  const nodes = graph.nodes();
  const index = new Map<string, number>(nodes.map((node, i) => [node, i]));
  const rootIndex = index.get(root);
  if (rootIndex === undefined) throw new RangeError(`root ${root} is not a node of the graph`);
  const offsets = new Int32Array(nodes.length + 1);
  const targets: number[] = [];
  nodes.forEach((node, i) => {
    offsets[i] = targets.length;
    for (const next of graph.outNeighbors(node)) targets.push(index.get(next) as number);
  });
  offsets[nodes.length] = targets.length;
  const { idom, order } = immediateDominators(
    { nodeCount: nodes.length, offsets, targets: Int32Array.from(targets) },
    rootIndex,
  );
  const result = new Map<string, string>();
  for (const v of order) {
    if (v !== rootIndex) result.set(nodes[v] as string, nodes[idom[v] as number] as string);
  }
  return result;
}
