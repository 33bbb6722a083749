import { describe, expect, test } from 'vitest';
import { SingleFlight } from '../src/index.js';

/** A promise with its resolve/reject exposed, to hold a "build" open. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  test('N concurrent callers share one execution and one result', async () => {
    const flights = new SingleFlight<string, { built: number }>();
    const gate = deferred<void>();
    let builds = 0;
    const build = async () => {
      builds++;
      await gate.promise;
      return { built: builds };
    };

    const callers = Array.from({ length: 20 }, () => flights.run('shell/hello', build));
    expect(flights.isRunning('shell/hello')).toBe(true);
    gate.resolve();
    const results = await Promise.all(callers);

    expect(builds).toBe(1);
    expect(new Set(results).size).toBe(1);
    expect(results[0]).toEqual({ built: 1 });
    expect(flights.running).toBe(0);
  });

  test('different keys run independently', async () => {
    const flights = new SingleFlight<string, string>();
    const started: string[] = [];
    const results = await Promise.all(
      ['a', 'b', 'a', 'c', 'b'].map((key) =>
        flights.run(key, async () => {
          started.push(key);
          await new Promise((resolve) => setTimeout(resolve, 5));
          return key.toUpperCase();
        }),
      ),
    );
    expect(results).toEqual(['A', 'B', 'A', 'C', 'B']);
    expect(started.sort()).toEqual(['a', 'b', 'c']);
  });

  test('an error reaches every waiter, is not cached, and the next call builds again', async () => {
    const flights = new SingleFlight<string, string>();
    const gate = deferred<void>();
    let attempts = 0;
    const failing = async () => {
      attempts++;
      await gate.promise;
      throw new Error(`nix-build failed (attempt ${attempts})`);
    };
    const waiters = Array.from({ length: 5 }, () => flights.run('broken', failing));
    gate.resolve();
    const outcomes = await Promise.allSettled(waiters);
    expect(outcomes.map((o) => o.status)).toEqual(Array(5).fill('rejected'));
    const errors = new Set(outcomes.map((o) => (o as PromiseRejectedResult).reason));
    expect(errors.size).toBe(1);
    expect([...errors][0]).toHaveProperty('message', 'nix-build failed (attempt 1)');
    expect(flights.isRunning('broken')).toBe(false);

    expect(await flights.run('broken', async () => `ok after ${++attempts - 1} failure`)).toBe(
      'ok after 1 failure',
    );
    expect(attempts).toBe(2);
  });

  test('a synchronous throw inside work is delivered like a rejection', async () => {
    const flights = new SingleFlight<string, string>();
    const work = (() => {
      throw new Error('bad input');
    }) as () => Promise<string>;
    await expect(flights.run('k', work)).rejects.toThrow('bad input');
    expect(flights.running).toBe(0);
  });

  test('a waiter that goes away stops waiting, but the build finishes for the others', async () => {
    const flights = new SingleFlight<string, string>();
    const gate = deferred<void>();
    let finished = false;
    const build = async () => {
      await gate.promise;
      finished = true;
      return 'image';
    };

    const leaving = new AbortController();
    const impatient = flights.run('k', build, { signal: leaving.signal });
    const patient = flights.run('k', build);
    leaving.abort(new Error('client disconnected'));
    await expect(impatient).rejects.toThrow('client disconnected');
    expect(finished).toBe(false);
    expect(flights.isRunning('k')).toBe(true);

    gate.resolve();
    expect(await patient).toBe('image');
    expect(finished).toBe(true);
  });

  test('when every waiter leaves, the build still completes and its failure is not unhandled', async () => {
    const flights = new SingleFlight<string, string>();
    const gate = deferred<void>();
    const leaving = new AbortController();
    let settled = false;
    const abandoned = flights.run(
      'k',
      async () => {
        await gate.promise;
        settled = true;
        throw new Error('failed with nobody listening');
      },
      { signal: leaving.signal },
    );
    leaving.abort(new Error('gone'));
    await expect(abandoned).rejects.toThrow('gone');
    gate.resolve();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(true);
    expect(flights.running).toBe(0);
  });

  test('a caller whose signal is already aborted is refused without starting a build', async () => {
    const flights = new SingleFlight<string, number>();
    let runs = 0;
    const controller = new AbortController();
    controller.abort(new Error('already gone'));
    await expect(flights.run('k', async () => ++runs, { signal: controller.signal })).rejects.toThrow(
      'already gone',
    );
    expect(runs).toBe(0);
    expect(flights.isRunning('k')).toBe(false);
    expect(await flights.run('k', async () => ++runs)).toBe(1);
  });

  describe('aborting the work when nobody waits', () => {
    test('the work’s signal aborts only when the last waiter leaves', async () => {
      const flights = new SingleFlight<string, string>();
      const gate = deferred<void>();
      let workSignal: AbortSignal | undefined;
      const build = async (signal: AbortSignal) => {
        workSignal = signal;
        await gate.promise;
        return 'image';
      };
      const first = new AbortController();
      const second = new AbortController();
      const a = flights.run('k', build, { signal: first.signal });
      const b = flights.run('k', build, { signal: second.signal });
      await Promise.resolve();
      first.abort(new Error('first client gone'));
      await expect(a).rejects.toThrow('first client gone');
      expect(workSignal?.aborted).toBe(false);
      expect(flights.isRunning('k')).toBe(true);

      second.abort(new Error('second client gone'));
      await expect(b).rejects.toThrow('second client gone');
      expect(workSignal?.aborted).toBe(true);
      expect(workSignal?.reason).toHaveProperty('message', 'second client gone');
      expect(flights.isRunning('k')).toBe(false);
      gate.resolve();
    });

    test('a waiter without a signal keeps the work going', async () => {
      const flights = new SingleFlight<string, string>();
      const gate = deferred<void>();
      let workSignal: AbortSignal | undefined;
      const build = async (signal: AbortSignal) => {
        workSignal = signal;
        await gate.promise;
        return 'image';
      };
      const leaving = new AbortController();
      const impatient = flights.run('k', build, { signal: leaving.signal });
      const patient = flights.run('k', build);
      leaving.abort(new Error('gone'));
      await expect(impatient).rejects.toThrow('gone');
      expect(workSignal?.aborted).toBe(false);
      gate.resolve();
      expect(await patient).toBe('image');
      expect(workSignal?.aborted).toBe(false);
    });

    test('a caller arriving after everyone left starts new work instead of joining the aborted one', async () => {
      const flights = new SingleFlight<string, number>();
      let runs = 0;
      const build = (signal: AbortSignal) => {
        const run = ++runs;
        return new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => resolve(run), 20);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(signal.reason);
          });
        });
      };
      const leaving = new AbortController();
      const abandoned = flights.run('k', build, { signal: leaving.signal });
      leaving.abort(new Error('gone'));
      await expect(abandoned).rejects.toThrow('gone');
      expect(await flights.run('k', build)).toBe(2);
      expect(runs).toBe(2);
    });

    test('a waiter that joins later is counted too', async () => {
      const flights = new SingleFlight<string, string>();
      const gate = deferred<void>();
      let workSignal: AbortSignal | undefined;
      const build = async (signal: AbortSignal) => {
        workSignal = signal;
        await gate.promise;
        return 'image';
      };
      const first = new AbortController();
      const late = new AbortController();
      const a = flights.run('k', build, { signal: first.signal });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const b = flights.run('k', build, { signal: late.signal });
      first.abort(new Error('gone'));
      await expect(a).rejects.toThrow('gone');
      expect(workSignal?.aborted).toBe(false);
      gate.resolve();
      expect(await b).toBe('image');
    });
  });
});
