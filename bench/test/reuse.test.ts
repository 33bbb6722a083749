// CI-sized smoke test of the layer-reuse benchmark: small package sets, checks shape and the
// invariants that hold for any grouping. No timing assertions.
import { groupingStrategies, RuntimeGraph } from '@nixery/layers';
import { describe, expect, test } from 'vitest';
import { groupings, measureSeed, REUSE_BUDGET, runReuseBenchmark } from '../src/reuse.js';
import { generatePackageSet, imageGraph } from '../src/reuse-packages.js';
import { updatePackageSet } from '../src/reuse-update.js';
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

describe('a channel update', () => {
  const set = generatePackageSet({ seed: 5, filler: 300 });
  const { set: next, updated, rebuilt } = updatePackageSet(set, { seed: 5, share: 0.05 });

  test('renames updated paths and everything above them, and nothing else', () => {
    expect(updatePackageSet(set, { seed: 5, share: 0.05 }).set).toEqual(next);
    expect(updated).toBeGreaterThan(0);
    expect(rebuilt).toBeGreaterThan(0);
    const before = new Set(set.paths.map((p) => p.path));
    const changed = next.paths.filter((p) => !before.has(p.path));
    expect(changed).toHaveLength(updated + rebuilt);
    // Base libraries stay; a path is unchanged exactly when nothing it references changed.
    for (const base of set.basePaths) expect(next.paths.map((p) => p.path)).toContain(base);
    const after = new Set(next.paths.map((p) => p.path));
    for (const info of next.paths)
      if (before.has(info.path))
        expect(info.references.every((r) => before.has(r) && after.has(r))).toBe(true);
    // Still a valid graph, attributes point into it, and closure sizes add up.
    const graph = RuntimeGraph.fromJson({ graph: next.paths, exportReferencesGraph: { graph: [] } });
    expect(graph.size).toBe(set.paths.length);
    for (const path of next.attrs.values()) expect(after.has(path)).toBe(true);
    const image = imageGraph(next, ['git', 'coreutils']);
    const root = image.graph.find((p) => p.path === next.attrs.get('git'));
    expect(root?.closureSize).toBeGreaterThan(0);
    // The input set is left as it was.
    expect(generatePackageSet({ seed: 5, filler: 300 })).toEqual(set);
  });

  test('new paths never count as re-downloaded; re-grouped old ones do', () => {
    const workload = generateWorkload(5, 10);
    const steps = workload.map((image, i) => ({ set: i < 5 ? set : next, attrs: image.attrs }));
    const results = measureSeed(steps);
    const ideal = results.find((r) => r.grouping === 'one layer per store path');
    expect(ideal?.redownloadedBytes).toBe(0);
    const perImage = results.find((r) => r.grouping === 'one layer per image');
    expect(perImage?.redownloadedBytes).toBeGreaterThan(0);
    for (const r of results) expect(r.redownloadedBytes).toBeLessThan(r.pulledBytes);
  });
});

describe('runReuseBenchmark', () => {
  test('reports every strategy and baseline on both workloads with consistent numbers', async () => {
    const results = await runReuseBenchmark({ smoke: true, seeds: 2 });
    expect(results.seeds).toEqual([1, 2]);
    expect(results.workloads.map((w) => w.workload)).toEqual(['steady channel', 'channel update halfway']);
    const names = [
      ...Object.keys(groupingStrategies),
      'popularity_contest',
      'one layer per image',
      'one layer per store path',
    ];
    for (const workload of results.workloads) {
      expect(workload.summary.map((s) => s.grouping)).toEqual(names);
      for (const seed of workload.perSeed) {
        const ideal = seed.find((r) => r.grouping === 'one layer per store path');
        const perImage = seed.find((r) => r.grouping === 'one layer per image');
        expect(ideal?.redownloadedBytes).toBe(0);
        for (const r of seed) {
          expect(r.pulledBytes).toBeGreaterThan(0);
          expect(r.pulledBytes).toBeLessThanOrEqual(r.storedBytes);
          expect(r.storedBytes).toBeLessThanOrEqual(r.imageBytes);
          expect(ideal?.pulledBytes).toBeLessThanOrEqual(r.pulledBytes);
          expect(r.pulledBytes).toBeLessThanOrEqual(perImage?.pulledBytes ?? 0);
          // What a grouping pulls beyond the ideal is exactly what it downloads again.
          expect(r.pulledBytes - r.redownloadedBytes).toBe(ideal?.pulledBytes);
        }
      }
      const nixery = workload.summary.find((s) => s.grouping === 'nixery');
      expect(nixery?.ratioToNixery).toEqual({ mean: 1, min: 1, max: 1, stddev: 0 });
      for (const s of workload.summary) {
        expect(s.pulledPercent.min).toBeLessThanOrEqual(s.pulledPercent.mean);
        expect(s.pulledPercent.mean).toBeLessThanOrEqual(s.pulledPercent.max);
        expect(s.redownloadedPercent.mean).toBeLessThanOrEqual(s.pulledPercent.mean);
      }
    }
    // The update changes the images of the second half only.
    const [steady, update] = results.workloads;
    expect(update?.perSeed[0]?.[0]?.imageBytes).not.toBe(steady?.perSeed[0]?.[0]?.imageBytes);
    for (const name of names) expect(results.markdown).toContain(name);
    // The driver's figures: every grouping but Nixery's, beside Nixery's, ratio of the means; two
    // on the steady channel, one across the update.
    const others = names.filter((n) => n !== 'nixery');
    expect(results.figures.map((f) => f.name.split(':')[0])).toEqual([
      ...others.flatMap((n) => [n, n]),
      ...others,
    ]);
    for (const figure of results.figures) {
      expect(figure.ratio).toBeCloseTo(figure.value / (figure.baseline?.value ?? Number.NaN), 6);
      expect(figure.name).not.toContain('|');
    }
    expect(results.figures.filter((f) => f.target !== undefined).map((f) => f.name)).toEqual([
      expect.stringContaining('stable: bytes re-downloaded,'),
      expect.stringContaining('stable: bytes re-downloaded across a channel update'),
    ]);
    // JSON-serialisable, as the benchmark driver writes it out.
    expect(JSON.parse(JSON.stringify(results))).toEqual(results);
  });
});
