import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { describe, expect, test } from 'vitest';
import { ImageError, planImage, resolveImage } from '../src/index.js';
import { bundledBuilder, CountingStorage, tempDir } from './support.js';

const source = { kind: 'path', path: BUNDLED_PACKAGE_SET_PATH } as const;

describe('the pipeline stages', () => {
  test('resolveImage turns bad input into the ImageError getImage throws', () => {
    expect(resolveImage('hello/git', 'latest', source).request.packages).toEqual([
      'cacert',
      'git',
      'hello',
      'iana-etc',
    ]);
    const reasons = [
      ['Bad Name!', 'latest'],
      ['hello', 'bad tag!'],
      ['hello', 'v1'], // a local path serves only `latest`
    ].map(([name, tag]) => {
      try {
        resolveImage(name as string, tag as string, source);
        return 'resolved';
      } catch (error) {
        return error instanceof ImageError ? error.reason : String(error);
      }
    });
    expect(reasons).toEqual(['invalid-name', 'invalid-tag', 'tag-not-served']);
  });

  test("planImage (no storage) gives the layers getImage writes, with /usr/bin/env's package grouped", async () => {
    const plan = await planImage('hello', 'latest', { source, nixSubstituters: '' });
    const grouped = plan.layers.flatMap((layer) => layer.paths);
    expect(plan.closure.envPath).not.toBeNull();
    expect(grouped).toContain(plan.closure.envPath);
    // Every store path of the closure lands in exactly one layer.
    expect([...grouped].sort()).toEqual(plan.closure.graph.graph.map((p) => p.path).sort());

    const dir = await tempDir('nixery-pipeline-');
    try {
      const { builder } = bundledBuilder(new CountingStorage(dir.path));
      const fromBuilder = await builder.planImage('hello', 'latest');
      expect(fromBuilder.layers.map((l) => l.key)).toEqual(plan.layers.map((l) => l.key));
      const image = await builder.getImage('hello', 'latest');
      // The root layer (pathCount 0) comes last, after the planned groups.
      expect(image.layers.map((l) => l.key)).toEqual([
        ...plan.layers.map((l) => l.key),
        image.layers.at(-1)?.key,
      ]);
      expect(image.layers.at(-1)?.pathCount).toBe(0);
    } finally {
      await dir.remove();
    }
  });
});
