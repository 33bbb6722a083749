// Random closures for property tests of every grouping strategy.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { PathInfo, RuntimeGraphJson } from '../src/index.js';

const NAMES = [
  'glibc-2.37',
  'zlib-1.3',
  'nss-cacert-3.90',
  'iana-etc-2023',
  'openssl-3.0',
  'bash-5.2',
  'hello-2.12',
];
const hashOf = (i: number) => createHash('sha256').update(String(i)).digest('hex').slice(0, 32);

export interface Case {
  json: RuntimeGraphJson;
  popularity: Record<string, number>;
  budget: number;
}

/** A random closure: references only point to higher-numbered paths, so it is a DAG. */
export const closureCase: fc.Arbitrary<Case> = fc.integer({ min: 1, max: 45 }).chain((n) =>
  fc
    .record({
      nodes: fc.array(
        fc.record({
          name: fc.constantFrom(...NAMES),
          narSize: fc.integer({ min: 0, max: 5_000_000 }),
          // Repeated small sizes make equal ratings, which only the tie-break can order.
          closureSize: fc.oneof(
            fc.constantFrom(0, 1000),
            fc.integer({ min: 0, max: 99_000_000 }),
            fc.integer({ min: 99_000_000, max: 2 ** 40 }),
          ),
          references: fc.array(fc.nat(n - 1), { maxLength: 6 }),
          selfReference: fc.boolean(),
        }),
        { minLength: n, maxLength: n },
      ),
      requested: fc.uniqueArray(fc.nat(n - 1), { minLength: 1, maxLength: Math.min(n, 5) }),
      popularity: fc.dictionary(fc.constantFrom(...NAMES), fc.integer({ min: 0, max: 300 })),
      budget: fc.integer({ min: 1, max: 12 }),
    })
    .map(({ nodes, requested, popularity, budget }) => {
      const path = (i: number) => `/nix/store/${hashOf(i)}-${nodes[i]?.name}`;
      const graph: PathInfo[] = nodes.map((node, i) => ({
        path: path(i),
        narSize: node.narSize,
        closureSize: node.closureSize,
        narHash: `sha256-${hashOf(i)}`,
        references: [
          ...node.references.filter((j) => j > i).map(path),
          ...node.references.filter((j) => j > i).map(path), // repeats
          ...(node.selfReference ? [path(i)] : []),
        ],
      }));
      return { json: { graph, exportReferencesGraph: { graph: requested.map(path) } }, popularity, budget };
    }),
);

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const result = [...items];
  let state = seed;
  for (let i = result.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [result[i], result[j]] = [result[j] as T, result[i] as T];
  }
  return result;
}

/** The graph with paths, references and requested paths in another order. */
export function reordered(json: RuntimeGraphJson, seed: number): RuntimeGraphJson {
  return {
    graph: shuffled(json.graph, seed).map((p, i) => ({ ...p, references: shuffled(p.references, seed + i) })),
    exportReferencesGraph: { graph: shuffled(json.exportReferencesGraph.graph, seed + 7) },
  };
}
