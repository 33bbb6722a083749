import { describe, expect, test } from 'vitest';
import { AdmissionGate, AdmissionRefusedError } from '../src/admission.js';

/** A build the test finishes by hand, recording the signal it was started with. */
function manualBuild() {
  let finish!: (value: string) => void;
  let fail!: (error: unknown) => void;
  let startedWith: AbortSignal | null = null;
  const done = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    start: (signal: AbortSignal) => {
      startedWith = signal;
      signal.addEventListener('abort', () => fail(signal.reason), { once: true });
      return done;
    },
    finish: (value: string) => finish(value),
    get started() {
      return startedWith !== null;
    },
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('AdmissionGate', () => {
  test('runs at most maxBuilds at once, queues up to the limit and refuses the rest with queue-full', async () => {
    const refused: string[] = [];
    const states: { running: number; queued: number }[] = [];
    const gate = new AdmissionGate({
      maxBuilds: 2,
      queueLimit: 1,
      onRefused: (reason) => refused.push(reason),
      onChange: (state) => states.push(state),
    });
    const builds = [manualBuild(), manualBuild(), manualBuild(), manualBuild()];
    const results = builds.map((b) =>
      gate.run(new AbortController().signal, b.start).catch((e: unknown) => e),
    );
    await tick();
    expect(builds.map((b) => b.started)).toEqual([true, true, false, false]);
    expect(gate.state).toEqual({ running: 2, queued: 1, draining: false });
    const rejected = await results[3];
    expect(rejected).toBeInstanceOf(AdmissionRefusedError);
    expect((rejected as AdmissionRefusedError).reason).toBe('queue-full');
    expect((rejected as AdmissionRefusedError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused).toEqual(['queue-full']);

    builds[0]!.finish('a');
    expect(await results[0]).toBe('a');
    await tick();
    // The queued build took the freed place.
    expect(builds[2]!.started).toBe(true);
    expect(gate.state).toEqual({ running: 2, queued: 0, draining: false });
    builds[1]!.finish('b');
    builds[2]!.finish('c');
    expect(await Promise.all(results.slice(1, 3))).toEqual(['b', 'c']);
    expect(gate.state.running).toBe(0);
    expect(Math.max(...states.map((s) => s.running))).toBe(2);
  });

  test('a queued build whose waiters all left gives up its place without starting', async () => {
    const gate = new AdmissionGate({ maxBuilds: 1, queueLimit: 1 });
    const running = manualBuild();
    const first = gate.run(new AbortController().signal, running.start);
    const leaving = new AbortController();
    const queued = manualBuild();
    const second = gate.run(leaving.signal, queued.start).catch((e: unknown) => e);
    await tick();
    expect(gate.state.queued).toBe(1);
    leaving.abort(new Error('client gone'));
    expect(((await second) as Error).message).toBe('client gone');
    expect(gate.state.queued).toBe(0);
    // Its place is free again: another build may queue.
    const third = manualBuild();
    const later = gate.run(new AbortController().signal, third.start);
    running.finish('1');
    await first;
    await tick();
    expect(queued.started).toBe(false);
    expect(third.started).toBe(true);
    third.finish('3');
    expect(await later).toBe('3');
  });

  test('draining refuses queued and new builds, lets running ones finish, and abortAll stops them', async () => {
    const refused: string[] = [];
    const gate = new AdmissionGate({ maxBuilds: 2, queueLimit: 5, onRefused: (r) => refused.push(r) });
    const finishing = manualBuild();
    const stopped = manualBuild();
    const queued = manualBuild();
    const a = gate.run(new AbortController().signal, finishing.start);
    const b = gate.run(new AbortController().signal, stopped.start).catch((e: unknown) => e);
    const c = gate.run(new AbortController().signal, queued.start).catch((e: unknown) => e);
    await tick();
    let drained = false;
    const draining = gate.drain().then(() => {
      drained = true;
    });
    expect(((await c) as AdmissionRefusedError).reason).toBe('draining');
    await expect(gate.run(new AbortController().signal, manualBuild().start)).rejects.toMatchObject({
      reason: 'draining',
    });
    expect(refused).toEqual(['draining', 'draining']);

    finishing.finish('done');
    expect(await a).toBe('done');
    await tick();
    expect(drained).toBe(false);
    gate.abortAll(new AdmissionRefusedError('draining', 'shut down', 1));
    const outcome = await b;
    expect(outcome).toBeInstanceOf(AdmissionRefusedError);
    await draining;
    expect(gate.state).toEqual({ running: 0, queued: 0, draining: true });
    expect(queued.started).toBe(false);
  });
});
