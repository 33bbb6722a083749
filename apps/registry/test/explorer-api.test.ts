import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '@nixery/config';
import type { ImageReport } from '@nixery/explorer';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningRegistry, startRegistry } from '../src/index.js';

// The explorer's JSON API against real Nix builds of the bundled set: its numbers are the
// manifest's and Nix's own.
const run = promisify(execFile);
// `htpasswd -B -C 5`: alice / "correct horse" (as in auth.test.ts).
const HTPASSWD = 'alice:$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO\n';
const ALICE = `Basic ${Buffer.from('alice:correct horse').toString('base64')}`;
const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';

let dir: string;
let registry: RunningRegistry;
let privateRegistry: RunningRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nixery-explorer-api-'));
  await writeFile(join(dir, 'htpasswd'), HTPASSWD);
  registry = await startRegistry({
    config: loadConfig({ env: { STORAGE_PATH: join(dir, 'public'), PORT: '0' } }),
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  });
  privateRegistry = await startRegistry({
    config: loadConfig({
      env: { STORAGE_PATH: join(dir, 'private'), PORT: '0', NIXERY_AUTH_FILE: join(dir, 'htpasswd') },
    }),
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await registry?.close();
  await privateRegistry?.close();
  await rm(dir, { recursive: true, force: true });
});

async function report(name: string): Promise<ImageReport> {
  const response = await fetch(`${registry.url}/api/images/${name}`);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as ImageReport;
}

