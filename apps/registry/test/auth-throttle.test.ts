import { describe, expect, test } from 'vitest';
import { FailureThrottle, TooManyAttemptsError } from '../src/auth-throttle.js';
import { clientKey } from '../src/client-address.js';

function refusal(run: () => unknown): TooManyAttemptsError {
  try {
    run();
  } catch (error) {
    if (error instanceof TooManyAttemptsError) return error;
    throw error;
  }
  throw new Error('expected a TooManyAttemptsError');
}

describe('FailureThrottle', () => {
  test('refuses an address after maxFailures failures until its window ends', () => {
    let now = 0;
    const throttle = new FailureThrottle({ maxFailures: 3, windowMs: 60_000, now: () => now });
    const gate = throttle.forAddress('10.0.0.1');
    for (let i = 0; i < 3; i++) gate.begin()('failure');
    now = 20_000;
    expect(refusal(() => gate.begin()).retryAfterSeconds).toBe(40);
    // Another address is not affected.
    expect(() => throttle.forAddress('10.0.0.2').begin()).not.toThrow();
    now = 60_000;
    expect(() => gate.begin()('success')).not.toThrow();
  });

  test('successes and unfinished checks do not count as failures', () => {
    const throttle = new FailureThrottle({ maxFailures: 2, maxConcurrent: 5 });
    const gate = throttle.forAddress('a');
    for (let i = 0; i < 10; i++) gate.begin()('success');
    for (let i = 0; i < 10; i++) gate.begin()('none');
    gate.begin()('failure');
    expect(() => gate.begin()('failure')).not.toThrow();
    expect(() => gate.begin()).toThrow(TooManyAttemptsError);
  });

  test('at most maxConcurrent checks per address run at once; running ones use up failures too', () => {
    const throttle = new FailureThrottle({ maxFailures: 10, maxConcurrent: 2 });
    const gate = throttle.forAddress('a');
    const first = gate.begin();
    gate.begin();
    expect(refusal(() => gate.begin()).retryAfterSeconds).toBe(1);
    first('failure');
    expect(() => gate.begin()).not.toThrow();

    const tight = new FailureThrottle({ maxFailures: 2, maxConcurrent: 5 }).forAddress('b');
    tight.begin()('failure');
    tight.begin();
    expect(() => tight.begin()).toThrow(TooManyAttemptsError);
  });

  test('ending a check twice counts it once', () => {
    const gate = new FailureThrottle({ maxFailures: 2 }).forAddress('a');
    const end = gate.begin();
    end('failure');
    end('failure');
    expect(() => gate.begin()('failure')).not.toThrow();
  });

  test('state is kept for a bounded number of addresses', () => {
    const throttle = new FailureThrottle({ maxAddresses: 100 });
    for (let i = 0; i < 1_000; i++) throttle.forAddress(`10.0.${i >> 8}.${i & 255}`).begin()('failure');
    expect(throttle.size).toBe(100);
  });
});

describe('clientKey', () => {
  test.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002::9', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s → %s', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });
});
