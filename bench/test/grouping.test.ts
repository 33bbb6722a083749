// CI-sized smoke test of the grouping benchmark: 1k paths, checks the grouping is valid.
// No timing assertions: timings depend on the machine.
import { groupLayers, RuntimeGraph } from '@nixery/layers';
import { describe, expect, test } from 'vitest';
import { benchmarkGrouping, formatGroupingBenchmark, generateSyntheticGraph } from '../src/grouping.js';

describe('synthetic nixpkgs-shaped graphs', () => {
  test('are deterministic per seed and valid runtime graphs', () => {
    const a = generateSyntheticGraph(1_000, 42);
    expect(generateSyntheticGraph(1_000, 42)).toEqual(a);
    expect(generateSyntheticGraph(1_000, 43).graph).not.toEqual(a.graph);
    const graph = RuntimeGraph.fromJson(a.graph);
    expect(graph.size).toBe(1_000);
    expect(a.references).toBe(graph.referenceTargets.length);
  });

  test('have popular base libraries and power-law fan-in', () => {
    const { popularity } = generateSyntheticGraph(1_000, 7);
    const counts = [...popularity.values()].sort((x, y) => y - x);
    expect(popularity.get('glibc-2.37-8')).toBeGreaterThan(800);
    // A heavy tail: the best-referenced path has far more referrers than the median referenced one.
    expect(counts[0]).toBeGreaterThan(20 * (counts[Math.floor(counts.length / 2)] as number));
  });

  test('group into a valid layering: every path once, within the budget, no empty layer', () => {
    const { graph, popularity } = generateSyntheticGraph(1_000, 3);
    const layers = groupLayers(graph, popularity, { budget: 94 });
    const paths = layers.flatMap((l) => l.paths);
    expect(layers.length).toBeLessThanOrEqual(94);
    expect(layers.every((l) => l.paths.length > 0)).toBe(true);
    expect(new Set(paths).size).toBe(paths.length);
    expect(new Set(paths)).toEqual(new Set(graph.graph.map((p) => p.path)));
    // Popular base libraries head layers of their own.
    const glibcLayer = layers.find((l) => l.paths.some((p) => p.endsWith('-glibc-2.37-8')));
    expect(glibcLayer?.paths).toHaveLength(1);
  });
});

describe('benchmarkGrouping', () => {
  test('measures each size and reports a table', () => {
    const result = benchmarkGrouping({ sizes: [1_000], runs: 1 });
    expect(result.measurements).toHaveLength(1);
    const [m] = result.measurements;
    expect(m).toMatchObject({ paths: 1_000, layers: 94 });
    expect(Number.isFinite(m?.groupMs)).toBe(true);
    expect(Number.isFinite(m?.parseMs)).toBe(true);
    expect(result.linearityRatio).toBe(1);
    expect(formatGroupingBenchmark(result)).toMatch(/^ *paths +references/);
  });
});
