import { describe, expect, test } from 'vitest';
import { parseStorePath } from '../src/store-path.js';

const hash = 'a'.repeat(32);

describe('parseStorePath (the version starts at the first dash followed by a digit)', () => {
  test.each([
    ['git-2.44.0', 'git', '2.44.0'],
    ['xz-5.4.6-bin', 'xz', '5.4.6-bin'],
    ['hello-world', 'hello-world', null],
    ['python3.11-requests-2.31.0', 'python3.11-requests', '2.31.0'],
    ['glibc-2.39-52', 'glibc', '2.39-52'],
    ['nixery-env', 'nixery-env', null],
    ['openssl-3.0.13-dev', 'openssl', '3.0.13-dev'],
    ['a-1', 'a', '1'],
    ['2048-game', '2048-game', null],
  ])('%s → %s %s', (base, name, version) => {
    expect(parseStorePath(`/nix/store/${hash}-${base}`)).toEqual({ hash, name, version });
  });

  test('any store directory; a base name without a hash is a name', () => {
    expect(parseStorePath(`/opt/store/${hash}-htop-3.3.0`)).toEqual({ hash, name: 'htop', version: '3.3.0' });
    expect(parseStorePath('htop-3.3.0')).toEqual({ hash: '', name: 'htop', version: '3.3.0' });
  });
});
