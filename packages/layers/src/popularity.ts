import { LayersError } from './errors.js';
import { type PathInfoInput, readPathInfoList } from './path-info.js';
import type { RuntimeGraphJson } from './runtime-graph.js';
import { storePathName } from './store-path.js';

/**
 * How often each package is referenced, keyed by store path name without the hash
 * (`glibc-2.37-8`). A plain object (the published JSON format, parsed) or a map; names that are
 * missing count 1.
 */
export type Popularity = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

/** The popularity of one store path name, 1 when the data does not know it. */
export function popularityOf(popularity: Popularity, name: string): number {
  if (popularity instanceof Map) return popularity.get(name) ?? 1;
  const record = popularity as Readonly<Record<string, number>>;
  return Object.hasOwn(record, name) ? (record[name] as number) : 1;
}

/** Parses the text of a published popularity file, `{"name-version": count, …}`. */
export function parsePopularity(text: string): Map<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new LayersError('INVALID_JSON', `popularity data is not valid JSON: ${(error as Error).message}`);
  }
  return popularityFromJson(json);
}

/** Validates parsed popularity data: an object whose values are non-negative integers. */
export function popularityFromJson(json: unknown): Map<string, number> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new LayersError('INVALID_POPULARITY', 'popularity data must be a JSON object of name → count');
  }
  const result = new Map<string, number>();
  for (const [name, count] of Object.entries(json)) {
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
      throw new LayersError(
        'INVALID_POPULARITY',
        `popularity of ${JSON.stringify(name)} is ${JSON.stringify(count)}, expected a non-negative integer`,
        { path: name },
      );
    }
    result.set(name, count);
  }
  return result;
}

/**
 * Popularity counted from local data, as Nixery's popcount counts a channel: for every store path
 * name, how many other store paths reference a path of that name. Each distinct store path counts
 * once, however many of the given closures contain it; self references do not count.
 *
 * Accepts runtime graphs and `nix path-info --json --recursive` output (the array of Nix 2.8 or
 * the object keyed by path of Nix 2.19 and later), in any mix.
 */
export function computePopularity(closures: Iterable<RuntimeGraphJson | PathInfoInput>): Map<string, number> {
  const counted = new Set<string>();
  const counts = new Map<string, number>();
  for (const closure of closures) {
    const entries = isRuntimeGraphJson(closure) ? closure.graph : readPathInfoList(closure);
    for (const { path, references } of entries) {
      if (counted.has(path)) continue;
      counted.add(path);
      const names = new Set<string>();
      for (const reference of references) if (reference !== path) names.add(storePathName(reference));
      for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  return counts;
}

/** Popularity as the published JSON format, keys sorted so equal data gives equal bytes. */
export function popularityToJson(popularity: Popularity): string {
  const entries = popularity instanceof Map ? [...popularity] : Object.entries(popularity);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, count]) => `${JSON.stringify(name)}:${count}`).join(',')}}`;
}

function isRuntimeGraphJson(value: unknown): value is RuntimeGraphJson {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Array.isArray((value as Record<string, unknown>).graph) &&
    'exportReferencesGraph' in value
  );
}
