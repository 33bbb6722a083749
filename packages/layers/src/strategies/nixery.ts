import { compareStrings, type Layer, type LayerReason, makeLayer } from '../layer.js';
import type { ResolvedGroupingOptions } from '../options.js';
import type { Popularity } from '../popularity.js';
import type { RuntimeGraph } from '../runtime-graph.js';
import { storePathName } from '../store-path.js';
import { imageDominators } from './image-dominators.js';
import { pathPopularity as popularityOfName } from './path-popularity.js';
import type { GroupingStrategy } from './strategy.js';

/** The grouping options the dominator tree depends on. */
export type DominatorTreeOptions = Pick<
  ResolvedGroupingOptions,
  'popularityThreshold' | 'bigClosureThreshold'
>;

/** One store path in the image's dominator tree. */
export interface DominatorTreeNode {
  path: string;
  /** Store path name without the hash: the popularity key. */
  name: string;
  /** Immediate dominator; null when it is the image root, i.e. this path heads a candidate layer. */
  parent: string | null;
  popularity: number;
  closureSize: number;
  narSize: number;
  /** Requested by the image. */
  topLevel: boolean;
  /** Given an edge from the image root for being big or popular. */
  bigOrPopular: boolean;
}

/** The dominator tree Nixery's grouping harvests: the paths reachable from the image root, sorted by path. */
export interface ImageDominatorTree {
  nodes: DominatorTreeNode[];
}

/** Everything the Nixery grouping derives from the graph, indexed by path number. */
interface Analysis {
  names: string[];
  popularity: Float64Array;
  bigOrPopular: Uint8Array;
  /** Immediate dominators over paths 0..n-1 plus the synthetic image root n. */
  idom: Int32Array;
  /** Reachable nodes, dominators before the nodes they dominate. */
  order: Int32Array;
  root: number;
}

function analyse(graph: RuntimeGraph, popularity: Popularity, options: DominatorTreeOptions): Analysis {
  const n = graph.size;
  const root = n;
  const names: string[] = new Array(n);
  const pathPopularity = new Float64Array(n);
  const bigOrPopular = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const name = storePathName(graph.paths[i] as string);
    names[i] = name;
    const p = popularityOfName(popularity, name);
    pathPopularity[i] = p;
    if ((graph.closureSizes[i] as number) > options.bigClosureThreshold || p >= options.popularityThreshold) {
      bigOrPopular[i] = 1;
    }
  }

  // The image root's edges: every requested path, then every big or popular one, each once.
  const rootEdges: number[] = [];
  const linked = new Uint8Array(n);
  for (const i of graph.topLevel) {
    linked[i] = 1;
    rootEdges.push(i);
  }
  for (let i = 0; i < n; i++) if (bigOrPopular[i] === 1 && linked[i] === 0) rootEdges.push(i);

  const { idom, order } = imageDominators(graph, rootEdges);
  return { names, popularity: pathPopularity, bigOrPopular, idom, order, root };
}

/** The dominator tree of the image graph (root → requested and big-or-popular paths, path → references). */
export function imageDominatorTree(
  graph: RuntimeGraph,
  popularity: Popularity,
  options: DominatorTreeOptions,
): ImageDominatorTree {
  const a = analyse(graph, popularity, options);
  const topLevel = new Set(graph.topLevel);
  const nodes: DominatorTreeNode[] = [];
  for (const v of a.order) {
    if (v === a.root) continue;
    const parent = a.idom[v] as number;
    nodes.push({
      path: graph.paths[v] as string,
      name: a.names[v] as string,
      parent: parent === a.root ? null : (graph.paths[parent] as string),
      popularity: a.popularity[v] as number,
      closureSize: graph.closureSizes[v] as number,
      narSize: graph.narSizes[v] as number,
      topLevel: topLevel.has(v),
      bigOrPopular: a.bigOrPopular[v] === 1,
    });
  }
  nodes.sort((x, y) => compareStrings(x.path, y.path));
  return { nodes };
}

