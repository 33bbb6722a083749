import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageGroupingGraph } from '@nixery/builder';
import { groupLayers, layersToJson, parsePopularity } from '@nixery/layers';
import { buildImageClosure } from '@nixery/nix';
import {
  BUNDLED_PACKAGE_SET_PATH,
  BUNDLED_POPULARITY_URL,
  parseImageName,
  resolveSourceForTag,
} from '@nixery/source';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli, temporaryDir } from './support/cli.js';
import { APP1, APP2, GLIBC, HAND_GRAPH, HAND_POPULARITY, LIBX, LIBY } from './support/graphs.js';

const dir = temporaryDir('layers');
const graphFile = join(dir.path, 'graph.json');
const pathInfoFile = join(dir.path, 'path-info.json');
const popularityFile = join(dir.path, 'popularity.json');

beforeAll(() => {
  writeFileSync(graphFile, JSON.stringify(HAND_GRAPH));
  // The same closure as `nix path-info --json -r --closure-size` (Nix 2.8) prints it.
  writeFileSync(pathInfoFile, JSON.stringify(HAND_GRAPH.graph));
  writeFileSync(popularityFile, JSON.stringify(HAND_POPULARITY));
});
afterAll(() => dir.remove());

interface JsonLayer {
  paths: string[];
  mergeRating: number;
  narSize: number;
  key: string;
}

describe('nixery layers --format html', () => {
  test('one page with the same layers as --format json, its report inline, nothing fetched', async () => {
    const args = ['layers', '--graph', graphFile, '--popularity', popularityFile, '--budget', '3'];
    const html = await runCli([...args, '--format', 'html']);
    expect(html.code).toBe(0);
    expect(html.stdout).toMatch(/^<!doctype html>/);
    expect(html.stdout).not.toMatch(/<script[^>]+src=/);
    const data = /<script id="explorer-data" type="application\/json">(.*?)<\/script>/s.exec(
      html.stdout,
    )?.[1];
    const report = JSON.parse(data!) as {
      layers: { paths: { path: string }[]; key: string; narSize: number }[];
    };
    const json = JSON.parse((await runCli([...args, '--format', 'json'])).stdout) as { layers: JsonLayer[] };
    expect(report.layers.map((l) => l.key)).toEqual(json.layers.map((l) => l.key));
    expect(report.layers.map((l) => l.narSize)).toEqual(json.layers.map((l) => l.narSize));
    expect(report.layers.map((l) => l.paths.map((p) => p.path).sort())).toEqual(
      json.layers.map((l) => l.paths),
    );
  });
});

