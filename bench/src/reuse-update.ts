// A channel update between pulls: some packages get a new version and, because Nix store paths
// are input-addressed, every path that depends on a changed one gets a new store path too (same
// contents give the same NAR size, but a new name to the client). Base libraries stay: an update
// of glibc makes every path new, which no grouping can help with.
import type { PathInfo } from '@nixery/layers';
import { seededRandom } from './grouping.js';
import {
  closureSizes,
  type PackageSet,
  popularityOf,
  storeHash,
  syntheticNarHash,
} from './reuse-packages.js';

export interface UpdateOptions {
  seed: number;
  /** Chance that a non-base path gets a new version (default 0.02). */
  share?: number;
}

/** What an update changed. */
export interface UpdatedSet {
  set: PackageSet;
  /** Paths given a new version. */
  updated: number;
  /** Paths rebuilt only because something they reference changed. */
  rebuilt: number;
}

/** The set after an update; the input set is left as it was. */
export function updatePackageSet(set: PackageSet, options: UpdateOptions): UpdatedSet {
  const random = seededRandom(options.seed * 6271 + 29);
  const share = options.share ?? 0.02;
  const base = new Set(set.basePaths);
  const renamed = new Map<string, string>();
  let updated = 0;
  let rebuilt = 0;
  // References point only at earlier paths, so one pass in order sees every change it depends on.
  const paths = set.paths.map((info): PathInfo => {
    const newVersion = !base.has(info.path) && random() < share;
    const cascaded = info.references.some((r) => renamed.has(r));
    if (!newVersion && !cascaded) return info;
    const name = info.path.slice('/nix/store/'.length + 33);
    const path = `/nix/store/${storeHash(random)}-${newVersion ? `${name}-u1` : name}`;
    renamed.set(info.path, path);
    if (newVersion) updated++;
    else rebuilt++;
    // A new version changes size a little; a rebuild of the same source does not.
    const narSize = newVersion
      ? Math.max(1, Math.round(info.narSize * (0.95 + random() * 0.1)))
      : info.narSize;
    return {
      path,
      narSize,
      closureSize: 0, // every path's is recomputed below, once all sizes are known
      narHash: syntheticNarHash(path),
      references: info.references.map((r) => renamed.get(r) ?? r),
    };
  });
  fixClosureSizes(paths);
  const attrs = new Map([...set.attrs].map(([attr, path]) => [attr, renamed.get(path) ?? path]));
  return {
    set: { paths, attrs, popularity: popularityOf(paths), basePaths: set.basePaths },
    updated,
    rebuilt,
  };
}

/** Recomputes every closure size (a new version's size change reaches every path above it). */
function fixClosureSizes(paths: PathInfo[]): void {
  const index = new Map(paths.map((p, i) => [p.path, i]));
  const nodes = paths.map((p) => ({
    narSize: p.narSize,
    references: p.references.map((r) => index.get(r) as number),
  }));
  closureSizes(nodes).forEach((closureSize, i) => {
    paths[i] = { ...(paths[i] as PathInfo), closureSize };
  });
}
