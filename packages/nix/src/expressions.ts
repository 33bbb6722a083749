import { fileURLToPath } from 'node:url';

/**
 * The Nix expressions this package runs. They ship inside the package (`nix/`, listed in its
 * `files`), beside both `src/` and `dist/`, so the same relative path holds in this checkout and
 * in an installed copy.
 */
function expression(file: string): string {
  return fileURLToPath(new URL(`../nix/${file}`, import.meta.url));
}

/** The image plan: names → derivations, outputs and problems (`nix-instantiate -A plan`). */
export const IMAGE_NIX_PATH = expression('image.nix');
/** The start-up check: the package set's minimum-Nix declaration. */
export const PROBE_NIX_PATH = expression('probe.nix');
/** A package set's derivations as attribute paths (`nixery popularity --all`). */
export const LIST_ATTRIBUTES_NIX_PATH = expression('list-attributes.nix');
