/** A Nix store hash: 32 lowercase letters and digits (Nix uses a subset of them; be lenient as Nixery is). */
const STORE_HASH = /^[0-9a-z]{32}-/;

/**
 * The name part of a store path, `/nix/store/<hash>-<name>` → `<name>`: the key of the
 * popularity data. Any store directory is accepted; a base name without a hash is returned whole.
 */
export function storePathName(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return STORE_HASH.test(base) ? base.slice(33) : base;
}
