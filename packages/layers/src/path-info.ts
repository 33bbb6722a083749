import { LayersError } from './errors.js';
import type { PathInfo, RuntimeGraphJson } from './runtime-graph.js';

/**
 * `nix path-info --json --recursive --closure-size` output: Nix 2.8 prints an array of
 * `{path, narHash, narSize, closureSize, references, …}`; Nix 2.19 and later print an object keyed
 * by store path whose values lack `path`.
 */
export type PathInfoInput = readonly Record<string, unknown>[] | Readonly<Record<string, unknown>>;

/**
 * A runtime graph from `nix path-info` output. `topLevel` are the requested paths; when omitted,
 * the paths that nothing else in the closure references are taken as requested. The result is
 * plain JSON: pass it to `RuntimeGraph.fromJson` or `groupLayers`, which validate it.
 */
export function runtimeGraphFromPathInfo(json: unknown, topLevel?: readonly string[]): RuntimeGraphJson {
  const graph = readPathInfoList(json);
  return { graph, exportReferencesGraph: { graph: topLevel ? [...topLevel] : unreferencedPaths(graph) } };
}

/** The path infos of either `nix path-info --json` format, in the order given. */
export function readPathInfoList(json: unknown): PathInfo[] {
  if (Array.isArray(json)) return json.map((entry, i) => readEntry(entry, undefined, i));
  if (json !== null && typeof json === 'object') {
    const entries = Object.entries(json);
    const storeDir = entries.length > 0 ? storeDirOf(entries[0]?.[0] as string) : '';
    return entries.map(([path, entry], i) => readEntry(entry, path, i, storeDir));
  }
  throw new LayersError('INVALID_SHAPE', 'nix path-info output must be a JSON array or object');
}

function readEntry(value: unknown, key: string | undefined, position: number, storeDir = ''): PathInfo {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    // Nix 2.19+ writes `null` for a path that is not valid in the store.
    const where = key ?? `entry ${position}`;
    throw new LayersError('INVALID_SHAPE', `nix path-info: ${where} is not a valid path info`, {
      ...(key ? { path: key } : {}),
    });
  }
  const entry = value as Record<string, unknown>;
  const path = key ?? entry.path;
  if (typeof path !== 'string' || path === '') {
    throw new LayersError('INVALID_SHAPE', `nix path-info: entry ${position} has no "path" string`);
  }
  if (entry.closureSize === undefined) {
    throw new LayersError(
      'BAD_NUMBER',
      `nix path-info: incomplete information for ${path}: no closureSize (run with --closure-size)`,
      {
        path,
      },
    );
  }
  if (!Array.isArray(entry.references) || !entry.references.every((r) => typeof r === 'string')) {
    throw new LayersError('INVALID_SHAPE', `nix path-info: ${path} has no "references" array of strings`, {
      path,
    });
  }
  // Be ready for reference lists of bare base names: resolve them in the keys' store directory.
  const references = entry.references.map((r: string) =>
    storeDir !== '' && !r.includes('/') ? `${storeDir}/${r}` : r,
  );
  // Sizes and hashes are checked by RuntimeGraph.fromJson; only the shape is normalised here.
  return {
    path,
    narSize: entry.narSize as number,
    closureSize: entry.closureSize as number,
    narHash: entry.narHash as string,
    references,
  };
}

function storeDirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

function unreferencedPaths(graph: readonly PathInfo[]): string[] {
  const referenced = new Set<string>();
  for (const { path, references } of graph) {
    if (!Array.isArray(references)) continue;
    for (const r of references) if (r !== path) referenced.add(r);
  }
  return graph.map((p) => p.path).filter((p) => !referenced.has(p));
}
