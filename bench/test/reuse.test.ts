// CI-sized smoke test of the layer-reuse benchmark: small package sets, checks shape and the
// invariants that hold for any grouping. No timing assertions.
import { groupingStrategies, RuntimeGraph } from '@nixery/layers';
import { describe, expect, test } from 'vitest';
import { groupings, REUSE_BUDGET, runReuseBenchmark } from '../src/reuse.js';
import { generatePackageSet, imageGraph } from '../src/reuse-packages.js';
import { generateWorkload } from '../src/reuse-workload.js';

describe('the synthetic package set and workload', () => {
  const set = generatePackageSet({ seed: 5, filler: 300 });

  test('is a valid, seeded, nixpkgs-shaped package set', () => {
    expect(generatePackageSet({ seed: 5, filler: 300 })).toEqual(set);
    expect(generatePackageSet({ seed: 6, filler: 300 }).paths).not.toEqual(set.paths);
    const graph = RuntimeGraph.fromJson({ graph: set.paths, exportReferencesGraph: { graph: [] } });
    expect(graph.size).toBeGreaterThan(300);
    // glibc is the most referenced path; sizes are heavy-tailed.
    const [top] = [...set.popularity].sort((a, b) => b[1] - a[1]);
    expect(top?.[0]).toBe('glibc-2.37-8');
    const sizes = set.paths.map((p) => p.narSize).sort((a, b) => a - b);
    expect(sizes[Math.floor(sizes.length / 2)]).toBeLessThan(1_000_000);
    expect(sizes[sizes.length - 1]).toBeGreaterThan(200_000_000);
  });

  test('images always hold cacert, iana-etc and coreutils, and overlap', () => {
    const workload = generateWorkload(5);
    expect(workload.length).toBeGreaterThanOrEqual(30);
    expect(workload.length).toBeLessThanOrEqual(40);
    expect(new Set(workload.map((w) => w.name)).size).toBe(workload.length);
    for (const image of workload)
      expect(image.attrs).toEqual(expect.arrayContaining(['cacert', 'iana-etc', 'coreutils']));
    const graph = imageGraph(set, workload[0]?.attrs ?? []);
    expect(() => RuntimeGraph.fromJson(graph)).not.toThrow();
    // Closed under references: every reference is in the image.
    const inImage = new Set(graph.graph.map((p) => p.path));
    expect(graph.graph.every((p) => p.references.every((r) => inImage.has(r)))).toBe(true);
  });

  test('every grouping covers each image exactly, and strategies stay within the budget', () => {
    const workload = generateWorkload(5, 8);
    for (const grouping of groupings()) {
      for (const image of workload) {
        const graph = imageGraph(set, image.attrs);
        const layers = grouping.group(graph, set);
        const bytes = graph.graph.reduce((sum, p) => sum + p.narSize, 0);
        expect(layers.reduce((sum, l) => sum + l.narSize, 0)).toBe(bytes);
        if (grouping.name !== 'one layer per store path')
          expect(layers.length).toBeLessThanOrEqual(REUSE_BUDGET);
      }
    }
  });
});

describe('runReuseBenchmark', () => {
  test('reports every strategy and baseline with consistent numbers', async () => {
    const results = await runReuseBenchmark({ smoke: true, seeds: 2 });
    expect(results.seeds).toEqual([1, 2]);
    const names = results.summary.map((s) => s.grouping);
    expect(names).toEqual([
      ...Object.keys(groupingStrategies),
      'popularity_contest',
      'one layer per image',
      'one layer per store path',
    ]);
    for (const seed of results.perSeed) {
      const ideal = seed.find((r) => r.grouping === 'one layer per store path');
      const perImage = seed.find((r) => r.grouping === 'one layer per image');
      for (const r of seed) {
        expect(r.pulledBytes).toBeGreaterThan(0);
        expect(r.pulledBytes).toBeLessThanOrEqual(r.storedBytes);
        expect(r.storedBytes).toBeLessThanOrEqual(r.imageBytes);
        expect(ideal?.pulledBytes).toBeLessThanOrEqual(r.pulledBytes);
        expect(r.pulledBytes).toBeLessThanOrEqual(perImage?.pulledBytes ?? 0);
      }
    }
    const nixery = results.summary.find((s) => s.grouping === 'nixery');
    expect(nixery?.ratioToNixery).toEqual({ mean: 1, min: 1, max: 1, stddev: 0 });
    for (const s of results.summary) {
      expect(s.pulledPercent.min).toBeLessThanOrEqual(s.pulledPercent.mean);
      expect(s.pulledPercent.mean).toBeLessThanOrEqual(s.pulledPercent.max);
      expect(results.markdown).toContain(s.grouping);
    }
    // The driver's figures: every grouping but Nixery's, beside Nixery's, ratio of the means.
    expect(results.figures.map((f) => f.name.split(':')[0])).toEqual(names.filter((n) => n !== 'nixery'));
    for (const figure of results.figures) {
      expect(figure.ratio).toBeCloseTo(figure.value / (figure.baseline?.value ?? Number.NaN), 6);
      expect(figure.name).not.toContain('|');
    }
    // JSON-serialisable, as the benchmark driver writes it out.
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  });
});
