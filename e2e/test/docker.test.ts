// Docker Engine (Debian's docker.io, 20.10) against the running registry: the headline
// `docker pull host/shell/git:latest` with the real client. One private dockerd serves the whole
// file; images pulled by one test are reused by the next to keep the file's time modest.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dockerSandbox } from './support/clients.js';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
// Written by Apache's `htpasswd -B -C 5`: alice / "correct horse".
const HTPASSWD = 'alice:$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO\n';

let registry: TestRegistry;
let docker: Awaited<ReturnType<typeof dockerSandbox>>;

beforeAll(async () => {
  registry = await startTestRegistry();
  docker = await dockerSandbox();
}, 180_000);
afterAll(async () => {
  await docker?.cleanup();
  await registry?.stop();
}, 120_000);

/** The digest the registry serves for `name:latest` in the manifest format `accept` names. */
async function servedDigest(name: string, accept = DOCKER_MANIFEST): Promise<string> {
  const head = await fetch(`${registry.url}/v2/${name}/manifests/latest`, {
    method: 'HEAD',
    headers: { accept },
  });
  expect(head.status).toBe(200);
  return head.headers.get('docker-content-digest')!;
}

const blobGets = () => metricValue(registry, 'nixery_http_requests_total', { route: 'blob', method: 'GET' });

