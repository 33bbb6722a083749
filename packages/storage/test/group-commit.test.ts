import { describe, expect, test } from 'vitest';
import { GroupCommit } from '../src/group-commit.js';

/** A step whose runs the test finishes by hand, recording when each began. */
function manualStep() {
  const runs: { key: string; finish: (error?: Error) => void }[] = [];
  const step = (key: string) =>
    new Promise<void>((resolve, reject) => {
      runs.push({ key, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { runs, step };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  test('callers during a run share one next run, begun only once the current one ended', async () => {
    const { runs, step } = manualStep();
    const group = new GroupCommit(step);
    const done: string[] = [];
    const first = group.commit('f').then(() => done.push('first'));
    const later = [1, 2, 3].map((i) => group.commit('f').then(() => done.push(`later ${i}`)));
    await settled();
    expect(runs.length).toBe(1); // the next run waits for the current one
    runs[0]!.finish();
    await first;
    await settled();
    expect(done).toEqual(['first']);
    expect(runs.length).toBe(2); // one run for the three who came meanwhile
    runs[1]!.finish();
    await Promise.all(later);
    expect(done).toEqual(['first', 'later 1', 'later 2', 'later 3']);
    // Nothing running: the next caller starts a run of its own at once.
    const alone = group.commit('f');
    expect(runs.length).toBe(3);
    runs[2]!.finish();
    await alone;
  });

  test('keys are apart, and a failed run fails exactly those waiting on it', async () => {
    const { runs, step } = manualStep();
    const group = new GroupCommit(step);
    const a = group.commit('a');
    const b = group.commit('b');
    expect(runs.map((run) => run.key)).toEqual(['a', 'b']);
    const aNext = group.commit('a');
    runs[0]!.finish(new Error('EIO'));
    await expect(a).rejects.toThrow('EIO');
    await settled();
    expect(runs.length).toBe(3); // the next run still happens after a failed one
    runs[2]!.finish();
    await expect(aNext).resolves.toBeUndefined();
    runs[1]!.finish();
    await expect(b).resolves.toBeUndefined();
  });
});
