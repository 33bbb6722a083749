import { type Dominators, immediateDominators } from '../dominators.js';
import type { RuntimeGraph } from '../runtime-graph.js';

/**
 * Dominators of an image graph: the runtime graph's reference rows as they are, plus a synthetic
 * root (node `n`, after every path) with an edge to each of `rootEdges`. Strategies differ only in
 * which paths the root links to.
 */
export function imageDominators(
  graph: RuntimeGraph,
  rootEdges: readonly number[],
): Dominators & { root: number } {
  const n = graph.size;
  const root = n;
  const offsets = new Int32Array(n + 2);
  offsets.set(graph.referenceOffsets);
  const references = graph.referenceTargets.length;
  offsets[n + 1] = references + rootEdges.length;
  const targets = new Int32Array(references + rootEdges.length);
  targets.set(graph.referenceTargets);
  targets.set(rootEdges, references);
  return { ...immediateDominators({ nodeCount: n + 1, offsets, targets }, root), root };
}
