import type { LayerReport } from '../../src/report.js';

const nameOf = (path: string) => path.replace(/^.*\/[0-9a-z]{32}-/, '');

/** Why a layer holds what it holds, in one sentence. */
export function describeReason(layer: LayerReport): string {
  const reason = layer.reason;
  switch (reason.kind) {
    case 'every-path':
      return 'Its own layer: this image has no more store paths than the layer budget, so every path gets one.';
    case 'largest':
      return `Its own layer: the ${ordinal(reason.rank)} largest store path of the image, so it has the same layer in every image that holds it.`;
    case 'owner': {
      const inside = layer.paths.some((p) => p.path === reason.head);
      return inside
        ? `Grouped under ${nameOf(reason.head)}: it and the paths only it pulls in.`
        : `Private dependencies of ${nameOf(reason.head)}, which has a layer of its own.`;
    }
    case 'merged':
      return `Merged: more groups than the layer budget allows, so the ${reason.heads.length} lowest-rated groups (${reason.heads
        .slice(0, 4)
        .map(nameOf)
        .join(', ')}${reason.heads.length > 4 ? ', …' : ''}) share this layer.`;
    case 'root':
      return 'The image root: symlinks to the requested packages, /tmp and /usr/bin/env; no store paths.';
    default:
      return 'Grouped by the layer strategy.';
  }
}

/** For one store path: why it is in this layer (or which layer it was merged into). */
export function describePathPlacement(layer: LayerReport, path: string): string {
  const reason = layer.reason;
  if (reason.kind === 'every-path' || reason.kind === 'largest') return describeReason(layer);
  if (reason.kind === 'owner') {
    if (reason.head === path) return `Heads layer ${layer.index}: ${describeReason(layer)}`;
    return `In layer ${layer.index} with ${nameOf(reason.head)}: ${describeReason(layer)}`;
  }
  if (reason.kind === 'merged') return `Merged into layer ${layer.index}: ${describeReason(layer)}`;
  return describeReason(layer);
}

function ordinal(n: number): string {
  if (n === 1) return '';
  const suffix =
    n % 10 === 1 && n % 100 !== 11
      ? 'st'
      : n % 10 === 2 && n % 100 !== 12
        ? 'nd'
        : n % 10 === 3 && n % 100 !== 13
          ? 'rd'
          : 'th';
  return `${n}${suffix}`;
}