/** A candidate layer: a child of the image root and everything it dominates. */
interface Candidate {
  headName: string;
  headPath: string;
  members: number[];
  rating: bigint;
  narSize: number;
  /** Set on the budget's merged layer only. */
  mergedHeads?: string[];
}

/** Highest rating first; equal ratings by head name, then head path, so input order never matters. */
function byRank(a: Candidate, b: Candidate): number {
  if (a.rating !== b.rating) return a.rating > b.rating ? -1 : 1;
  return compareStrings(a.headName, b.headName) || compareStrings(a.headPath, b.headPath);
}

/** Running sums of a candidate; the closure sum is exact (`closureCarry` + `closure`) at any size. */
interface CandidateSums {
  members: number[];
  closureCarry: bigint;
  closure: number;
  narSize: number;
}

/** Adds in plain numbers while they stay exact, carrying into a bigint only when they would not. */
function addClosure(sums: CandidateSums, size: number): void {
  if (sums.closure + size > Number.MAX_SAFE_INTEGER) {
    sums.closureCarry += BigInt(sums.closure);
    sums.closure = 0;
  }
  sums.closure += size;
}

function harvestCandidates(graph: RuntimeGraph, a: Analysis): Candidate[] {
  const head = new Int32Array(graph.size + 1).fill(-1);
  const byHead = new Map<number, CandidateSums>();
  // Dominators come first in `order`, so each node's head is known when the node is reached.
  for (const v of a.order) {
    if (v === a.root) continue;
    const parent = a.idom[v] as number;
    const h = parent === a.root ? v : (head[parent] as number);
    head[v] = h;
    let group = byHead.get(h);
    if (!group) {
      group = { members: [], closureCarry: 0n, closure: 0, narSize: 0 };
      byHead.set(h, group);
    }
    group.members.push(v);
    addClosure(group, graph.closureSizes[v] as number);
    group.narSize += graph.narSizes[v] as number;
  }
  const candidates: Candidate[] = [];
  for (const [h, group] of byHead) {
    candidates.push({
      headName: a.names[h] as string,
      headPath: graph.paths[h] as string,
      members: group.members,
      rating: BigInt(a.popularity[h] as number) * (group.closureCarry + BigInt(group.closure)),
      narSize: group.narSize,
    });
  }
  return candidates;
}

/** Keeps the `budget - 1` best candidates and merges all the others into one (Nixery's merge loop). */
function fitBudget(ranked: Candidate[], budget: number): Candidate[] {
  if (ranked.length <= budget) return ranked;
  const kept = ranked.slice(0, budget - 1);
  const rest = ranked.slice(budget - 1);
  const first = rest[0] as Candidate;
  const merged: Candidate = {
    headName: first.headName,
    headPath: first.headPath,
    members: rest.flatMap((c) => c.members),
    rating: rest.reduce((sum, c) => sum + c.rating, 0n),
    narSize: rest.reduce((sum, c) => sum + c.narSize, 0),
    mergedHeads: rest.map((c) => c.headPath),
  };
  return [...kept, merged].sort(byRank);
}

/**
 * Nixery's grouping: the children of the image root in the dominator tree are the candidate
 * layers, rated popularity(head) × sum of member closure sizes; the lowest-rated beyond the
 * budget merge into one layer; layers come highest rating first.
 */
export const nixeryStrategy: GroupingStrategy = {
  name: 'nixery',
  group(graph, popularity, options): Layer[] {
    const analysis = analyse(graph, popularity, options);
    const ranked = harvestCandidates(graph, analysis).sort(byRank);
    return fitBudget(ranked, options.budget).map((c) =>
      makeLayer(
        c.members.map((i) => graph.paths[i] as string),
        c.rating,
        c.narSize,
        candidateReason(c),
      ),
    );
  },
};

function candidateReason(c: Candidate): LayerReason {
  return c.mergedHeads ? { kind: 'merged', heads: c.mergedHeads } : { kind: 'owner', head: c.headPath };
}
