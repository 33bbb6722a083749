// Graceful shutdown of the real `nixery serve`: SIGTERM stops listening, says not ready, refuses
// new builds with 503 and lets the builds in flight finish (NIXERY_SHUTDOWN_TIMEOUT); past the
// deadline the builds are stopped, and no partial blob is ever left under a digest.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, test } from 'vitest';
import { registryError, stagingNames, storageProblems, waitFor } from './support/faults.js';
import { nixProcessesOf, type ServeProcess, startServe } from './support/serve-process.js';

const BUNDLED_SET = fileURLToPath(new URL('../../nix/pkgs', import.meta.url));
const ACCEPT = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };

/** One request over `agent` (keep-alive: the connection outlives the listening socket). */
function get(agent: Agent, url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(url, { agent, headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

/**
 * A git repository holding the bundled set plus `slowunique`, a package built for the first time
 * by this test run (its name carries a nonce) that sleeps `seconds` in its build. Its commit is a
 * pinned source: the image record is kept in storage, so a restarted server serves the tag
 * without asking Nix.
 */
async function slowPackageRepo(dir: string, seconds: number): Promise<string> {
  const nonce = randomUUID().replaceAll('-', '');
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'default.nix'),
    `args:
let base = import ${BUNDLED_SET} args; in
base // {
  slowunique = derivation {
    name = "slow-unique-${nonce}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/sleep ${seconds}; /bin/mkdir -p $out/share; echo ${nonce} > $out/share/nonce" ];
  };
}
`,
  );
  const git = (...args: string[]) => execa('git', args, { cwd: dir });
  await git('init', '-q');
  await git('add', '.');
  await git('-c', 'user.name=test', '-c', 'user.email=test@example.org', 'commit', '-qm', 'set');
  return (await git('rev-parse', 'HEAD')).stdout.trim();
}

describe('graceful shutdown', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const stopLater = (server: ServeProcess) =>
    cleanups.push(async () => {
      server.child.kill('SIGKILL');
      await server.exited;
    });

  test('SIGTERM during a build: not ready, new builds 503, the build completes, and a restart serves it from storage without Nix', {
    timeout: 300_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nixery-shutdown-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const commit = await slowPackageRepo(join(dir, 'repo'), 10);
    const env = {
      STORAGE_PATH: join(dir, 'storage'),
      NIXERY_PKGS_REPO: join(dir, 'repo'),
      NIXERY_NIX_SUBSTITUTERS: '',
      NIXERY_GCROOTS_DIR: join(dir, 'gcroots'),
      NIXERY_SHUTDOWN_TIMEOUT: '240',
    };
    const first = await startServe([], env);
    stopLater(first);
    // Two kept-alive connections: while draining each answers one more request, then closes.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const other = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => {
      agent.destroy();
      other.destroy();
    });
    expect((await get(agent, `${first.url}/readyz`)).status).toBe(200);
    expect((await get(other, `${first.url}/healthz`)).status).toBe(200);

    const image = `${first.url}/v2/slowunique/manifests/${commit}`;
    const pending = fetch(image, { headers: ACCEPT });
    await waitFor('the slow build', 120_000, async () => {
      // nix-build is the build step; the evaluation comes first.
      return (await nixProcessesOf(first.child.pid!, new Set(['nix-build']))).length > 0 ? true : null;
    });
    first.child.kill('SIGTERM');

    // Draining: readiness says no (on the kept-alive connection; new connections are refused).
    const ready = await waitFor('readiness to turn', 30_000, async () => {
      const answer = await get(agent, `${first.url}/readyz`);
      return answer.status === 503 ? answer : null;
    });
    expect(JSON.parse(ready.body)).toEqual({ status: 'draining' });
    expect(ready.headers.connection).toBe('close');
    // A pull needing a build is refused while draining; another instance can take it.
    const newBuild = await get(other, `${first.url}/v2/hello/manifests/${commit}`, ACCEPT);
    expect(newBuild.status).toBe(503);
    expect(newBuild.headers['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(newBuild.body).errors[0].message).toMatch(/shutting down/);
    const refused = await fetch(`${first.url}/healthz`).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(Error);

    const response = await pending;
    expect(response.status, await response.clone().text()).toBe(200);
    const digest = response.headers.get('docker-content-digest');
    const manifest = (await response.json()) as { layers: { digest: string }[] };
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/"msg":"shut down"/);
    expect(await stagingNames(env.STORAGE_PATH)).toEqual([]);
    expect(await storageProblems(env.STORAGE_PATH)).toEqual([]);

    const second = await startServe([], env);
    stopLater(second);
    let nixSeen = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        nixSeen += (await nixProcessesOf(second.child.pid!)).length;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const again = await fetch(`${second.url}/v2/slowunique/manifests/${commit}`, { headers: ACCEPT });
    expect(again.status).toBe(200);
    expect(again.headers.get('docker-content-digest')).toBe(digest);
    for (const layer of manifest.layers) {
      expect(
        (await fetch(`${second.url}/v2/slowunique/blobs/${layer.digest}`, { method: 'HEAD' })).status,
      ).toBe(200);
    }
    watching = false;
    await watcher;
    expect(nixSeen).toBe(0);
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    expect(metrics).toMatch(/^nixery_manifest_cache_total\{result="hit"\} 1$/m);
    expect(metrics).not.toMatch(/^nixery_builds_total\{/m);
  });

  test('SIGTERM past the deadline: builds stopped with 503, no partial blob under a digest, staging clean at the next start', {
    timeout: 300_000,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nixery-shutdown-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const env = {
      STORAGE_PATH: join(dir, 'storage'),
      NIXERY_GCROOTS_DIR: join(dir, 'gcroots'),
      // No time at all: layers compress in well under a second now, so any grace period
      // could let the build finish and the test would no longer test the deadline.
      NIXERY_SHUTDOWN_TIMEOUT: '0',
    };
    const first = await startServe([], env);
    stopLater(first);
    // clang's closure holds a 76 MiB llvm-libs layer: the signal lands while it is written.
    const pending = fetch(`${first.url}/v2/clang/manifests/latest`, { headers: ACCEPT });
    await waitFor(
      'a layer upload in staging',
      120_000,
      async () => (await stagingNames(env.STORAGE_PATH)).length > 0,
    );
    first.child.kill('SIGTERM');

    const response = await pending;
    expect(response.status).toBe(503);
    const error = await registryError(response);
    expect(error.message).toMatch(/shut down before this build finished/);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/shutdown deadline passed/);
    expect(await nixProcessesOf(first.child.pid!)).toEqual([]);
    // Whatever was written is whole: every blob hashes to its name, every entry names a blob.
    expect(await storageProblems(env.STORAGE_PATH)).toEqual([]);

    const second = await startServe([], env);
    stopLater(second);
    expect(await stagingNames(env.STORAGE_PATH)).toEqual([]);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
  });
});
