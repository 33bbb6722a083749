import { compareStrings, type Layer, type LayerReason, makeLayer } from '../layer.js';
import type { RuntimeGraph } from '../runtime-graph.js';
import { storePathName } from '../store-path.js';
import { imageDominators } from './image-dominators.js';
import { pathPopularities } from './path-popularity.js';
import type { GroupingStrategy } from './strategy.js';

/**
 * Layers that keep the same identity from one image to the next, so a client that pulled one
 * image re-downloads little of the next (see the README's "Strategies").
 *
 * 1. Paths are ranked by NAR size, largest first. When the image has no more paths than the
 *    budget, every path is a layer of its own. Otherwise the `budget - slots` largest ones
 *    (`slots` is `options.groupSlots`, at most half the budget) are layers of their own: a one-path layer has the
 *    same key in every image that holds the path, and the largest paths are nearly all the bytes.
 * 2. The remaining (small) paths are grouped by owner: the dominator tree is computed from an
 *    image root pointing at the requested paths, the unreferenced paths and the one-path layers,
 *    and every small path joins the group of the root child that dominates it (for a one-path
 *    layer's private dependencies, a group of their own next to it). A package's private helpers
 *    therefore travel together in every image that contains the package.
 * 3. When there are more groups than slots, the best-rated groups (popularity of the head ×
 *    bytes) stay and the rest merge into one layer.
 * Layers come highest rating first (popularity × NAR bytes), ties by head name and path.
 */
export const stableStrategy: GroupingStrategy = {
  name: 'stable',
  group(graph, popularity, options): Layer[] {
    const n = graph.size;
    const names = Array.from(graph.paths, storePathName);
    const pathPopularity = pathPopularities(names, popularity);
    const budget = options.budget;

    const bySize = Array.from({ length: n }, (_, i) => i);
    bySize.sort(
      (a, b) =>
        (graph.narSizes[b] as number) - (graph.narSizes[a] as number) ||
        compareStrings(names[a] as string, names[b] as string) ||
        compareStrings(graph.paths[a] as string, graph.paths[b] as string),
    );
    const singleCount = n <= budget ? n : budget - groupSlotsFor(budget, options.groupSlots);
    const single = new Uint8Array(n);
    for (let k = 0; k < singleCount; k++) single[bySize[k] as number] = 1;

    const units: Unit[] = [];
    for (let k = 0; k < singleCount; k++) {
      const i = bySize[k] as number;
      const reason: LayerReason =
        singleCount === n ? { kind: 'every-path' } : { kind: 'largest', rank: k + 1 };
      units.push({ ...unit(i, [i], graph, names, pathPopularity), reason });
    }
    if (singleCount < n) {
      const groups = ownerGroups(graph, single).map((g) => ({
        ...unit(g.head, g.members, graph, names, pathPopularity),
        reason: { kind: 'owner', head: graph.paths[g.head] as string } as LayerReason,
      }));
      groups.sort(byRank);
      units.push(...fitSlots(groups, budget - singleCount));
    }
    units.sort(byRank);
    return units.map((u) =>
      makeLayer(
        u.members.map((i) => graph.paths[i] as string),
        u.rating,
        u.narSize,
        u.reason,
      ),
    );
  },
};

/** Layers left for groups: `groupSlots`, but never more than half the budget (rounded up). */
export function groupSlotsFor(budget: number, groupSlots: number): number {
  return Math.min(groupSlots, Math.ceil(budget / 2));
}

/** A layer in the making. */
interface Unit {
  headName: string;
  headPath: string;
  members: number[];
  rating: bigint;
  narSize: number;
  reason?: LayerReason;
}

function unit(
  head: number,
  members: number[],
  graph: RuntimeGraph,
  names: readonly string[],
  pathPopularity: Float64Array,
): Unit {
  let narSize = 0;
  for (const i of members) narSize += graph.narSizes[i] as number;
  return {
    headName: names[head] as string,
    headPath: graph.paths[head] as string,
    members,
    rating: BigInt(pathPopularity[head] as number) * BigInt(narSize),
    narSize,
  };
}

/** Highest rating first; equal ratings by head name, then head path. */
function byRank(a: Unit, b: Unit): number {
  if (a.rating !== b.rating) return a.rating > b.rating ? -1 : 1;
  return compareStrings(a.headName, b.headName) || compareStrings(a.headPath, b.headPath);
}

/**
 * Groups the paths that are not layers of their own by the root child dominating them, with the
 * image root pointing at the requested paths, the paths nothing references and the one-path
 * layers. Paths dominated by a one-path layer form that layer's own group of dependencies.
 */
function ownerGroups(graph: RuntimeGraph, single: Uint8Array): { head: number; members: number[] }[] {
  const n = graph.size;
  const root = n;
  const referenced = new Uint8Array(n);
  for (const t of graph.referenceTargets) referenced[t] = 1;
  const linked = new Uint8Array(n);
  const rootEdges: number[] = [];
  for (const i of graph.topLevel) {
    linked[i] = 1;
    rootEdges.push(i);
  }
  for (let i = 0; i < n; i++) {
    if (linked[i] === 0 && (single[i] === 1 || referenced[i] === 0)) rootEdges.push(i);
  }
  const { idom, order } = imageDominators(graph, rootEdges);

  // head[v]: the node whose group v joins (a one-path layer's dependencies are grouped under it).
  const head = new Int32Array(n).fill(-1);
  const groups = new Map<number, number[]>();
  for (const v of order) {
    if (v === root) continue;
    const parent = idom[v] as number;
    const h = parent === root ? v : single[parent] === 1 ? parent : (head[parent] as number);
    head[v] = h;
    if (single[v] === 1) continue;
    let members = groups.get(h);
    if (!members) {
      members = [];
      groups.set(h, members);
    }
    members.push(v);
  }
  return Array.from(groups, ([h, members]) => ({ head: h, members }));
}

/** Keeps the `slots - 1` best groups and merges the others into one, when there are too many. */
function fitSlots(ranked: Unit[], slots: number): Unit[] {
  if (ranked.length <= slots) return ranked;
  if (slots <= 0) throw new RangeError('no layer slot left for grouped paths');
  const kept = ranked.slice(0, slots - 1);
  const rest = ranked.slice(slots - 1);
  const first = rest[0] as Unit;
  return [
    ...kept,
    {
      headName: first.headName,
      headPath: first.headPath,
      members: rest.flatMap((u) => u.members),
      rating: rest.reduce((sum, u) => sum + u.rating, 0n),
      narSize: rest.reduce((sum, u) => sum + u.narSize, 0),
      reason: { kind: 'merged', heads: rest.map((u) => u.headPath) },
    },
  ];
}
