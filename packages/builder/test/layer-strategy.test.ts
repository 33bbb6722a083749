// The layerStrategy option reaches groupLayers: an image's store-path layers are exactly the
// groups of the chosen strategy (real Nix over the bundled package set).
import { groupLayers } from '@nixery/layers';
import { buildImageClosure } from '@nixery/nix';
import { BUNDLED_PACKAGE_SET_PATH, parseImageName, resolveSourceForTag } from '@nixery/source';
import { FilesystemStorage } from '@nixery/storage';
import { afterAll, describe, expect, test } from 'vitest';
import { imageGroupingGraph } from '../src/index.js';
import { bundledBuilder, tempDir } from './support.js';

const removals: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const remove of removals) await remove();
});

async function expectedKeys(image: string, budget: number, strategy: 'nixery' | 'stable' | undefined) {
  const request = parseImageName(image);
  const nix = await buildImageClosure(
    {
      packages: request.packages,
      system: request.system,
      source: resolveSourceForTag({ kind: 'path', path: BUNDLED_PACKAGE_SET_PATH }, 'latest'),
    },
    { timeoutSeconds: 120, substituters: '' },
  );
  if (!nix.ok) throw new Error(`nix failed: ${nix.kind}`);
  const graph = imageGroupingGraph(nix.graph, nix.envPath);
  return groupLayers(graph, {}, { budget, ...(strategy ? { strategy } : {}) }).map((l) => l.key);
}

describe('ImageBuilder layerStrategy', () => {
  test.each([
    ['nixery', 4],
    ['stable', 4],
    [undefined, 4],
  ] as const)('strategy %s groups as groupLayers does', async (strategy, budget) => {
    const dir = await tempDir('nixery-builder-strategy-');
    removals.push(dir.remove);
    const { builder } = bundledBuilder(new FilesystemStorage(dir.path), {
      layerBudget: budget,
      ...(strategy ? { layerStrategy: strategy } : {}),
    });
    const record = await builder.getImage('shell/git/hello', 'latest');
    const storeLayers = record.layers.slice(0, -1).map((l) => l.key);
    expect(storeLayers).toEqual(await expectedKeys('shell/git/hello', budget, strategy));
  });

  test('the strategies give different layers for the same image', async () => {
    expect(await expectedKeys('shell/git/hello', 4, 'nixery')).not.toEqual(
      await expectedKeys('shell/git/hello', 4, 'stable'),
    );
  });
});
