import { compareStrings, readPathInfoList } from '@nixery/layers';
import type { PathInfo } from './types.js';

/**
 * `nix path-info --json --recursive --closure-size` output as path infos sorted by path. Both of
 * Nix's formats are read by @nixery/layers' reader (the one parser of this output); this only
 * adds the JSON decoding and the order.
 */
export function parsePathInfoJson(stdout: string): PathInfo[] {
  return readPathInfoList(JSON.parse(stdout)).sort((a, b) => compareStrings(a.path, b.path));
}
