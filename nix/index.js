// Where the bundled demo package set lives, resolved from this package's own folder so it holds
// in this checkout and in an installed copy alike.
import { fileURLToPath } from 'node:url';

/** The demo package set's folder (`pkgs/`, a nixpkgs-shaped set that builds offline). */
export const bundledPackageSetPath = fileURLToPath(new URL('./pkgs', import.meta.url));

/** Popularity counted over the whole demo set (`nixery popularity --all`), as a file URL. */
export const bundledPopularityUrl = new URL('./pkgs/popularity.json', import.meta.url).href;
