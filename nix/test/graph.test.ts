// Builds the whole set (bar the test-only packages) and checks the shape of the runtime graph.
import { beforeAll, describe, expect, test } from 'vitest';
import {
  buildAttrs,
  closureOf,
  listPackages,
  type PackageEntry,
  type PathInfo,
  pathInfo,
  specialAttrs,
  storeName,
} from './nix.js';

let packages: PackageEntry[];
let outByAttr: Map<string, string>;
let graph: Map<string, PathInfo>;

const out = (attr: string): string => {
  const path = outByAttr.get(attr);
  if (path === undefined) throw new Error(`${attr} was not built`);
  return path;
};
const referencesOf = (path: string): string[] =>
  (graph.get(path)?.references ?? []).filter((r) => r !== path);

/** Number of edges on the longest reference chain that starts at `path`. */
function depth(path: string, memo = new Map<string, number>()): number {
  const known = memo.get(path);
  if (known !== undefined) return known;
  const result = Math.max(0, ...referencesOf(path).map((ref) => 1 + depth(ref, memo)));
  memo.set(path, result);
  return result;
}

beforeAll(async () => {
  packages = (await listPackages()).filter((p) => !specialAttrs.includes(p.attr));
  const built = await buildAttrs(packages.map((p) => p.attr));
  outByAttr = new Map(packages.map((p, i) => [p.attr, built[i] ?? '']));
  graph = await pathInfo(built);
}, 120_000);

describe('the runtime graph of the demo set', () => {
  test('nix-build returns the evaluated output paths, so building is deterministic', () => {
    for (const p of packages) expect(out(p.attr), p.attr).toBe(p.out);
  });

  test('at least five packages have closures of more than one path', async () => {
    const sizes = await Promise.all(
      ['git', 'curl', 'python3', 'nodejs', 'bashInteractive', 'coreutils', 'vim'].map(
        async (attr) => (await closureOf([out(attr)])).length,
      ),
    );
    expect(sizes.filter((size) => size > 1).length).toBeGreaterThanOrEqual(5);
  });

  test('shared libraries are referenced by several packages', () => {
    const referrers = (attr: string) =>
      [...graph.values()].filter((info) => referencesOf(info.path).includes(out(attr)));
    expect(referrers('glibc').length).toBeGreaterThan(packages.length / 2);
    for (const lib of ['zlib', 'openssl', 'ncurses', 'readline', 'bash']) {
      expect(referrers(lib).length, lib).toBeGreaterThanOrEqual(2);
    }
  });

  test('git -> curl -> openssl -> glibc is a chain of references', () => {
    expect(referencesOf(out('git'))).toContain(out('curl'));
    expect(referencesOf(out('curl'))).toContain(out('openssl'));
    expect(referencesOf(out('openssl'))).toContain(out('glibc'));
    expect(depth(out('git'))).toBeGreaterThanOrEqual(3);
    expect(depth(out('python3Packages.requests'))).toBeGreaterThanOrEqual(4);
  });

  test('closure sizes: one past 100 MB without a single path that big, one around 40 MB', () => {
    // Clear margins around Nixery's "big" threshold (closureSize > 100,000,000).
    expect(graph.get(out('clang'))?.closureSize).toBeGreaterThan(105_000_000);
    expect(graph.get(out('llvm'))?.closureSize).toBeLessThan(97_000_000);
    for (const info of graph.values()) expect(info.narSize, info.path).toBeLessThan(100_000_000);
    const nodejs = graph.get(out('nodejs'))?.closureSize ?? 0;
    expect(nodejs).toBeGreaterThan(35_000_000);
    expect(nodejs).toBeLessThan(50_000_000);
  });

  test('the whole set stays small enough for fast tests (< 300 MB)', () => {
    const total = [...graph.values()].reduce((sum, info) => sum + info.narSize, 0);
    expect(total).toBeGreaterThan(150_000_000);
    expect(total).toBeLessThan(300_000_000);
  });

  test('hello, cacert and iana-etc have no runtime references', () => {
    for (const attr of ['hello', 'cacert', 'iana-etc']) {
      expect(referencesOf(out(attr)), attr).toEqual([]);
    }
  });

  test('every path in the graph has a version-suffixed store name', () => {
    for (const path of graph.keys()) expect(storeName(path)).toMatch(/-[0-9][A-Za-z0-9_+.-]*$/);
    expect(storeName(out('cacert'))).toBe('nss-cacert-3.98');
    expect(storeName(out('iana-etc'))).toBe('iana-etc-20240318');
    expect(storeName(out('bashInteractive'))).toBe('bash-interactive-5.2p26');
  });

  test('the graph is closed: every reference is itself in the graph', () => {
    for (const info of graph.values()) {
      for (const ref of info.references) expect(graph.has(ref), `${info.path} -> ${ref}`).toBe(true);
    }
  });
});
