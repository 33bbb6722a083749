import { LayersError } from './errors.js';

/**
 * Throws a `CYCLE` error naming one cycle when the graph (compressed rows, no self edges) is not
 * acyclic. Kahn's algorithm: peel off nodes nobody points at; whatever is left sits on or below a
 * cycle.
 */
export function checkAcyclic(
  count: number,
  offsets: Int32Array,
  targets: Int32Array,
  nameOf: (i: number) => string,
): void {
  const inDegree = new Int32Array(count);
  for (const w of targets) inDegree[w] = (inDegree[w] as number) + 1;
  const queue = new Int32Array(count);
  let tail = 0;
  for (let i = 0; i < count; i++) if (inDegree[i] === 0) queue[tail++] = i;
  for (let head = 0; head < tail; head++) {
    const v = queue[head] as number;
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
      const w = targets[e] as number;
      const remaining = (inDegree[w] as number) - 1;
      inDegree[w] = remaining;
      if (remaining === 0) queue[tail++] = w;
    }
  }
  if (tail === count) return;

  const cycle = findCycle(count, offsets, targets, inDegree).map(nameOf);
  throw new LayersError(
    'CYCLE',
    `runtime graph has a reference cycle: ${[...cycle, cycle[0]].join(' -> ')}`,
    {
      path: cycle[0] as string,
      cycle,
    },
  );
}

/**
 * Every node Kahn's algorithm left behind has a predecessor that was also left behind, so walking
 * backwards from one of them must come round to a node already visited: that loop is a cycle.
 */
function findCycle(count: number, offsets: Int32Array, targets: Int32Array, inDegree: Int32Array): number[] {
  const leftOver = (i: number) => (inDegree[i] as number) > 0;
  const predecessor = new Int32Array(count).fill(-1);
  for (let v = 0; v < count; v++) {
    if (!leftOver(v)) continue;
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
      const w = targets[e] as number;
      if (leftOver(w) && predecessor[w] === -1) predecessor[w] = v;
    }
  }
  let start = 0;
  while (!leftOver(start)) start++;
  const visitedAt = new Map<number, number>();
  const walk: number[] = [];
  let v = start;
  while (!visitedAt.has(v)) {
    visitedAt.set(v, walk.length);
    walk.push(v);
    v = predecessor[v] as number;
  }
  // The walk went against the edges; reverse the loop to list it in reference order.
  return walk.slice(visitedAt.get(v)).reverse();
}
