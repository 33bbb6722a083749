import { sha256Hex } from '@nixery/digest';

/** One image layer: the store paths it holds, in manifest order (see `groupLayers`). */
export interface Layer {
  /** Store paths, sorted by UTF-16 code unit (byte-wise for store paths, which are ASCII). */
  paths: string[];
  /** Popularity × size rating that ordered and merged the layers; exact, may pass 2^53. */
  mergeRating: bigint;
  /** Sum of the members' NAR sizes: roughly the layer's uncompressed size. */
  narSize: number;
  /** Content key: sha256 hex of the sorted paths joined by "\n". Equal path sets, equal keys. */
  key: string;
  /** Why these paths form this layer, as the strategy decided it (not part of the JSON output). */
  reason?: LayerReason;
}

/**
 * Why a layer holds what it holds:
 * - `every-path`: the image has no more store paths than the budget, so each has a layer;
 * - `largest`: one of the image's largest paths (`rank` 1 is the largest), alone in its layer;
 * - `owner`: `head` and the paths it dominates (only reachable through it); when `head` has a
 *   layer of its own (stable), these are its private dependencies, beside it;
 * - `merged`: more groups than the budget allows; the lowest-rated ones (their `heads`) merged.
 */
export type LayerReason =
  | { kind: 'every-path' }
  | { kind: 'largest'; rank: number }
  | { kind: 'owner'; head: string }
  | { kind: 'merged'; heads: string[] };

/** Plain code-unit order, never locale order: the same everywhere. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The content key of a set of store paths (sha256 hex of the sorted paths joined by "\n"). */
export function layerKey(sortedPaths: readonly string[]): string {
  return sha256Hex(sortedPaths.join('\n'));
}

/** A layer from its members in any order. */
export function makeLayer(
  paths: readonly string[],
  mergeRating: bigint,
  narSize: number,
  reason?: LayerReason,
): Layer {
  // The default sort compares UTF-16 code units, the same order as compareStrings, but faster.
  const sorted = [...paths].sort();
  const layer: Layer = { paths: sorted, mergeRating, narSize, key: layerKey(sorted) };
  if (reason) layer.reason = reason;
  return layer;
}
