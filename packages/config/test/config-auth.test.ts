import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/index.js';
import { configProblems } from './support/problems.js';

// Entries written by Apache's `htpasswd` 2.4 (-B -C 5 for bcrypt, -m, -s, -d, -p for the others).
const ALICE = 'alice:$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO';
const BOB = 'bob:$2y$05$9Z4hlx/LOTMyFCucRPjs2.P/mwlN/gKzs0pgX6H45r9tzxNTRWP9e';
const CAROL_APR1 = 'carol:$apr1$y3N9nJuu$ehtM5ZzBiANYr.T0eayWH.';
const DAVE_SHA = 'dave:{SHA}GpHWL3ymc5liWkNopqtdSjuqYHM=';
const ERIN_CRYPT = 'erin:v6D138H2bm6bY';
const FRANK_PLAIN = 'frank:pw';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nixery-config-auth-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function htpasswd(name: string, lines: string[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, lines.join('\n'));
  return file;
}

const problems = (env: Record<string, string>) => configProblems({ STORAGE_PATH: '/s', ...env });

describe('NIXERY_AUTH_FILE', () => {
  test('unset keeps the registry anonymous', () => {
    expect(loadConfig({ env: { STORAGE_PATH: '/s' } }).auth).toBeNull();
    expect(loadConfig({ env: { STORAGE_PATH: '/s', NIXERY_AUTH_FILE: '  ' } }).auth).toBeNull();
  });

  test('reads bcrypt entries; comments, blank lines and CRLF endings are fine', async () => {
    const file = await htpasswd('good', ['# team', '', `${ALICE}\r`, `  ${BOB}  `, '']);
    const auth = loadConfig({ env: { STORAGE_PATH: '/s', NIXERY_AUTH_FILE: file } }).auth;
    expect(auth?.file).toBe(file);
    expect(auth?.realm).toBe('nixery');
    expect([...(auth?.users.entries() ?? [])]).toEqual([
      ['alice', ALICE.slice('alice:'.length)],
      ['bob', BOB.slice('bob:'.length)],
    ]);
  });

  test('accepts $2a$ and $2b$ as well as $2y$, and a relative path', async () => {
    const hash = ALICE.slice('alice:'.length);
    const file = await htpasswd('variants', [
      `a:${hash.replace('$2y$', '$2a$')}`,
      `b:${hash.replace('$2y$', '$2b$')}`,
    ]);
    const auth = loadConfig({ env: { STORAGE_PATH: '/s', NIXERY_AUTH_FILE: file } }).auth;
    expect([...(auth?.users.keys() ?? [])]).toEqual(['a', 'b']);
    const fromCwd = loadConfig({
      env: { STORAGE_PATH: '/s', NIXERY_AUTH_FILE: relative(process.cwd(), file) },
    }).auth;
    expect(fromCwd).not.toBeNull();
    expect(fromCwd?.file).toBe(file);
  });

  test('NIXERY_AUTH_REALM names the realm', async () => {
    const file = await htpasswd('realm', [ALICE]);
    const auth = loadConfig({
      env: {
        STORAGE_PATH: '/s',
        NIXERY_AUTH_FILE: file,
        NIXERY_AUTH_REALM: 'Acme images',
      },
    }).auth;
    expect(auth?.realm).toBe('Acme images');
  });

  test('every unsupported entry is its own problem, naming line and user but not the hash', async () => {
    const file = await htpasswd('mixed', [
      ALICE,
      CAROL_APR1,
      DAVE_SHA,
      ERIN_CRYPT,
      FRANK_PLAIN,
      'nocolon',
      ':$2y$',
      BOB,
      'alice:$2b$05$x',
    ]);
    const list = problems({ NIXERY_AUTH_FILE: file });
    expect(list).toEqual([
      `NIXERY_AUTH_FILE "${file}" line 2 (user "carol") has an MD5 (apr1) hash; only bcrypt entries are accepted (write them with htpasswd -B)`,
      `NIXERY_AUTH_FILE "${file}" line 3 (user "dave") has a SHA-1 hash; only bcrypt entries are accepted (write them with htpasswd -B)`,
      `NIXERY_AUTH_FILE "${file}" line 4 (user "erin") has a plain-text or DES crypt password; only bcrypt entries are accepted (write them with htpasswd -B)`,
      `NIXERY_AUTH_FILE "${file}" line 5 (user "frank") has a plain-text or DES crypt password; only bcrypt entries are accepted (write them with htpasswd -B)`,
      `NIXERY_AUTH_FILE "${file}" line 6 is not of the form user:hash`,
      `NIXERY_AUTH_FILE "${file}" line 7 is not of the form user:hash`,
      `NIXERY_AUTH_FILE "${file}" line 9 repeats user "alice"`,
    ]);
    expect(list.join('\n')).not.toMatch(/apr1\$y3N9|GpHWL3|v6D138|:pw/);
  });

  test('a truncated bcrypt hash is reported as malformed', async () => {
    const file = await htpasswd('short', [ALICE.slice(0, -1)]);
    expect(problems({ NIXERY_AUTH_FILE: file })).toEqual([
      `NIXERY_AUTH_FILE "${file}" line 1 (user "alice") has a malformed bcrypt hash; only bcrypt entries are accepted (write them with htpasswd -B)`,
    ]);
  });

  test('a missing file, a directory, an empty file and an unreadable file are problems', async () => {
    const missing = join(dir, 'missing');
    expect(problems({ NIXERY_AUTH_FILE: missing })).toEqual([`NIXERY_AUTH_FILE "${missing}" does not exist`]);
    const folder = join(dir, 'folder');
    await mkdir(folder);
    expect(problems({ NIXERY_AUTH_FILE: folder })).toEqual([
      `NIXERY_AUTH_FILE "${folder}" is not a regular file`,
    ]);
    const empty = await htpasswd('empty', ['# nobody yet', '']);
    expect(problems({ NIXERY_AUTH_FILE: empty })).toEqual([`NIXERY_AUTH_FILE "${empty}" has no users`]);
    // A path through a regular file fails with ENOTDIR, even for root (who may read anything).
    const through = join(empty, 'child');
    expect(problems({ NIXERY_AUTH_FILE: through })).toEqual([
      `NIXERY_AUTH_FILE "${through}" cannot be read (ENOTDIR)`,
    ]);
  });

  test('a bad realm, or a realm without a file, is a problem next to the others', async () => {
    expect(problems({ NIXERY_AUTH_REALM: 'say "hi"', PORT: 'x' })).toEqual([
      'PORT="x" must be a whole number from 0 to 65535',
      'NIXERY_AUTH_REALM="say \\"hi\\"" must be 1 to 128 printable ASCII characters without quotes or backslashes',
      'NIXERY_AUTH_REALM is set but NIXERY_AUTH_FILE is not',
    ]);
    const file = await htpasswd('realm-bad', [ALICE]);
    expect(problems({ NIXERY_AUTH_FILE: file, NIXERY_AUTH_REALM: 'tab\there' })).toHaveLength(1);
  });
});
