import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, test } from 'vitest';
import { BcryptPool, BcryptPoolBusyError } from '../src/bcrypt-pool.js';

// Cost 8: tens of milliseconds per check in bcryptjs, long enough to see a blocked event loop.
const HASH = bcrypt.hashSync('right', 8);
// Cost 9 (twice the work) where the checks must take a while: ten cost-8 checks on two idle
// cores finished in 98 ms once, under the 100 ms the utilisation figure needs to mean anything.
const SLOW_HASH = bcrypt.hashSync('right', 9);
const pool = new BcryptPool({ size: 2, maxQueue: 8 });
afterAll(() => pool.close());

describe('BcryptPool', () => {
  test('compares like bcryptjs; a malformed hash is a mismatch, not a crash', async () => {
    expect(await pool.compare('right', HASH)).toBe(true);
    expect(await pool.compare('wrong', HASH)).toBe(false);
    expect(await pool.compare('right', 'not a hash')).toBe(false);
    expect(await pool.compare('right', HASH)).toBe(true);
  });

  test('checks run off the event loop: the loop stays idle while many checks run', async () => {
    await pool.compare('warm', SLOW_HASH);
    // Event-loop utilisation counts the time the main thread spends running code rather than
    // waiting: bcrypt on this thread would keep it near 1 whatever else the machine does.
    const before = performance.eventLoopUtilization();
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => pool.compare(`guess ${i}`, SLOW_HASH)),
    );
    const elapsed = performance.now() - started;
    const utilisation = performance.eventLoopUtilization(before).utilization;
    expect(results).toEqual(Array(10).fill(false));
    // Ten cost-9 checks take a while, and the main thread is idle for most of it.
    expect(elapsed).toBeGreaterThan(100);
    expect(utilisation).toBeLessThan(0.5);
  });

  test('a full queue refuses more checks at once', async () => {
    const small = new BcryptPool({ size: 1, maxQueue: 2 });
    try {
      const running = [small.compare('a', HASH), small.compare('b', HASH), small.compare('c', HASH)];
      await expect(small.compare('d', HASH)).rejects.toBeInstanceOf(BcryptPoolBusyError);
      expect(await Promise.all(running)).toEqual([false, false, false]);
      expect(small.waiting).toBe(0);
    } finally {
      await small.close();
    }
  });

  test('a closed pool refuses checks and fails the waiting ones', async () => {
    const closing = new BcryptPool({ size: 1 });
    const outcomes = Promise.allSettled([closing.compare('a', HASH), closing.compare('b', HASH)]);
    await closing.close();
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/closed/);
    }
    await expect(closing.compare('c', HASH)).rejects.toThrow(/closed/);
  });
});
