import { type Layer, type LayerReason, type RuntimeGraphJson, storePathName } from '@nixery/layers';

/**
 * The explorer's view of one image (the JSON of `GET /api/images/<name>` and of the page
 * `nixery layers --format html` writes): its layers in manifest order, each with its store paths
 * and why they are together. Sizes are bytes: `compressedSize` is the layer blob as the manifest
 * lists it (null when nothing was written, as in the CLI), `narSize` the store paths' NAR sizes
 * (their uncompressed contents).
 */
export interface ImageReport {
  name: string;
  tag: string;
  arch: 'amd64' | 'arm64' | 'riscv64';
  /** The requested packages as the registry resolved them (sorted, cacert and iana-etc added). */
  packages: string[];
  grouping: { strategy: string; budget: number };
  /** The built image; null when only planned (the CLI builds no layers). */
  manifests: { docker: { digest: string; size: number }; oci: { digest: string; size: number } } | null;
  config: { digest: string; size: number } | null;
  totals: { layers: number; paths: number; narSize: number; compressedSize: number | null };
  layers: LayerReport[];
}

export interface LayerReport {
  /** 1 is the manifest's first (bottom) layer. */
  index: number;
  kind: 'store-paths' | 'root';
  digest: string | null;
  diffId: string | null;
  compressedSize: number | null;
  narSize: number;
  /** The grouping's content key (the root layer: the builder's key of its forest). */
  key: string | null;
  /** Popularity × size rating, as decimal digits (exact past 2^53); null for the root layer. */
  mergeRating: string | null;
  reason: LayerReasonReport;
  paths: PathReport[];
  /** Other recently built images that hold this layer (filled in by the registry). */
  sharedWith: { name: string; tag: string }[];
}

export type LayerReasonReport = LayerReason | { kind: 'root' } | { kind: 'unknown' };

export interface PathReport {
  path: string;
  /** The store path name without its hash (`git-2.40.1`). */
  name: string;
  narSize: number;
  /** The requested packages whose closure holds this path; `/usr/bin/env` for the env provider alone. */
  pulledInBy: string[];
  requested: boolean;
}

/**
 * What a report is made from: the builder's image plan (stages 1–3; `ImagePlan` fits this
 * shape), the tag and grouping it was made with and, when the image was built, its record.
 */
export interface ReportInput {
  plan: {
    request: { name: string; arch: 'amd64' | 'arm64' | 'riscv64'; packages: string[] };
    /** The requested packages with their output paths, and the coreutils behind `/usr/bin/env`. */
    closure: { packages: readonly { name: string; outPaths: readonly string[] }[]; envPath: string | null };
    /** The graph the layers were grouped from. */
    graph: RuntimeGraphJson;
    /** Store-path layers in manifest order. */
    layers: readonly Layer[];
  };
  tag: string;
  grouping: { strategy: string; budget: number };
  built?: BuiltImage;
}

/** The parts of the builder's image record a report uses. */
export interface BuiltImage {
  manifests: { docker: { digest: string; size: number }; oci: { digest: string; size: number } };
  config: { digest: string; size: number };
  /** In manifest order: one per store-path layer (by `key`), then the root layer. */
  layers: readonly { digest: string; diffId: string; size: number; key: string }[];
}

/** Thrown when a built record and a plan describe different layers (the package set moved on). */
export class ReportMismatchError extends Error {
  override readonly name = 'ReportMismatchError';
}

/** The report of a planned (and maybe built) image. */
export function imageReport(input: ReportInput): ImageReport {
  const { plan, built } = input;
  const info = new Map(plan.graph.graph.map((p) => [p.path, p]));
  const pulledInBy = requestersOf(plan);
  const topLevel = new Set(plan.closure.packages.flatMap((r) => r.outPaths));
  if (built && built.layers.length !== plan.layers.length + 1) {
    throw new ReportMismatchError(
      `the built image has ${built.layers.length} layers, the plan ${plan.layers.length + 1}`,
    );
  }
  const layers: LayerReport[] = plan.layers.map((layer, i) => {
    const blob = built?.layers[i];
    if (blob && blob.key !== layer.key) {
      throw new ReportMismatchError(`layer ${i + 1} of the built image is not the planned one`);
    }
    return {
      index: i + 1,
      kind: 'store-paths',
      digest: blob?.digest ?? null,
      diffId: blob?.diffId ?? null,
      compressedSize: blob?.size ?? null,
      narSize: layer.narSize,
      key: layer.key,
      mergeRating: layer.mergeRating.toString(),
      reason: layer.reason ?? { kind: 'unknown' },
      paths: layer.paths
        .map((path) => ({
          path,
          name: storePathName(path),
          narSize: info.get(path)?.narSize ?? 0,
          pulledInBy: pulledInBy.get(path) ?? [],
          requested: topLevel.has(path),
        }))
        // Largest first: the order the picture and the list show them in.
        .sort((a, b) => b.narSize - a.narSize || (a.path < b.path ? -1 : 1)),
      sharedWith: [],
    };
  });
  if (built) {
    const root = built.layers[built.layers.length - 1]!;
    layers.push({
      index: layers.length + 1,
      kind: 'root',
      digest: root.digest,
      diffId: root.diffId,
      compressedSize: root.size,
      narSize: 0,
      key: root.key,
      mergeRating: null,
      reason: { kind: 'root' },
      paths: [],
      sharedWith: [],
    });
  }
  const narSize = layers.reduce((sum, l) => sum + l.narSize, 0);
  return {
    name: plan.request.name,
    tag: input.tag,
    arch: plan.request.arch,
    packages: plan.request.packages,
    grouping: input.grouping,
    manifests: built
      ? {
          docker: { digest: built.manifests.docker.digest, size: built.manifests.docker.size },
          oci: { digest: built.manifests.oci.digest, size: built.manifests.oci.size },
        }
      : null,
    config: built ? { digest: built.config.digest, size: built.config.size } : null,
    totals: {
      layers: layers.length,
      paths: layers.reduce((sum, l) => sum + l.paths.length, 0),
      narSize,
      compressedSize: built ? layers.reduce((sum, l) => sum + (l.compressedSize ?? 0), 0) : null,
    },
    layers,
  };
}

/** For each store path, the requested packages whose closure holds it (a walk per package). */
function requestersOf(plan: ReportInput['plan']): Map<string, string[]> {
  const references = new Map(plan.graph.graph.map((p) => [p.path, p.references]));
  const result = new Map<string, string[]>();
  const roots: { name: string; outPaths: readonly string[] }[] = [...plan.closure.packages];
  if (plan.closure.envPath !== null) roots.push({ name: '/usr/bin/env', outPaths: [plan.closure.envPath] });
  for (const { name, outPaths } of roots) {
    const seen = new Set<string>();
    const stack = outPaths.filter((p) => references.has(p));
    while (stack.length > 0) {
      const path = stack.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      for (const next of references.get(path) ?? []) if (!seen.has(next)) stack.push(next);
    }
    for (const path of seen) {
      const list = result.get(path) ?? [];
      // The env provider is named only when no requested package pulls it in.
      if (name === '/usr/bin/env' && list.length > 0) continue;
      list.push(name);
      result.set(path, list);
    }
  }
  return result;
}
