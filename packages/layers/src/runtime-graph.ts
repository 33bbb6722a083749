import { DirectedGraph } from 'graphology';
import type { AbstractGraph } from 'graphology-types';
import { checkAcyclic } from './cycles.js';
import { LayersError } from './errors.js';

/** One store path of a closure, as Nix's `exportReferencesGraph` describes it. */
export interface PathInfo {
  path: string;
  narSize: number;
  closureSize: number;
  narHash: string;
  /** May contain the path itself (self reference) and repeats; both are ignored. */
  references: string[];
}

/** The JSON that Nix writes with structured attrs and `exportReferencesGraph.graph = [ … ]`. */
export interface RuntimeGraphJson {
  /** The whole closure. */
  graph: PathInfo[];
  /** The requested top-level store paths. */
  exportReferencesGraph: { graph: string[] };
}

/**
 * Node attributes of the graphology view of a runtime graph (what `toGraphology()` writes and
 * `fromGraphology()` reads). Node keys are store paths; an edge `a → b` means a references b.
 */
export interface PathAttributes {
  /** Bytes of the path's NAR: what the layer sizes and the `stable` ranking add up. */
  narSize: number;
  /** Bytes of the path and everything it references: what `nixery` ratings add up. */
  closureSize: number;
  /** Carried through to `toJson()`; optional on input (an empty string when missing). */
  narHash: string;
  /** True for the requested paths (what `exportReferencesGraph` lists); optional, false when missing. */
  topLevel: boolean;
}

/** Any graphology graph whose nodes carry (at least) the fields `fromGraphology` reads. */
export type GraphologyRuntimeGraph = AbstractGraph;

/** Duck-typed so a graph built with any copy of graphology is recognised. */
export function isGraphologyGraph(value: unknown): value is GraphologyRuntimeGraph {
  const graph = value as Partial<GraphologyRuntimeGraph> | null;
  return (
    typeof graph === 'object' &&
    graph !== null &&
    typeof graph.forEachNode === 'function' &&
    typeof graph.outNeighbors === 'function' &&
    typeof graph.type === 'string'
  );
}

/**
 * A validated runtime graph. Paths are numbered in input order; the typed arrays are the compact
 * view the grouping runs on (a graphology graph of 100k paths takes seconds to build, the arrays
 * milliseconds). `toGraphology()` gives the same graph as a graphology `DirectedGraph` for
 * exploration and rendering.
 *
 * Invariants: paths are unique, every reference and top-level path is in the graph, references
 * form no cycle, and `references(i)` has no repeats and no self reference.
 */
export class RuntimeGraph {
  /** Number of store paths. */
  readonly size: number;
  readonly paths: readonly string[];
  readonly narHashes: readonly string[];
  readonly narSizes: Float64Array;
  readonly closureSizes: Float64Array;
  /** References of path `i` are `referenceTargets[referenceOffsets[i] .. referenceOffsets[i + 1]]`. */
  readonly referenceOffsets: Int32Array;
  readonly referenceTargets: Int32Array;
  /** Indices of the requested top-level paths, without repeats, in input order. */
  readonly topLevel: Int32Array;
  readonly #index: Map<string, number>;

  private constructor(fields: {
    paths: string[];
    narHashes: string[];
    narSizes: Float64Array;
    closureSizes: Float64Array;
    referenceOffsets: Int32Array;
    referenceTargets: Int32Array;
    topLevel: Int32Array;
    index: Map<string, number>;
  }) {
    this.size = fields.paths.length;
    this.paths = fields.paths;
    this.narHashes = fields.narHashes;
    this.narSizes = fields.narSizes;
    this.closureSizes = fields.closureSizes;
    this.referenceOffsets = fields.referenceOffsets;
    this.referenceTargets = fields.referenceTargets;
    this.topLevel = fields.topLevel;
    this.#index = fields.index;
  }

