// Stage 2's name resolution through the remembered names, with real Nix on the bundled set:
// only names nothing is remembered of reach Nix, and the answers are merged per name.
import { type BuildPlan, hostSystem, type NixFailure } from '@nixery/nix';
import { BUNDLED_PACKAGE_SET_PATH, resolveSourceForTag } from '@nixery/source';
import { FilesystemStorage } from '@nixery/storage';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveImageNames } from '../src/image-resolution.js';
import { NameOutcomes } from '../src/name-outcomes.js';
import { nixOptions } from '../src/pipeline.js';
import { tempDir } from './support.js';

const source = resolveSourceForTag({ kind: 'path', path: BUNDLED_PACKAGE_SET_PATH }, 'latest');
const system = hostSystem() as string;
let evaluations = 0;
const options = nixOptions({ nixSubstituters: '' }, { onEvaluation: () => evaluations++ });
let outcomes: NameOutcomes;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const dir = await tempDir('nixery-resolution-');
  cleanup = dir.remove;
  outcomes = new NameOutcomes(new FilesystemStorage(dir.path), 3_600_000, '{}');
});
afterAll(() => cleanup?.());

const resolve = (packages: string[]) => resolveImageNames(outcomes, { packages, system, source }, options);

function plan(result: BuildPlan | NixFailure): BuildPlan {
  if ('ok' in result) throw new Error(`expected a plan, got ${JSON.stringify(result)}`);
  return result;
}

describe('resolving through the remembered names', () => {
  test('a remembered name is not evaluated again: only the new names reach Nix', async () => {
    const first = plan(await resolve(['hello']));
    expect(evaluations).toBe(1);
    const hello = first.packages[0];
    expect(hello).toMatchObject({ name: 'hello', attr: 'hello' });
    expect(first.env?.drvPath).toMatch(/coreutils.*\.drv$/);

    // A name the set does not have, remembered as hello: had it been evaluated, it would be unknown.
    await outcomes.learn(source, system, ['stand-in'], {
      found: [{ ...(hello as NonNullable<typeof hello>), name: 'stand-in' }],
      failure: null,
    });
    const mixed = plan(await resolve(['stand-in', 'tree']));
    expect(evaluations).toBe(2);
    expect(mixed.packages.map((p) => [p.name, p.attr])).toEqual([
      ['stand-in', 'hello'],
      ['tree', 'tree'],
    ]);
    expect(mixed.env).toEqual(first.env);

    // Every name remembered: the same plan, no evaluation.
    const known = plan(await resolve(['hello', 'tree']));
    expect(evaluations).toBe(2);
    expect(known.packages.map((p) => p.drvPath)).toEqual([hello?.drvPath, mixed.packages[1]?.drvPath]);
  });

  test('unknown names are remembered too; a new one beside them is evaluated alone and the answers merged', async () => {
    const before = evaluations;
    expect(await resolve(['absent-b', 'hello'])).toEqual({
      ok: false,
      kind: 'unknown-packages',
      names: ['absent-b'],
    });
    expect(evaluations).toBe(before + 1);
    // absent-b is known to be unknown, hello known to resolve: only absent-a is evaluated.
    expect(await resolve(['absent-a', 'absent-b', 'hello'])).toEqual({
      ok: false,
      kind: 'unknown-packages',
      names: ['absent-a', 'absent-b'],
    });
    expect(evaluations).toBe(before + 2);
    // All known now, one failing: the answer needs no Nix.
    expect(await resolve(['absent-a', 'tree'])).toEqual({
      ok: false,
      kind: 'unknown-packages',
      names: ['absent-a'],
    });
    expect(evaluations).toBe(before + 2);
  });

  test('a failure of the whole evaluation is not remembered', async () => {
    const before = evaluations;
    const broken = nixOptions(
      { nixSubstituters: '', evaluationTimeoutSeconds: 0.001 },
      { onEvaluation: () => evaluations++ },
    );
    const timedOut = await resolveImageNames(outcomes, { packages: ['jq'], system, source }, broken);
    expect(timedOut).toMatchObject({ ok: false, kind: 'timeout', step: 'evaluation' });
    expect(plan(await resolve(['jq'])).packages[0]).toMatchObject({ name: 'jq', attr: 'jq' });
    expect(evaluations).toBe(before + 2);
  });

  test('with no reuse window (NIXERY_UNPINNED_TTL=0) an unpinned source remembers nothing', async () => {
    const dir = await tempDir('nixery-resolution-ttl0-');
    try {
      const forgetful = new NameOutcomes(new FilesystemStorage(dir.path), 0, '{}');
      const before = evaluations;
      for (let i = 0; i < 2; i++) {
        plan(await resolveImageNames(forgetful, { packages: ['hello'], system, source }, options));
      }
      expect(evaluations).toBe(before + 2);
    } finally {
      await dir.remove();
    }
  });
});
