import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { podmanSandbox } from './support/clients.js';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

// Written by Apache's `htpasswd -B -C 5`: alice / "correct horse", bob / "s3cr:t pass".
const HTPASSWD = [
  '# private instance',
  'alice:$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO',
  'bob:$2y$05$9Z4hlx/LOTMyFCucRPjs2.P/mwlN/gKzs0pgX6H45r9tzxNTRWP9e',
  '',
].join('\n');

let scratch: string;
let registry: TestRegistry;
/** Environment with a fresh, empty credentials file, so no ambient login can leak into a test. */
let clientEnv: Record<string, string>;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'nixery-e2e-auth-'));
  const htpasswd = join(scratch, 'htpasswd');
  await writeFile(htpasswd, HTPASSWD);
  registry = await startTestRegistry({ env: { NIXERY_AUTH_FILE: htpasswd, NIXERY_AUTH_REALM: 'e2e' } });
  clientEnv = { REGISTRY_AUTH_FILE: join(scratch, 'no-such-auth.json') };
});
afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function skopeoInspect(host: string, extra: string[]) {
  return execa('skopeo', ['inspect', '--raw', '--tls-verify=false', ...extra, `docker://${host}/hello`], {
    reject: false,
    timeout: 180_000,
    env: clientEnv,
  });
}

describe('a private instance (NIXERY_AUTH_FILE)', () => {
  test('anonymous GET /v2/ gets 401 with the Basic challenge, in the error format', async () => {
    const response = await fetch(`${registry.url}/v2/`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="e2e", charset="UTF-8"');
    expect(await response.json()).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }],
    });
  });

  test('skopeo inspect works with --creds and fails without or with wrong ones', async () => {
    const anonymous = await skopeoInspect(registry.host, []);
    expect(anonymous.exitCode).not.toBe(0);
    expect(anonymous.stderr).toMatch(/unauthorized|authentication required/i);

    const wrong = await skopeoInspect(registry.host, ['--creds', 'alice:wrong horse']);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/unauthorized|invalid user name or password/i);
    const builds = await metricValue(registry, 'nixery_builds_total');
    expect(builds).toBe(0);

    // bob's password holds a colon and a space: skopeo splits --creds at the first colon.
    const right = await skopeoInspect(registry.host, ['--creds', 'bob:s3cr:t pass']);
    expect(right.stderr).toBe('');
    expect(right.exitCode).toBe(0);
    expect(JSON.parse(right.stdout).layers.length).toBeGreaterThan(1);
  });

  test('podman login stores the credentials and podman pull uses them', async () => {
    const podman = await podmanSandbox();
    const authfile = join(podman.dir, 'auth.json');
    await writeFile(authfile, '{"auths":{}}');
    try {
      const refused = await podman.run([
        'login',
        '--tls-verify=false',
        '--authfile',
        authfile,
        '-u',
        'alice',
        '-p',
        'not it',
        registry.host,
      ]);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toMatch(/unauthorized|invalid username\/password/i);

      const pullWithout = await podman.run(
        ['pull', '--tls-verify=false', '--authfile', authfile, `${registry.host}/hello`],
        180_000,
      );
      expect(pullWithout.exitCode).not.toBe(0);
      expect(pullWithout.stderr).toMatch(/unauthorized|authentication required/i);

      const login = await podman.run([
        'login',
        '--tls-verify=false',
        '--authfile',
        authfile,
        '-u',
        'alice',
        '-p',
        'correct horse',
        registry.host,
      ]);
      expect(login.stdout).toMatch(/Login Succeeded/);
      expect(login.exitCode).toBe(0);
      const stored = JSON.parse(await readFile(authfile, 'utf8'));
      expect(Object.keys(stored.auths)).toEqual([registry.host]);

      const pull = await podman.run(
        ['pull', '--tls-verify=false', '--authfile', authfile, `${registry.host}/hello`],
        180_000,
      );
      expect(pull.stderr).not.toMatch(/Error/);
      expect(pull.exitCode).toBe(0);
      const images = await podman.run(['images', '--format', '{{.Repository}}']);
      expect(images.stdout.split('\n')).toContain(`${registry.host}/hello`);
    } finally {
      await podman.cleanup();
    }
  });
});

describe('an instance without NIXERY_AUTH_FILE', () => {
  test('stays anonymous: skopeo inspect needs no credentials', async () => {
    const open = await startTestRegistry({ storagePath: registry.storagePath });
    try {
      const response = await fetch(`${open.url}/v2/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('www-authenticate')).toBeNull();
      const inspect = await skopeoInspect(open.host, []);
      expect(inspect.stderr).toBe('');
      expect(inspect.exitCode).toBe(0);
    } finally {
      await open.close();
    }
  });
});