  /** Parses and validates the text of a runtime graph JSON file. */
  static parse(text: string): RuntimeGraph {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new LayersError('INVALID_JSON', `runtime graph is not valid JSON: ${(error as Error).message}`);
    }
    return RuntimeGraph.fromJson(json);
  }

  /** Validates a parsed runtime graph; throws a `LayersError` naming the first fault found. */
  static fromJson(json: unknown): RuntimeGraph {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new LayersError('INVALID_SHAPE', 'runtime graph must be a JSON object');
    }
    const { graph, exportReferencesGraph } = json as Record<string, unknown>;
    if (!Array.isArray(graph)) {
      throw new LayersError('INVALID_SHAPE', 'runtime graph: "graph" must be an array of path infos');
    }
    const requested = readTopLevel(exportReferencesGraph);

    const count = graph.length;
    const paths: string[] = new Array(count);
    const narHashes: string[] = new Array(count);
    const narSizes = new Float64Array(count);
    const closureSizes = new Float64Array(count);
    const index = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      const entry = readPathInfo(graph[i], i);
      if (index.has(entry.path)) {
        throw new LayersError('DUPLICATE_PATH', `runtime graph lists ${entry.path} twice`, {
          path: entry.path,
        });
      }
      index.set(entry.path, i);
      paths[i] = entry.path;
      narHashes[i] = entry.narHash;
      narSizes[i] = entry.narSize;
      closureSizes[i] = entry.closureSize;
    }

    const { offsets, targets } = resolveReferences(graph as PathInfo[], paths, index);
    checkAcyclic(count, offsets, targets, (i) => paths[i] as string);

    const seenTopLevel = new Set<number>();
    for (const path of requested) {
      const i = index.get(path);
      if (i === undefined) {
        throw new LayersError('UNKNOWN_TOP_LEVEL', `requested path ${path} is not in the runtime graph`, {
          path,
        });
      }
      seenTopLevel.add(i);
    }

    return new RuntimeGraph({
      paths,
      narHashes,
      narSizes,
      closureSizes,
      referenceOffsets: offsets,
      referenceTargets: targets,
      topLevel: Int32Array.from(seenTopLevel),
      index,
    });
  }

  /**
   * Validates a graphology graph as a runtime graph: node keys are store paths, node attributes
   * `narSize` and `closureSize` (non-negative integers), optionally `narHash` and `topLevel`
   * (see {@link PathAttributes}), and each directed edge `a → b` says a references b. The checks and
   * errors are those of `fromJson` (cycles, sizes); undirected edges are refused.
   */
  static fromGraphology(graph: GraphologyRuntimeGraph): RuntimeGraph {
    if (graph.type !== 'directed' || graph.undirectedSize > 0) {
      throw new LayersError(
        'INVALID_SHAPE',
        'runtime graph: a graphology graph must be directed (an edge a → b means a references b)',
      );
    }
    const entries: Record<string, unknown>[] = [];
    const topLevel: string[] = [];
    graph.forEachNode((path, attributes) => {
      const { narSize, closureSize, narHash = '', topLevel: requested = false } = attributes;
      if (requested === true) topLevel.push(path);
      entries.push({ path, narSize, closureSize, narHash, references: graph.outNeighbors(path) });
    });
    return RuntimeGraph.fromJson({ graph: entries, exportReferencesGraph: { graph: topLevel } });
  }

  /** The number of a store path, or -1 when it is not in the graph. */
  indexOf(path: string): number {
    return this.#index.get(path) ?? -1;
  }

  has(path: string): boolean {
    return this.#index.has(path);
  }

  /** The references of path `i`: no repeats, no self reference. */
  references(i: number): Int32Array {
    return this.referenceTargets.subarray(this.referenceOffsets[i], this.referenceOffsets[i + 1]);
  }

  /** The requested top-level paths. */
  topLevelPaths(): string[] {
    return Array.from(this.topLevel, (i) => this.paths[i] as string);
  }

  pathInfo(i: number): PathInfo {
    return {
      path: this.paths[i] as string,
      narSize: this.narSizes[i] as number,
      closureSize: this.closureSizes[i] as number,
      narHash: this.narHashes[i] as string,
      references: Array.from(this.references(i), (j) => this.paths[j] as string),
    };
  }

  /** Back to the JSON contract (references normalised: no repeats, no self references). */
  toJson(): RuntimeGraphJson {
    const graph: PathInfo[] = [];
    for (let i = 0; i < this.size; i++) graph.push(this.pathInfo(i));
    return { graph, exportReferencesGraph: { graph: this.topLevelPaths() } };
  }

  /** The graph as a graphology `DirectedGraph`: one node per path, one edge per reference. */
  toGraphology(): DirectedGraph<PathAttributes> {
    const graph = new DirectedGraph<PathAttributes>({ allowSelfLoops: false });
    const topLevel = new Set(this.topLevel);
    for (let i = 0; i < this.size; i++) {
      graph.addNode(this.paths[i], {
        narSize: this.narSizes[i] as number,
        closureSize: this.closureSizes[i] as number,
        narHash: this.narHashes[i] as string,
        topLevel: topLevel.has(i),
      });
    }
    for (let i = 0; i < this.size; i++) {
      for (const j of this.references(i)) graph.addEdge(this.paths[i], this.paths[j]);
    }
    return graph;
  }
}

