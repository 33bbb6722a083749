import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  buildDominatorTree,
  computePopularity,
  groupLayers,
  RuntimeGraph,
  runtimeGraphFromPathInfo,
  storePathName,
} from '../src/index.js';

const fixture = fileURLToPath(new URL('./fixtures/closure.nix', import.meta.url));
const env = { ...process.env, NIX_CONFIG: 'substituters =\nexperimental-features = nix-command' };
const hasNix = (() => {
  try {
    execFileSync('nix-build', ['--version'], { env, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const nixBuild = (attr: string) =>
  execFileSync('nix-build', [fixture, '-A', attr, '--no-out-link'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
const nixPathInfo = (...paths: string[]) =>
  JSON.parse(
    execFileSync('nix', ['path-info', '--json', '--recursive', '--closure-size', ...paths], {
      env,
      encoding: 'utf8',
    }),
  ) as unknown;
const nameOf = (layers: { paths: string[] }[]) => layers.map((l) => l.paths.map(storePathName).sort());

describe.skipIf(!hasNix)('with real Nix output', () => {
  test('the structured-attrs graph and nix path-info give the same layers', () => {
    const attrs = RuntimeGraph.parse(readFileSync(nixBuild('graph'), 'utf8'));
    const [git, curl] = [nixBuild('git'), nixBuild('curl')];
    expect(attrs.topLevelPaths().sort()).toEqual([curl, git].sort());
    expect(attrs.size).toBe(5);

    const fromPathInfo = RuntimeGraph.fromJson(runtimeGraphFromPathInfo(nixPathInfo(git, curl), [git, curl]));
    // Same paths, sizes and references (narHash differs in encoding between the two formats).
    const shape = (g: RuntimeGraph) =>
      g
        .toJson()
        .graph.map(({ narHash: _, references, ...rest }) => ({ ...rest, references: references.sort() }))
        .sort((a, b) => (a.path < b.path ? -1 : 1));
    expect(shape(fromPathInfo)).toEqual(shape(attrs));
    expect(groupLayers(fromPathInfo, {}, { strategy: 'nixery' })).toEqual(
      groupLayers(attrs, {}, { strategy: 'nixery' }),
    );

    // git and curl are requested; the certificates are always popular; openssl is only under
    // curl; libc is shared by git and curl, so the root dominates it. Ratings are closure sums
    // (popularity 1), so git, whose closure is everything, ranks above libc.
    expect(nameOf(groupLayers(attrs, {}, { strategy: 'nixery' }))).toEqual([
      ['nss-cacert-3.90'],
      ['curl-8.1', 'openssl-3.0'],
      ['git-2.40'],
      ['libc-2.37'],
    ]);
    const tree = buildDominatorTree(attrs, {});
    expect(tree.nodes.find((n) => n.name === 'openssl-3.0')?.parent).toBe(curl);
  });

  test('popularity computed from nix path-info counts referrers', () => {
    const git = nixBuild('git');
    const counts = computePopularity([nixPathInfo(git) as Record<string, unknown>[]]);
    expect(Object.fromEntries(counts)).toEqual({
      'libc-2.37': 3,
      'openssl-3.0': 1,
      'curl-8.1': 1,
      'nss-cacert-3.90': 1,
    });
  });
});
