import { createHash } from 'node:crypto';
import type { PathInfo, RuntimeGraphJson } from '../src/index.js';

/** A store path with a real-looking 32-character hash derived from the name. */
export function storePath(name: string): string {
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 32);
  return `/nix/store/${hash}-${name}`;
}

export interface NodeSpec {
  narSize: number;
  /** Closure size; computed from the references when omitted. */
  closureSize?: number;
  references?: string[];
}

/**
 * A runtime graph from a name-keyed description. Closure sizes default to the real thing (sum of
 * the NAR sizes of everything reachable, the path included), so tests read like Nix output.
 */
export function runtimeGraph(nodes: Record<string, NodeSpec>, requested: string[]): RuntimeGraphJson {
  const closureOf = (name: string): Set<string> => {
    const seen = new Set<string>();
    const stack = [name];
    while (stack.length > 0) {
      const next = stack.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(nodes[next]?.references ?? []));
    }
    return seen;
  };
  const graph: PathInfo[] = Object.entries(nodes).map(([name, spec]) => ({
    path: storePath(name),
    narSize: spec.narSize,
    closureSize:
      spec.closureSize ?? [...closureOf(name)].reduce((sum, n) => sum + (nodes[n]?.narSize ?? 0), 0),
    narHash: `sha256-${createHash('sha256').update(name).digest('base64')}`,
    references: (spec.references ?? []).map(storePath),
  }));
  return { graph, exportReferencesGraph: { graph: requested.map(storePath) } };
}

/** The layers as sorted name lists, for readable expectations. */
export function names(layers: { paths: string[] }[]): string[][] {
  return layers.map((layer) => layer.paths.map((p) => p.slice(p.indexOf('-') + 1)).sort());
}
