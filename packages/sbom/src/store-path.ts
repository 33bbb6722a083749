/** A store path's parts: `/nix/store/<hash>-<name>[-<version>]`. */
export interface StorePathParts {
  /** The 32-character store hash; '' for a base name without one. */
  hash: string;
  /** The name before the version (the whole name when it has no version). */
  name: string;
  /** The version, or null when the name has none. */
  version: string | null;
}

const STORE_HASH = /^[0-9a-z]{32}-/;

/**
 * Splits a store path into hash, name and version. The version starts at the first dash that is
 * followed by a digit (Nix's `parseDrvName` rule, so `git-2.44.0` is `git` 2.44.0, `xz-5.4.6-bin`
 * is `xz` `5.4.6-bin`, and `hello-world` has no version).
 */
export function parseStorePath(path: string): StorePathParts {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const hashed = STORE_HASH.test(base);
  const hash = hashed ? base.slice(0, 32) : '';
  const full = hashed ? base.slice(33) : base;
  const split = /-[0-9]/.exec(full);
  if (split === null) return { hash, name: full, version: null };
  return { hash, name: full.slice(0, split.index), version: full.slice(split.index + 1) };
}
