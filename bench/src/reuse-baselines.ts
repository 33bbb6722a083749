// Groupings the benchmark compares @nixery/layers' strategies with: one layer per image, nixpkgs'
// popularity_contest (streamLayeredImage) and one layer per store path (the unreachable ideal).
import { createHash } from 'node:crypto';
import type { PathInfo, RuntimeGraphJson } from '@nixery/layers';

/** What the benchmark needs of a layer: its identity, its byte size (NAR size) and its paths. */
export interface LayerSummary {
  key: string;
  narSize: number;
  paths: readonly string[];
}

/** sha256 of the sorted paths joined by "\n", the same identity @nixery/layers gives layers. */
export function keyOf(paths: readonly string[]): string {
  return createHash('sha256')
    .update([...paths].sort().join('\n'))
    .digest('hex');
}

function layerOf(members: readonly PathInfo[]): LayerSummary {
  const paths = members.map((p) => p.path);
  return { key: keyOf(paths), narSize: members.reduce((sum, p) => sum + p.narSize, 0), paths };
}

/** The whole closure as one layer: what a plain `dockerTools.buildImage` gives. */
export function oneLayerPerImage(graph: RuntimeGraphJson): LayerSummary[] {
  return [layerOf(graph.graph)];
}

/** Every store path its own layer: the best reuse possible, but past Docker's 125 layers for big closures. */
export function oneLayerPerPath(graph: RuntimeGraphJson): LayerSummary[] {
  return graph.graph.map((p) => layerOf([p]));
}

/**
 * nixpkgs' popularity_contest, as streamLayeredImage uses it: a path's popularity is the number
 * of paths of the image whose closure contains it (itself included); the `budget - 1` most
 * popular paths get a layer each (ties by path) and all the others share the last layer.
 */
export function popularityContest(graph: RuntimeGraphJson, budget: number): LayerSummary[] {
  const paths = graph.graph;
  const index = new Map(paths.map((p, i) => [p.path, i]));
  // A closure is closed under references, so every reference has an index.
  const refs = paths.map((p) => p.references.map((r) => index.get(r) as number));
  const counts = new Int32Array(paths.length);
  const stamp = new Int32Array(paths.length).fill(-1);
  for (let i = 0; i < paths.length; i++) {
    const stack = [i];
    while (stack.length > 0) {
      const v = stack.pop() as number;
      if (stamp[v] === i) continue;
      stamp[v] = i;
      counts[v] = (counts[v] as number) + 1;
      for (const r of refs[v] as number[]) if (stamp[r] !== i) stack.push(r);
    }
  }
  const ranked = paths
    .map((p, i) => ({ p, count: counts[i] as number }))
    .sort((a, b) => b.count - a.count || (a.p.path < b.p.path ? -1 : a.p.path > b.p.path ? 1 : 0));
  if (ranked.length <= budget) return ranked.map(({ p }) => layerOf([p]));
  const own = ranked.slice(0, budget - 1).map(({ p }) => layerOf([p]));
  return [...own, layerOf(ranked.slice(budget - 1).map(({ p }) => p))];
}
