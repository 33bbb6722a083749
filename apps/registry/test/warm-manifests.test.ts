// The warm manifest path against a real registry (bundled package set, real Nix build, real
// filesystem storage): a repeated HEAD/GET is answered from memory, with no storage call, and
// still goes through access control, the request log, request ids and metrics.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@nixery/config';
import { createStorage, type Storage } from '@nixery/storage';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningRegistry, startRegistry } from '../src/index.js';

// `htpasswd -B -C 5`: alice / "correct horse".
const HTPASSWD = 'alice:$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO';
const AUTH = `Basic ${Buffer.from('alice:correct horse').toString('base64')}`;
const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI = 'application/vnd.oci.image.manifest.v1+json';

/** The storage with every method call counted by name. */
function countingStorage(inner: Storage): {
  storage: Storage;
  calls: Map<string, number>;
  total: () => number;
} {
  const calls = new Map<string, number>();
  const storage = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { storage, calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0) };
}

let dir: string;
let registry: RunningRegistry;
let counted: ReturnType<typeof countingStorage>;
const logLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nixery-registry-warm-'));
  const file = join(dir, 'htpasswd');
  await writeFile(file, HTPASSWD);
  const config = loadConfig({
    env: { STORAGE_PATH: join(dir, 'storage'), PORT: '0', NIXERY_AUTH_FILE: file },
  });
  counted = countingStorage(createStorage(config.storage));
  registry = await startRegistry({
    config,
    host: '127.0.0.1',
    storage: counted.storage,
    unpinnedTtlMs: 60_000,
    logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
  });
}, 300_000);
afterAll(async () => {
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

const manifestUrl = (reference: string) => `${registry.url}/v2/hello/manifests/${reference}`;

async function metric(pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${registry.url}/metrics`, { headers: { authorization: AUTH } })).text();
  const line = text.split('\n').find((l) => pattern.test(l));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('warm manifests', () => {
  test('a repeated HEAD and GET by tag and by digest make no storage call', async () => {
    const first = await fetch(manifestUrl('latest'), { headers: { authorization: AUTH, accept: DOCKER } });
    expect(first.status).toBe(200);
    const bytes = Buffer.from(await first.arrayBuffer());
    const digest = first.headers.get('docker-content-digest')!;
    const byDigest = await fetch(manifestUrl(digest), { method: 'HEAD', headers: { authorization: AUTH } });
    expect(byDigest.status).toBe(200);

    const before = counted.total();
    const builds = await metric(/^nixery_builds_total\{result="success"\}/);
    for (let i = 0; i < 5; i++) {
      const head = await fetch(manifestUrl('latest'), {
        method: 'HEAD',
        headers: { authorization: AUTH, accept: DOCKER },
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('docker-content-digest')).toBe(digest);
      expect(head.headers.get('content-type')).toBe(DOCKER);
      expect(Number(head.headers.get('content-length'))).toBe(bytes.length);
      expect(head.headers.get('etag')).toBe(`"${digest}"`);
      expect(head.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
      expect(await head.text()).toBe('');
      const get = await fetch(manifestUrl(digest), { headers: { authorization: AUTH } });
      expect(Buffer.from(await get.arrayBuffer())).toEqual(bytes);
    }
    expect(counted.total() - before).toBe(0);
    expect(await metric(/^nixery_builds_total\{result="success"\}/)).toBe(builds);
  });

  test('each negotiated format is its own entry', async () => {
    const docker = await fetch(manifestUrl('latest'), { headers: { authorization: AUTH, accept: DOCKER } });
    const oci1 = await fetch(manifestUrl('latest'), { headers: { authorization: AUTH, accept: OCI } });
    const oci2 = await fetch(manifestUrl('latest'), { headers: { authorization: AUTH, accept: OCI } });
    expect(oci1.headers.get('content-type')).toBe(OCI);
    expect(oci2.headers.get('docker-content-digest')).toBe(oci1.headers.get('docker-content-digest'));
    expect(oci2.headers.get('docker-content-digest')).not.toBe(docker.headers.get('docker-content-digest'));
  });

  test('access control still applies to a warm manifest', async () => {
    await fetch(manifestUrl('latest'), { method: 'HEAD', headers: { authorization: AUTH } });
    const anonymous = await fetch(manifestUrl('latest'), { method: 'HEAD' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(anonymous.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    const wrong = await fetch(manifestUrl('latest'), {
      headers: { authorization: `Basic ${Buffer.from('alice:guess').toString('base64')}` },
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'invalid user name or password', detail: null }],
    });
  });

  test('request ids, the request log and the metrics still apply', async () => {
    const heads = () => metric(/^nixery_http_requests_total\{route="manifest",method="HEAD",status="200"\}/);
    const hits = () => metric(/^nixery_manifest_cache_total\{result="hit"\}/);
    const [headsBefore, hitsBefore] = [await heads(), await hits()];
    const head = await fetch(manifestUrl('latest'), {
      method: 'HEAD',
      headers: { authorization: AUTH, 'x-request-id': 'warm-probe-1' },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-request-id')).toBe('warm-probe-1');
    const generated = await fetch(manifestUrl('latest'), {
      method: 'HEAD',
      headers: { authorization: AUTH },
    });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await heads()).toBe(headsBefore + 2);
    expect(await hits()).toBe(hitsBefore + 2);
    const line = logLines.find((l) => l.includes('"warm-probe-1"') && l.includes('"request completed"'));
    expect(line).toBeDefined();
    const entry = JSON.parse(line!) as {
      req: { method: string; url: string; headers: Record<string, string> };
      res: { statusCode: number };
    };
    expect(entry.req.method).toBe('HEAD');
    expect(entry.req.url).toBe('/v2/hello/manifests/latest');
    expect(entry.req.headers.authorization).toBe('[redacted]');
    expect(entry.res.statusCode).toBe(200);
  });

  test('a request the warm path does not answer alike still takes the full route', async () => {
    // A body on a GET is refused at its headers, warm or not.
    const body = await fetch(manifestUrl('latest'), {
      method: 'POST',
      headers: { authorization: AUTH },
      body: 'x',
    });
    expect(body.status).toBe(405);
    const invalid = await fetch(`${registry.url}/v2/Hello/manifests/latest`, {
      headers: { authorization: AUTH },
    });
    expect(invalid.status).toBe(400);
  });
});

describe('an unpinned source', () => {
  let shortLived: RunningRegistry;
  let shortCounted: ReturnType<typeof countingStorage>;
  beforeAll(async () => {
    const config = loadConfig({ env: { STORAGE_PATH: join(dir, 'storage'), PORT: '0' } });
    shortCounted = countingStorage(createStorage(config.storage));
    shortLived = await startRegistry({
      config,
      host: '127.0.0.1',
      storage: shortCounted.storage,
      unpinnedTtlMs: 1_500,
      logger: pino({ level: 'silent' }),
    });
  }, 300_000);
  afterAll(() => shortLived?.close());

  test('is asked again once NIXERY_UNPINNED_TTL is over', async () => {
    const url = `${shortLived.url}/v2/hello/manifests/latest`;
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    const warm = shortCounted.total();
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    expect(shortCounted.total()).toBe(warm);
    const evaluations = () => shortLived.metrics.evaluations.get().then((m) => m.values[0]?.value ?? 0);
    const before = await evaluations();
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    // The window is over: the builder ran Nix again and read storage.
    expect(await evaluations()).toBeGreaterThan(before);
    expect(shortCounted.total()).toBeGreaterThan(warm);
  }, 300_000);
});
