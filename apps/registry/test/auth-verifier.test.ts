import bcrypt from 'bcryptjs';
import { describe, expect, test } from 'vitest';
import { PasswordVerifier } from '../src/auth-verifier.js';

// Written by Apache's `htpasswd -B` (2.4), except the $2a$ vector from Openwall's crypt_blowfish tests.
const ALICE = '$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO'; // correct horse
const BOB = '$2y$05$9Z4hlx/LOTMyFCucRPjs2.P/mwlN/gKzs0pgX6H45r9tzxNTRWP9e'; // s3cr:t pass
const ZOE = '$2y$04$Jxl02cOpRNqXac3gna/YIuUEgRglrfg5Fp8UKP6KbInndzIahg8zq'; // pässwörd
const OPENWALL = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'; // U*U

function verifier(options: ConstructorParameters<typeof PasswordVerifier>[1] = {}) {
  return new PasswordVerifier(
    new Map([
      ['alice', ALICE],
      ['bob', BOB],
      ['zoë', ZOE],
      ['openwall', OPENWALL],
      ['node', bcrypt.hashSync('from bcryptjs', 4)], // $2b$
    ]),
    options,
  );
}

describe('PasswordVerifier', () => {
  test('accepts the right passwords for $2y$, $2a$ and $2b$ hashes', async () => {
    const v = verifier();
    expect(await v.verify('alice', 'correct horse')).toBe(true);
    expect(await v.verify('bob', 's3cr:t pass')).toBe(true);
    expect(await v.verify('zoë', 'pässwörd')).toBe(true);
    expect(await v.verify('openwall', 'U*U')).toBe(true);
    expect(await v.verify('node', 'from bcryptjs')).toBe(true);
  });

  test("rejects wrong passwords, another user's password and unknown users", async () => {
    const v = verifier();
    expect(await v.verify('alice', 'correct horse ')).toBe(false);
    expect(await v.verify('alice', '')).toBe(false);
    expect(await v.verify('alice', 's3cr:t pass')).toBe(false);
    expect(await v.verify('Alice', 'correct horse')).toBe(false);
    expect(await v.verify('mallory', 'correct horse')).toBe(false);
  });

  test('an unknown user costs a bcrypt run, like a known one', async () => {
    const v = verifier();
    await v.verify('mallory', 'x');
    expect(v.bcryptRuns).toBe(1);
  });

  test('a success is remembered for the TTL, then checked again', async () => {
    let now = 1_000;
    const v = verifier({ cacheTtlMs: 60_000, now: () => now });
    expect(await v.verify('alice', 'correct horse')).toBe(true);
    expect(await v.verify('alice', 'correct horse')).toBe(true);
    expect(v.bcryptRuns).toBe(1);
    now += 60_001;
    expect(await v.verify('alice', 'correct horse')).toBe(true);
    expect(v.bcryptRuns).toBe(2);
  });

  test('failures are not remembered', async () => {
    const v = verifier();
    expect(await v.verify('alice', 'nope')).toBe(false);
    expect(await v.verify('alice', 'nope')).toBe(false);
    expect(v.bcryptRuns).toBe(2);
  });

  test('a remembered success does not let a different password in', async () => {
    const v = verifier();
    expect(await v.verify('alice', 'correct horse')).toBe(true);
    expect(await v.verify('alice', 'correct horsf')).toBe(false);
    expect(await v.verify('bob', 'correct horse')).toBe(false);
  });

  test('concurrent checks of the same credentials share one bcrypt run', async () => {
    const v = verifier();
    const results = await Promise.all(Array.from({ length: 8 }, () => v.verify('bob', 's3cr:t pass')));
    expect(results).toEqual(Array(8).fill(true));
    expect(v.bcryptRuns).toBe(1);
  });

  test('the cache is bounded: the oldest success is forgotten first', async () => {
    const v = verifier({ maxCacheEntries: 2 });
    await v.verify('alice', 'correct horse');
    await v.verify('bob', 's3cr:t pass');
    await v.verify('openwall', 'U*U');
    expect(v.bcryptRuns).toBe(3);
    await v.verify('openwall', 'U*U');
    await v.verify('bob', 's3cr:t pass');
    expect(v.bcryptRuns).toBe(3);
    await v.verify('alice', 'correct horse');
    expect(v.bcryptRuns).toBe(4);
  });

  test('needs at least one user', () => {
    expect(() => new PasswordVerifier(new Map())).toThrow(/at least one user/);
  });
});