/** `nix path-info --json --recursive` of some paths: path → NAR size (Nix 2.8's array form). */
async function narSizes(paths: string[]): Promise<Map<string, number>> {
  const { stdout } = await run('nix', ['path-info', '--json', '--recursive', ...paths], {
    env: { ...process.env, NIX_CONFIG: 'experimental-features = nix-command' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const parsed = JSON.parse(stdout) as
    | { path: string; narSize: number }[]
    | Record<string, { narSize: number }>;
  const list = Array.isArray(parsed) ? parsed : Object.entries(parsed).map(([path, v]) => ({ path, ...v }));
  return new Map(list.map((p) => [p.path, p.narSize]));
}

describe('GET /api/images/<name>', () => {
  test("the layers are the manifest's, with its sizes and digests, in its order", async () => {
    const image = await report('shell/git/htop');
    const manifest = await fetch(`${registry.url}/v2/shell/git/htop/manifests/latest`, {
      headers: { accept: DOCKER },
    });
    const digest = manifest.headers.get('docker-content-digest');
    const body = (await manifest.json()) as {
      layers: { digest: string; size: number }[];
      config: { digest: string };
    };
    expect(image.manifests?.docker.digest).toBe(digest);
    expect(image.config?.digest).toBe(body.config.digest);
    expect(image.layers.map((l) => l.digest)).toEqual(body.layers.map((l) => l.digest));
    expect(image.layers.map((l) => l.compressedSize)).toEqual(body.layers.map((l) => l.size));
    expect(image.totals.compressedSize).toBe(body.layers.reduce((sum, l) => sum + l.size, 0));
    expect(image.layers.at(-1)?.kind).toBe('root');
    expect(image.packages).toEqual(
      expect.arrayContaining(['git', 'htop', 'cacert', 'iana-etc', 'coreutils']),
    );
  });

  test("the store paths are the closure Nix reports, each with Nix's NAR size", async () => {
    const image = await report('shell/git/htop');
    const paths = image.layers.flatMap((l) => l.paths);
    const requested = paths.filter((p) => p.requested).map((p) => p.path);
    expect(requested.length).toBeGreaterThanOrEqual(image.packages.length);
    const nix = await narSizes(requested);
    // Every path of the layers is in the closure of the requested ones, and nothing is left out.
    expect(new Set(paths.map((p) => p.path))).toEqual(new Set(nix.keys()));
    for (const p of paths) expect(p.narSize, p.path).toBe(nix.get(p.path));
    for (const layer of image.layers) {
      expect(layer.narSize).toBe(layer.paths.reduce((sum, p) => sum + p.narSize, 0));
    }
    expect(image.totals.narSize).toBe([...nix.values()].reduce((a, b) => a + b, 0));
    expect(image.totals.paths).toBe(nix.size);
  });

  test('each path names the requested packages that pull it in, each layer why it exists', async () => {
    const image = await report('shell/git/htop');
    const paths = image.layers.flatMap((l) => l.paths);
    const git = paths.find((p) => p.requested && p.name.startsWith('git-'));
    expect(git?.pulledInBy).toContain('git');
    const glibc = paths.find((p) => p.name.startsWith('glibc'));
    if (glibc) expect(glibc.pulledInBy.length).toBeGreaterThan(1);
    for (const layer of image.layers) {
      expect(['every-path', 'largest', 'owner', 'merged', 'root']).toContain(layer.reason.kind);
    }
    expect(image.grouping).toEqual({ strategy: 'stable', budget: 94 });
  });

  test('layers shared with other recent images name them', async () => {
    const first = await report('shell/git/htop');
    const second = await report('shell/hello');
    const shared = second.layers.filter((l) => first.layers.some((f) => f.digest === l.digest));
    expect(shared.length).toBeGreaterThan(0);
    for (const layer of shared)
      expect(layer.sharedWith).toContainEqual({ name: 'shell/git/htop', tag: 'latest' });
    const own = second.layers.filter((l) => !first.layers.some((f) => f.digest === l.digest));
    for (const layer of own)
      expect(layer.sharedWith).not.toContainEqual({ name: 'shell/git/htop', tag: 'latest' });
    const recent = (await (await fetch(`${registry.url}/api/images`)).json()) as {
      images: { name: string }[];
    };
    expect(recent.images.map((i) => i.name)).toEqual(
      expect.arrayContaining(['shell/git/htop', 'shell/hello']),
    );
  });

  test('an unknown package is a 404 naming it; a bad name a 400; bad platform and writes refused', async () => {
    const unknown = await fetch(`${registry.url}/api/images/shell/nosuchpackage`);
    expect(unknown.status).toBe(404);
    const body = (await unknown.json()) as { errors: { code: string; message: string; detail: unknown }[] };
    expect(body.errors[0]?.code).toBe('MANIFEST_UNKNOWN');
    expect(body.errors[0]?.message).toContain('nosuchpackage');
    const invalid = await fetch(`${registry.url}/api/images/shell/-git`);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('NAME_INVALID');
    const encoded = await fetch(`${registry.url}/api/images/shell%2fhello`);
    expect(encoded.status).toBe(400);
    const platform = await fetch(`${registry.url}/api/images/hello?platform=windows/amd64`);
    expect(platform.status).toBe(400);
    const tag = await fetch(`${registry.url}/api/images/hello?tag=v1`);
    expect(tag.status).toBe(404);
    const post = await fetch(`${registry.url}/api/images/hello`, { method: 'POST' });
    expect(post.status).toBe(405);
    const nowhere = await fetch(`${registry.url}/api/nothing`);
    expect(nowhere.status).toBe(404);
    expect(nowhere.headers.get('content-type')).toMatch(/^application\/json/);
  });

  test('the page and its assets are served; the front page has the form', async () => {
    const page = await fetch(`${registry.url}/explore/shell/git`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/explorer-assets/explorer.js');
    const script = await fetch(`${registry.url}/explorer-assets/explorer.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const redirect = await fetch(`${registry.url}/explore?packages=git+htop`, { redirect: 'manual' });
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('location')).toBe('/explore/git/htop');
    expect(await (await fetch(`${registry.url}/`)).text()).toContain('action="/explore"');
  });
});

describe('a private instance', () => {
  test('protects the explorer, its assets and its API like /v2/', async () => {
    for (const path of [
      '/explore',
      '/explore/hello',
      '/explorer-assets/explorer.js',
      '/api/images',
      '/api/images/hello',
    ]) {
      const response = await fetch(`${privateRegistry.url}${path}`);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate'), path).toMatch(/^Basic realm=/);
    }
    const allowed = await fetch(`${privateRegistry.url}/api/images/hello`, {
      headers: { authorization: ALICE },
    });
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as ImageReport).name).toBe('hello');
    const page = await fetch(`${privateRegistry.url}/explore/hello`, { headers: { authorization: ALICE } });
    expect(page.status).toBe(200);
  });
});
