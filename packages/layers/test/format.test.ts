import { describe, expect, test } from 'vitest';
import {
  buildDominatorTree,
  dominatorTreeToDot,
  formatBytes,
  groupLayers,
  type Layer,
  layersToJson,
  layersToTable,
} from '../src/index.js';
import { runtimeGraph, storePath } from './helpers.js';

const graph = runtimeGraph(
  {
    app: { narSize: 4096, references: ['lib', 'glibc-2.37'] },
    lib: { narSize: 1024, references: ['glibc-2.37'] },
    'glibc-2.37': { narSize: 2 * 1024 * 1024 },
  },
  ['app'],
);
const popularity = { 'glibc-2.37': 300_000 };

describe('layersToJson', () => {
  test('writes the contract shape, ratings as exact integers', () => {
    const layers = groupLayers(graph, popularity, { strategy: 'nixery' });
    const text = layersToJson(layers);
    const parsed = JSON.parse(text) as { layers: Record<string, unknown>[] };
    expect(parsed.layers.map((l) => Object.keys(l))).toEqual([
      ['paths', 'mergeRating', 'narSize', 'key'],
      ['paths', 'mergeRating', 'narSize', 'key'],
    ]);
    expect(parsed.layers[0]).toMatchObject({
      paths: [storePath('glibc-2.37')],
      narSize: 2097152,
      key: layers[0]?.key,
    });
    expect(text).toContain(`"mergeRating":${300_000 * 2097152}`);
  });

  test('a rating past 2^53 keeps every digit', () => {
    const layer: Layer = { paths: ['/nix/store/x'], mergeRating: 2n ** 64n + 1n, narSize: 1, key: 'k' };
    const text = layersToJson([layer]);
    expect(text).toBe(
      '{"layers":[{"paths":["/nix/store/x"],"mergeRating":18446744073709551617,"narSize":1,"key":"k"}]}',
    );
    expect(layersToJson([])).toBe('{"layers":[]}');
  });
});

describe('layersToTable', () => {
  test('one row per layer with count, size, rating and names', () => {
    const table = layersToTable(groupLayers(graph, popularity, { strategy: 'nixery' }), { namesShown: 1 });
    const lines = table.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^#\s+paths\s+size\s+rating\s+contents$/);
    expect(lines[1]).toMatch(/^1\s+1\s+2\.0 MiB\s+629145600000\s+glibc-2\.37$/);
    expect(lines[2]).toMatch(/^2\s+2\s+5\.0 KiB\s+\d+\s+\S+ … \+1$/);
  });

  test('formatBytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});

describe('dominatorTreeToDot', () => {
  test('tree edges from each immediate dominator, layers as clusters', () => {
    const tree = buildDominatorTree(graph, popularity);
    const layers = groupLayers(graph, popularity, { strategy: 'nixery' });
    const dot = dominatorTreeToDot(tree, layers);
    expect(dot.startsWith('digraph dominators {')).toBe(true);
    expect(dot).toContain(`"image root" -> "${storePath('app')}";`);
    expect(dot).toContain(`"${storePath('app')}" -> "${storePath('lib')}";`);
    expect(dot).toContain(`"image root" -> "${storePath('glibc-2.37')}";`);
    expect(dot.match(/subgraph cluster_/g)).toHaveLength(2);
    expect(dot).toContain('label="glibc-2.37\\npopularity 300000 (big or popular)"');
    expect(dot.match(/->/g)).toHaveLength(3);
  });

  test('quotes and backslashes in names are escaped', () => {
    const odd = runtimeGraph({ 'we"ird\\name': { narSize: 1 } }, ['we"ird\\name']);
    const dot = dominatorTreeToDot(buildDominatorTree(odd, {}));
    expect(dot).toContain('we\\"ird\\\\name');
    expect(dot).not.toContain('subgraph');
  });
});
