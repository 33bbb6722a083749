import type { PathInfo } from './types.js';

interface RawPathInfo {
  path?: unknown;
  narSize?: unknown;
  closureSize?: unknown;
  narHash?: unknown;
  references?: unknown;
}

/**
 * Parses `nix path-info --json --closure-size` output: Nix 2.8 prints a list of objects with a
 * `path` field; Nix 2.19 and later print an object keyed by path. Returned sorted by path.
 */
export function parsePathInfoJson(stdout: string): PathInfo[] {
  const parsed: unknown = JSON.parse(stdout);
  const entries: [string | null, RawPathInfo][] = Array.isArray(parsed)
    ? parsed.map((info: RawPathInfo) => [null, info])
    : Object.entries(parsed as Record<string, RawPathInfo>);
  const infos = entries.map(([key, info]) => toPathInfo(key, info));
  return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function toPathInfo(key: string | null, info: RawPathInfo | null): PathInfo {
  const path = typeof info?.path === 'string' ? info.path : key;
  if (path === null || info === null || typeof info !== 'object') {
    throw new Error(
      `nix path-info: ${key ?? 'an entry'} is not a valid store path (${JSON.stringify(info)})`,
    );
  }
  const { narSize, closureSize, narHash, references } = info;
  if (
    typeof narSize !== 'number' ||
    typeof closureSize !== 'number' ||
    typeof narHash !== 'string' ||
    !Array.isArray(references)
  ) {
    throw new Error(`nix path-info: incomplete information for ${path}: ${JSON.stringify(info)}`);
  }
  return { path, narSize, closureSize, narHash, references: references.map(String) };
}