describe('nixery layers --graph', () => {
  test('--format json is exactly layersToJson(groupLayers(...)) of the same graph', async () => {
    const result = await runCli([
      'layers',
      '--graph',
      graphFile,
      '--popularity',
      popularityFile,
      '--budget',
      '3',
      '--format',
      'json',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${layersToJson(groupLayers(HAND_GRAPH, HAND_POPULARITY, { budget: 3 }))}\n`);
  });

  test("gives the groups worked out by hand for Nixery's strategy", async () => {
    const result = await runCli([
      'layers',
      '--strategy',
      'nixery',
      '--graph',
      graphFile,
      '--popularity',
      popularityFile,
      '--budget',
      '3',
      '--format',
      'json',
    ]);
    const layers = (JSON.parse(result.stdout) as { layers: JsonLayer[] }).layers;
    expect(layers.map((l) => [l.paths, l.mergeRating])).toEqual([
      [[GLIBC], 20000],
      [[APP1, LIBX].sort(), 221],
      [[APP2, LIBY].sort(), 152],
    ]);
    expect(layers.map((l) => l.narSize)).toEqual([100, 11, 22]);
  });

  test('without popularity and with a large budget, every dominator-tree child is a layer', async () => {
    const result = await runCli(['layers', '--graph', graphFile, '--format', 'json', '--strategy', 'nixery']);
    const layers = (JSON.parse(result.stdout) as { layers: JsonLayer[] }).layers;
    // glibc and libx are reached from both apps, so only the root dominates them; liby only from app2.
    expect(layers.map((l) => l.paths)).toEqual([[APP2, LIBY].sort(), [APP1], [LIBX], [GLIBC]]);
  });

  test('--popularity takes a file: URL as well as a path', async () => {
    const args = ['layers', '--graph', graphFile, '--budget', '3', '--format', 'json'];
    const byPath = await runCli([...args, '--popularity', popularityFile]);
    const byUrl = await runCli([...args, '--popularity', `file://${popularityFile}`]);
    expect(byUrl.code).toBe(0);
    expect(byUrl.stdout).toBe(byPath.stdout);
    const missing = await runCli([...args, '--popularity', join(dir.path, 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--popularity: cannot read/);
  });

  test('path-info output with --top gives the same layers as the runtime graph file', async () => {
    const fromGraph = await runCli([
      'layers',
      '--graph',
      graphFile,
      '--popularity',
      popularityFile,
      '--format',
      'json',
    ]);
    const fromPathInfo = await runCli([
      'layers',
      '--graph',
      pathInfoFile,
      '--top',
      APP1,
      APP2,
      '--popularity',
      popularityFile,
      '--format',
      'json',
    ]);
    expect(fromPathInfo.code).toBe(0);
    expect(fromPathInfo.stdout).toBe(fromGraph.stdout);
  });

  test('path-info without --top takes the unreferenced paths as requested; stdin works', async () => {
    const result = await runCli(['layers', '--graph', '-', '--format', 'json'], {
      input: JSON.stringify(HAND_GRAPH.graph),
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${layersToJson(groupLayers(HAND_GRAPH, {}))}\n`);
  });

  test('--format table lists one row per layer', async () => {
    const result = await runCli([
      'layers',
      '--strategy',
      'nixery',
      '--graph',
      graphFile,
      '--popularity',
      popularityFile,
      '--budget',
      '3',
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^#\s+paths\s+size\s+rating\s+contents$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^1\s+1\s+100 B\s+20000\s+glibc-2\.39$/);
    expect(lines[2]).toMatch(/libx-1\.0, app1-1\.0$/);
  });

  test('--format dot draws the dominator tree with a cluster per layer', async () => {
    const result = await runCli([
      'layers',
      '--graph',
      graphFile,
      '--popularity',
      popularityFile,
      '--budget',
      '3',
      '--format',
      'dot',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^digraph dominators \{/);
    expect(result.stdout.match(/subgraph cluster_/g)).toHaveLength(3);
    expect(result.stdout).toContain(`"${APP2}" -> "${LIBY}";`);
    expect(result.stdout).toContain(`"image root" -> "${GLIBC}";`);
  });

  test('a graph that is not valid fails with exit 1 and says why', async () => {
    const broken = join(dir.path, 'broken.json');
    writeFileSync(broken, JSON.stringify({ graph: [], exportReferencesGraph: { graph: [APP1] } }));
    const result = await runCli(['layers', '--graph', broken]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/invalid runtime graph: .*app1-1\.0/);
  });
});

describe('nixery layers <packages> (real Nix, bundled package set)', () => {
  test('--format json equals the library grouping of the graph Nix reports', async () => {
    const result = await runCli(['layers', 'shell', 'git', '--format', 'json', '--budget', '5']);
    expect(result.stderr).not.toMatch(/nixery:/);
    expect(result.code).toBe(0);

    const request = parseImageName('shell/git');
    const nix = await buildImageClosure(
      {
        packages: request.packages,
        system: request.system,
        source: resolveSourceForTag({ kind: 'path', path: BUNDLED_PACKAGE_SET_PATH }, 'latest'),
      },
      { timeoutSeconds: 120, substituters: '' },
    );
    if (!nix.ok) throw new Error(`nix failed: ${nix.kind}`);
    // The builder groups with coreutils (the /usr/bin/env provider) as a requested path, and the
    // bundled set's shipped popularity applies when it is the source.
    const graph = imageGroupingGraph(nix.graph, nix.envPath);
    const popularity = parsePopularity(readFileSync(fileURLToPath(BUNDLED_POPULARITY_URL), 'utf8'));
    expect(result.stdout).toBe(`${layersToJson(groupLayers(graph, popularity, { budget: 5 }))}\n`);
    const layers = (JSON.parse(result.stdout) as { layers: JsonLayer[] }).layers;
    expect(layers).toHaveLength(5);
    expect(layers.flatMap((l) => l.paths).sort()).toEqual(nix.graph.graph.map((p) => p.path).sort());
  });

  test('an unknown package exits with 3 and names it', async () => {
    const result = await runCli(['layers', 'hello', 'nosuchpackage']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/unknown package: nosuchpackage/);
    expect(result.stdout).toBe('');
  });
});
