import { describe, expect, test } from 'vitest';
import { createLimit } from '../src/index.js';

describe('createLimit', () => {
  test('never runs more than the limit at once, and runs every task in arrival order', async () => {
    const limit = createLimit(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return i;
    };
    const results = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => limit(task(i))));
    expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(most).toBe(2);
  });

  test('a failing task frees its slot', async () => {
    const limit = createLimit(1);
    await expect(limit(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit(async () => 'next')).resolves.toBe('next');
  });

  test('a limit below 1 is refused', () => {
    expect(() => createLimit(0)).toThrow(/whole number/);
  });
});
