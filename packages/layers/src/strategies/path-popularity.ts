import { LayersError } from '../errors.js';
import { type Popularity, popularityOf } from '../popularity.js';

/** Nixery gives the certificates and iana-etc, which it adds to every image, more than glibc's count. */
const ALWAYS_POPULAR_PREFIXES = ['nss-cacert', 'iana-etc'];
const ALWAYS_POPULAR = 500_000;

/** The popularity of one store path name as the groupings use it (the 500000 rule included). */
export function pathPopularity(popularity: Popularity, name: string): number {
  const p = ALWAYS_POPULAR_PREFIXES.some((prefix) => name.startsWith(prefix))
    ? ALWAYS_POPULAR
    : popularityOf(popularity, name);
  if (!Number.isSafeInteger(p) || p < 0) {
    throw new LayersError(
      'INVALID_POPULARITY',
      `popularity of ${JSON.stringify(name)} is ${p}, expected a non-negative integer`,
      { path: name },
    );
  }
  return p;
}

/** `pathPopularity` of every name, by path number. */
export function pathPopularities(names: readonly string[], popularity: Popularity): Float64Array {
  const result = new Float64Array(names.length);
  for (let i = 0; i < names.length; i++) result[i] = pathPopularity(popularity, names[i] as string);
  return result;
}