/** What `groupLayers` and `buildDominatorTree` accept as a graph. */
export type RuntimeGraphInput = RuntimeGraphJson | RuntimeGraph | GraphologyRuntimeGraph;

/** A validated RuntimeGraph from any accepted input (one already validated is returned as is). */
export function toRuntimeGraph(graph: RuntimeGraphInput): RuntimeGraph {
  if (graph instanceof RuntimeGraph) return graph;
  return isGraphologyGraph(graph) ? RuntimeGraph.fromGraphology(graph) : RuntimeGraph.fromJson(graph);
}

function readTopLevel(value: unknown): string[] {
  const list =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>).graph
      : undefined;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
    throw new LayersError(
      'INVALID_SHAPE',
      'runtime graph: "exportReferencesGraph.graph" must be an array of requested store paths',
    );
  }
  return list;
}

function readPathInfo(value: unknown, position: number): PathInfo {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new LayersError('INVALID_SHAPE', `runtime graph: entry ${position} must be an object`);
  }
  const entry = value as Record<string, unknown>;
  const { path, narHash, references } = entry;
  if (typeof path !== 'string' || path === '') {
    throw new LayersError('INVALID_SHAPE', `runtime graph: entry ${position} has no "path" string`);
  }
  for (const field of ['narSize', 'closureSize'] as const) {
    const n = entry[field];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new LayersError(
        'BAD_NUMBER',
        `runtime graph: ${path} has ${field} ${JSON.stringify(n)}, expected a non-negative integer`,
        { path },
      );
    }
  }
  if (typeof narHash !== 'string') {
    throw new LayersError('INVALID_SHAPE', `runtime graph: ${path} has no "narHash" string`, { path });
  }
  if (!Array.isArray(references) || !references.every((r) => typeof r === 'string')) {
    throw new LayersError('INVALID_SHAPE', `runtime graph: ${path} has no "references" array of strings`, {
      path,
    });
  }
  return entry as unknown as PathInfo;
}

/** Turns reference lists into compressed rows of indices, dropping repeats and self references. */
function resolveReferences(
  graph: readonly PathInfo[],
  paths: readonly string[],
  index: ReadonlyMap<string, number>,
): { offsets: Int32Array; targets: Int32Array } {
  const count = paths.length;
  let total = 0;
  for (const entry of graph) total += entry.references.length;
  const offsets = new Int32Array(count + 1);
  let targets = new Int32Array(total);
  // lastSeenFrom[j] = i + 1 when path i already listed j: a repeat check without a set per path.
  const lastSeenFrom = new Int32Array(count);
  let filled = 0;
  for (let i = 0; i < count; i++) {
    offsets[i] = filled;
    for (const reference of (graph[i] as PathInfo).references) {
      const j = index.get(reference);
      if (j === undefined) {
        const path = paths[i] as string;
        throw new LayersError(
          'MISSING_REFERENCE',
          `${path} references ${reference}, which is not in the runtime graph`,
          {
            path,
          },
        );
      }
      if (j === i || lastSeenFrom[j] === i + 1) continue;
      lastSeenFrom[j] = i + 1;
      targets[filled++] = j;
    }
  }
  offsets[count] = filled;
  if (filled < total) targets = targets.slice(0, filled);
  return { offsets, targets };
}
