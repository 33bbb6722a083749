// The name outcomes end to end, on the bundled set (which builds): an image made only of names
// another image resolved is built and pulled by a real client without evaluating the package set.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

let registry: TestRegistry;
let work: string;

beforeAll(async () => {
  registry = await startTestRegistry();
  work = await mkdtemp(join(tmpdir(), 'nixery-e2e-remembered-'));
});
afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** skopeo copies the image into a `dir:` folder; returns every path in its layers. */
async function pullWithSkopeo(image: string): Promise<string[]> {
  const target = join(work, image.replaceAll('/', '_'));
  await execa('skopeo', [
    'copy',
    '--src-tls-verify=false',
    `docker://${registry.host}/${image}:latest`,
    `dir:${target}`,
  ]);
  const manifest = JSON.parse(await readFile(join(target, 'manifest.json'), 'utf8')) as {
    layers: { digest: string }[];
  };
  expect((await readdir(target)).length).toBeGreaterThan(manifest.layers.length);
  return manifest.layers.flatMap((layer) =>
    execFileSync('tar', ['-tzf', join(target, layer.digest.replace('sha256:', ''))], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    })
      .split('\n')
      .filter(Boolean),
  );
}

const evaluations = () => metricValue(registry, 'nixery_nix_evaluations_total');
const builds = () => metricValue(registry, 'nixery_builds_total', { result: 'success' });

describe('an image of remembered names', () => {
  test('builds and pulls without evaluating the package set', async () => {
    const first = await pullWithSkopeo('jq/tree');
    expect(first.some((path) => /-tree-[^/]*\/bin\/tree$/.test(path))).toBe(true);
    const evaluated = await evaluations();
    expect(evaluated).toBe(1);
    expect(await builds()).toBe(1);

    // Another image (no manifest cached for it) of names the first one resolved.
    const second = await pullWithSkopeo('tree');
    expect(await builds()).toBe(2);
    expect(await evaluations()).toBe(evaluated);
    expect(second.some((path) => /-tree-[^/]*\/bin\/tree$/.test(path))).toBe(true);
    expect(second.some((path) => /-jq-[^/]*\/bin\/jq$/.test(path))).toBe(false);
    expect(second).toContain('usr/bin/env');
  }, 600_000);
});
