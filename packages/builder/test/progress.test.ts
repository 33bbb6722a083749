import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLED_PACKAGE_SET_PATH } from '@nixery/source';
import { FilesystemStorage } from '@nixery/storage';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BuildInfo, type BuildStage, describeStage } from '../src/index.js';
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

describe('describeStage', () => {
  test('says each stage in a few words', () => {
    const none = { total: 0, started: 0 };
    expect(describeStage({ stage: 'queued' })).toBe('queued');
    expect(describeStage({ stage: 'evaluating', evaluations: 1 })).toBe('evaluating');
    expect(describeStage({ stage: 'evaluating', evaluations: 3 })).toBe('evaluating (3 evaluations)');
    expect(describeStage({ stage: 'building', derivations: none, fetches: none, current: null })).toBe(
      'building',
    );
    expect(
      describeStage({
        stage: 'building',
        derivations: { total: 2, started: 1 },
        fetches: { total: 3, started: 3 },
        current: null,
      }),
    ).toBe('building 1 of 2 derivations, fetching 3 of 3 paths');
    expect(describeStage({ stage: 'writing', layer: 0, layers: 4 })).toBe('writing layer 1 of 4');
    expect(describeStage({ stage: 'writing', layer: 4, layers: 4 })).toBe('writing layer 4 of 4');
    expect(
      describeStage({
        stage: 'done',
        timings: { nixMs: 0, groupingMs: 0, layersMs: 0, totalMs: 2500, layersWritten: 0, layersReused: 0 },
      }),
    ).toBe('done in 2.5 s');
    expect(describeStage({ stage: 'failed', reason: 'timeout', message: 'Nix timed out' })).toBe(
      'failed (timeout): Nix timed out',
    );
  });
});
