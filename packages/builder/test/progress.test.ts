import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { FilesystemStorage } from '@nixery/storage';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BuildInfo, BuildStage } from '../src/index.js';
import { bundledBuilder, tempDir } from './support.js';

const SLOW_STEPS = join(BUNDLED_PACKAGE_SET_PATH, '..', 'test', 'slow-steps.nix');

describe('build progress: the stages of a real build', () => {
  const cleanups: (() => Promise<void>)[] = [];
  let setPath: string;
  let storage: FilesystemStorage;

  beforeAll(async () => {
    const dir = await tempDir('nixery-progress-');
    cleanups.push(dir.remove);
    setPath = join(dir.path, 'set');
    await mkdir(setPath);
    // A nonce of its own: both slow derivations are new, so Nix really builds them.
    await writeFile(
      join(setPath, 'default.nix'),
      `{ system ? builtins.currentSystem, ... }: import ${SLOW_STEPS} { inherit system; nonce = "${randomUUID()}"; seconds = 1; }\n`,
    );
    storage = new FilesystemStorage(join(dir.path, 'storage'));
  });
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  test('queued → evaluating → building 0..2 of 2 → grouping → writing 0..n of n → done, with Nix log lines', async () => {
    const started: BuildInfo[] = [];
    const stages: BuildStage[] = [];
    const lines: string[] = [];
    const { builder } = bundledBuilder(storage, {
      source: { kind: 'path', path: setPath },
      observeBuild: (info) => {
        started.push(info);
        return { stage: (s) => stages.push(s), log: (l) => lines.push(l) };
      },
    });
    const image = await builder.getImage('slowsteps', 'latest', { requestId: 'req-1' });
    expect(started).toEqual([
      { image: 'slowsteps', tag: 'latest', arch: 'amd64', system: 'x86_64-linux', requestId: 'req-1' },
    ]);

    // Consecutive repeats of a stage are progress within it; the order of stages is fixed.
    const order = stages.map((s) => s.stage).filter((s, i, all) => s !== all[i - 1]);
    expect(order).toEqual(['queued', 'evaluating', 'building', 'grouping', 'writing', 'done']);

    const building = stages.filter((s) => s.stage === 'building');
    const counts = building.map((s) => [s.derivations.started, s.derivations.total] as const);
    // nix-build starts at 0 of 0, reads the announced list, then counts each build's start. (On a
    // machine that has not built the bundled set yet, its derivations are in the list too.)
    expect(counts[0]).toEqual([0, 0]);
    const [finalStarted, finalTotal] = counts.at(-1) ?? [0, 0];
    expect(finalTotal).toBeGreaterThanOrEqual(2);
    expect(finalStarted).toBe(finalTotal);
    for (const [i, [started, total]] of counts.entries()) {
      const [before, beforeTotal] = counts[i - 1] ?? [0, 0];
      expect(started).toBeGreaterThanOrEqual(before);
      expect(total).toBeGreaterThanOrEqual(beforeTotal);
      expect(started).toBeLessThanOrEqual(total);
    }
    expect(counts.filter(([started]) => started === 0).length).toBeGreaterThan(2);
    expect(building.at(-1)?.current).toMatch(/-slow-step-b-1\.0\.drv$/);

    const writing = stages.filter((s) => s.stage === 'writing');
    const layers = image.layers.length;
    expect(writing.map((s) => s.layers)).toEqual(Array(layers + 1).fill(layers));
    expect(writing.map((s) => s.layer)).toEqual([...Array(layers + 1).keys()]);
    expect(stages.at(-1)).toMatchObject({ stage: 'done', timings: { layersWritten: layers } });

    // The builders' own output, as Nix printed it.
    expect(lines).toContain('slowDemo: sleeping for 1 seconds');
    const builds = lines.filter((l) => l.startsWith("building '/nix/store/"));
    expect(builds.some((l) => l.includes('-slow-step-a-1.0.drv'))).toBe(true);
    expect(builds.some((l) => l.includes('-slow-step-b-1.0.drv'))).toBe(true);
    expect(builds).toHaveLength(finalTotal);
  });

  test('a failing build ends failed, with its reason', async () => {
    const stages: BuildStage[] = [];
    const { builder } = bundledBuilder(storage, {
      observeBuild: () => ({ stage: (s) => stages.push(s), log: () => {} }),
    });
    await expect(builder.getImage('brokendemo', 'latest')).rejects.toMatchObject({ reason: 'build-failed' });
    expect(stages.at(-1)).toMatchObject({ stage: 'failed', reason: 'build-failed' });
    expect(stages.map((s) => s.stage)).toContain('building');
  });

  test('an observer that throws does not fail the build', async () => {
    const { builder } = bundledBuilder(storage, {
      observeBuild: () => ({
        stage: () => {
          throw new Error('observer bug');
        },
        log: () => {
          throw new Error('observer bug');
        },
      }),
    });
    await expect(builder.getImage('hello', 'latest')).resolves.toHaveProperty('manifests');
  });
});
