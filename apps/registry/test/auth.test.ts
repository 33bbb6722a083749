import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@nixery/config';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningRegistry, startRegistry } from '../src/index.js';

// `htpasswd -B -C 5`: alice / "correct horse", bob / "s3cr:t pass".
const HTPASSWD = [
  'alice:$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO',
  'bob:$2y$05$9Z4hlx/LOTMyFCucRPjs2.P/mwlN/gKzs0pgX6H45r9tzxNTRWP9e',
].join('\n');
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let dir: string;
let registry: RunningRegistry;
let anonymous: RunningRegistry;
const logLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nixery-registry-auth-'));
  const file = join(dir, 'htpasswd');
  await writeFile(file, HTPASSWD);
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  registry = await startRegistry({
    config: loadConfig({
      env: {
        STORAGE_PATH: join(dir, 'private'),
        PORT: '0',
        NIXERY_AUTH_FILE: file,
        NIXERY_AUTH_REALM: 'Acme images',
      },
    }),
    host: '127.0.0.1',
    logger,
  });
  anonymous = await startRegistry({
    config: loadConfig({ env: { STORAGE_PATH: join(dir, 'public'), PORT: '0' } }),
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await registry?.close();
  await anonymous?.close();
  await rm(dir, { recursive: true, force: true });
});

async function expectChallenge(response: Response, message: string, protocolRoute = true) {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Basic realm="Acme images", charset="UTF-8"');
  if (protocolRoute) expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(await response.json()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message, detail: null }] });
}

describe('a registry with NIXERY_AUTH_FILE', () => {
  test('GET /v2/ without credentials is a 401 with the Basic challenge', async () => {
    await expectChallenge(await fetch(`${registry.url}/v2/`), 'authentication required');
  });

  test('wrong password, unknown user and other schemes are 401s', async () => {
    const wrong = await fetch(`${registry.url}/v2/`, { headers: { authorization: basic('alice', 'nope') } });
    await expectChallenge(wrong, 'invalid user name or password');
    const unknown = await fetch(`${registry.url}/v2/`, {
      headers: { authorization: basic('mallory', 'correct horse') },
    });
    await expectChallenge(unknown, 'invalid user name or password');
    const bearer = await fetch(`${registry.url}/v2/`, { headers: { authorization: 'Bearer abc' } });
    await expectChallenge(bearer, 'authentication required');
  });

  test('the right credentials open /v2/', async () => {
    for (const [user, password] of [
      ['alice', 'correct horse'],
      ['bob', 's3cr:t pass'],
    ] as const) {
      const response = await fetch(`${registry.url}/v2/`, {
        headers: { authorization: basic(user, password) },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({});
    }
  });

  test('every /v2/ route is closed, checked before any build; HEAD gets no body', async () => {
    for (const path of [
      '/v2/hello/manifests/latest',
      '/v2/hello/tags/list',
      `/v2/hello/blobs/sha256:${'0'.repeat(64)}`,
    ]) {
      await expectChallenge(await fetch(`${registry.url}${path}`), 'authentication required');
    }
    const head = await fetch(`${registry.url}/v2/hello/manifests/latest`, { method: 'HEAD' });
    expect(head.status).toBe(401);
    expect(head.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await head.text()).toBe('');
    const tags = await fetch(`${registry.url}/v2/hello/tags/list`, {
      headers: { authorization: basic('alice', 'correct horse') },
    });
    expect(await tags.json()).toEqual({ name: 'hello', tags: ['latest'] });
  });

  test('the front page and /healthz stay public; /metrics needs credentials', async () => {
    expect((await fetch(`${registry.url}/`)).status).toBe(200);
    expect((await fetch(`${registry.url}/healthz`)).status).toBe(200);
    await expectChallenge(await fetch(`${registry.url}/metrics`), 'authentication required', false);
    const metrics = await fetch(`${registry.url}/metrics`, {
      headers: { authorization: basic('bob', 's3cr:t pass') },
    });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/nixery_http_requests_total\{[^}]*status="401"/);
  });

  test('credentials never reach the log', async () => {
    const header = basic('alice', 'correct horse');
    await fetch(`${registry.url}/v2/?probe=log`, { headers: { authorization: header } });
    await fetch(`${registry.url}/v2/?probe=log`, { headers: { authorization: basic('alice', 'guess') } });
    // Query values are redacted too (names stay), so the probe is found by its redacted form.
    const logged = logLines.filter((line) => line.includes('/v2/?probe=[redacted]'));
    expect(logged).toHaveLength(2);
    expect(logLines.join('')).not.toContain('probe=log');
    const all = logLines.join('');
    expect(all).not.toContain(header.slice('Basic '.length));
    expect(all).not.toContain('correct horse');
    expect(all).not.toContain('guess');
    expect(logged[0]).toContain('"authorization":"[redacted]"');
  });
});

describe('a registry without NIXERY_AUTH_FILE', () => {
  test('stays anonymous, ignoring any credentials sent', async () => {
    const plain = await fetch(`${anonymous.url}/v2/`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('www-authenticate')).toBeNull();
    const withCredentials = await fetch(`${anonymous.url}/v2/`, {
      headers: { authorization: basic('x', 'y') },
    });
    expect(withCredentials.status).toBe(200);
    expect((await fetch(`${anonymous.url}/metrics`)).status).toBe(200);
  });
});
