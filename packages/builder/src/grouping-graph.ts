import type { RuntimeGraphJson } from '@nixery/nix';

/**
 * The graph an image's layers are grouped from. The root layer links /usr/bin/env into coreutils
 * even when coreutils was not requested, so coreutils must count as a top-level path, or grouping
 * would drop it from the layers (as Nixery's can) and leave the link dangling.
 */
export function imageGroupingGraph(graph: RuntimeGraphJson, envPath: string | null): RuntimeGraphJson {
  const tops = graph.exportReferencesGraph.graph;
  if (envPath === null || tops.includes(envPath)) return graph;
  return { ...graph, exportReferencesGraph: { graph: [...tops, envPath] } };
}