// A pull builds the image first; on a loaded two-core machine that takes longer than 60 s.
describe('Docker Engine', { timeout: 240_000 }, () => {
  test('pulls hello by tag and runs it', async () => {
    const image = `${registry.host}/hello:latest`;
    const pull = await docker.docker(['pull', image], { timeout: 180_000 });
    expect(pull.stderr).toBe('');
    expect(pull.exitCode).toBe(0);
    expect(pull.stdout).toContain(`Status: Downloaded newer image for ${image}`);
    // dockerd 20.10 lists its six Accept types in Go map order, a different rotation per
    // request, so a tag pull gets the Docker or the OCI manifest; both share one config (so one
    // image ID).
    const digest = /^Digest: (sha256:[0-9a-f]{64})$/m.exec(pull.stdout)?.[1];
    expect([await servedDigest('hello'), await servedDigest('hello', OCI_MANIFEST)]).toContain(digest);

    const run = await docker.runContainer(image, ['hello']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('Hello, world!');
    expect(run.exitCode).toBe(0);
  });

  test('a second pull downloads nothing: "Image is up to date", no blob fetched', async () => {
    const image = `${registry.host}/hello:latest`;
    const before = await blobGets();
    const again = await docker.docker(['pull', image]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain(`Status: Image is up to date for ${image}`);
    expect(await blobGets()).toBe(before);
  });

  test('pulls shell/hello by digest and runs a shell command in it; the image has a date', async () => {
    const digest = await servedDigest('shell/hello');
    const image = `${registry.host}/shell/hello@${digest}`;
    const pull = await docker.docker(['pull', image], { timeout: 180_000 });
    expect(pull.stderr).toBe('');
    expect(pull.exitCode).toBe(0);
    expect(pull.stdout).toContain(`Digest: ${digest}`);

    const run = await docker.runContainer(image, ['sh', '-c', 'echo "$((6 * 7)) $(ls -d /tmp)" && hello']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('42 /tmp\nHello, world!');

    const inspect = await docker.docker(['image', 'inspect', image]);
    const [details] = JSON.parse(inspect.stdout);
    expect(details.RepoDigests).toEqual([`${registry.host}/shell/hello@${digest}`]);
    expect(details.Created).toBe('1970-01-01T00:00:01Z');
    expect(details.Architecture).toBe('amd64');
    expect(details.Os).toBe('linux');
  });

  test('a multi-package image: shell/git/hello has bash as Cmd, its Env, and all three programs', async () => {
    const image = `${registry.host}/shell/git/hello`;
    const pull = await docker.docker(['pull', image], { timeout: 180_000 });
    expect(pull.exitCode).toBe(0);
    const inspect = await docker.docker(['image', 'inspect', image]);
    const [details] = JSON.parse(inspect.stdout);
    expect(details.Config.Cmd).toEqual(['bash']);
    expect(details.Config.Env).toEqual(
      expect.arrayContaining(['PATH=/bin:/usr/bin', 'SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt']),
    );
    expect(details.RootFS.Layers.length).toBeGreaterThan(1);

    const run = await docker.runContainer(image, [
      'bash',
      '-c',
      'hello && git --version && test -e "$SSL_CERT_FILE" && echo ok',
    ]);
    expect(run.stderr).toBe('');
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Hello, world!');
    expect(lines[1]).toMatch(/^git .*\(demo build\)$/);
    expect(lines[2]).toBe('ok');
  });

  test('docker manifest inspect --insecure shows the Docker schema 2 manifest the registry serves', async () => {
    const inspect = await docker.docker([
      'manifest',
      'inspect',
      '--insecure',
      `${registry.host}/shell/hello`,
    ]);
    expect(inspect.stderr).toBe('');
    expect(inspect.exitCode).toBe(0);
    const manifest = JSON.parse(inspect.stdout);
    expect(manifest.schemaVersion).toBe(2);
    // The CLI asks for Docker schema 2, a manifest list or an OCI index (not an OCI manifest).
    expect(manifest.mediaType).toBe(DOCKER_MANIFEST);
    const served = await fetch(`${registry.url}/v2/shell/hello/manifests/latest`, {
      headers: { accept: DOCKER_MANIFEST },
    });
    const expected = (await served.json()) as { config: unknown; layers: unknown[] };
    expect(manifest.config).toEqual(expected.config);
    expect(manifest.layers).toEqual(expected.layers);
  });

  test('an unknown package: the pull fails and Docker’s message names it', async () => {
    const pull = await docker.docker(['pull', `${registry.host}/hello/nosuchpackage`]);
    expect(pull.exitCode).not.toBe(0);
    expect(pull.stderr).toMatch(/manifest unknown/);
    expect(pull.stderr).toContain('nosuchpackage');
  });
});

describe('Docker Engine against a private instance (--auth-file)', { timeout: 240_000 }, () => {
  let scratch: string;
  let privateRegistry: TestRegistry;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'nixery-docker-auth-'));
    const htpasswd = join(scratch, 'htpasswd');
    await writeFile(htpasswd, HTPASSWD);
    // Same storage as the open instance: the images are built already.
    privateRegistry = await startTestRegistry({
      storagePath: registry.storagePath,
      env: { NIXERY_AUTH_FILE: htpasswd, NIXERY_AUTH_REALM: 'docker-e2e' },
    });
  });
  afterAll(async () => {
    await privateRegistry?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('pull is refused before docker login, a wrong password is refused, and pull works after login', async () => {
    const host = privateRegistry.host;
    const image = `${host}/shell/hello:latest`;
    const refused = await docker.docker(['pull', image]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/no basic auth credentials|unauthorized/);

    const wrong = await docker.docker(['login', '-u', 'alice', '--password-stdin', host], {
      input: 'wrong horse',
    });
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/unauthorized|invalid user name or password/i);

    const login = await docker.docker(['login', '-u', 'alice', '--password-stdin', host], {
      input: 'correct horse',
    });
    expect(login.stdout).toContain('Login Succeeded');
    expect(login.exitCode).toBe(0);
    const stored = JSON.parse(await readFile(join(docker.dir, 'client', 'config.json'), 'utf8'));
    expect(Object.keys(stored.auths)).toEqual([host]);

    const pull = await docker.docker(['pull', image], { timeout: 180_000 });
    expect(pull.stderr).toBe('');
    expect(pull.exitCode).toBe(0);
    expect(pull.stdout).toMatch(
      new RegExp(`Status: (Downloaded newer image|Image is up to date) for ${image}`),
    );
    const run = await docker.runContainer(image, ['sh', '-c', 'hello']);
    expect(run.stdout).toBe('Hello, world!');

    const logout = await docker.docker(['logout', host]);
    expect(logout.exitCode).toBe(0);
    const afterLogout = await docker.docker(['pull', image]);
    expect(afterLogout.exitCode).not.toBe(0);
  });
});
