// Property-based input hardening against the running server: request paths, image names,
// tags, digests, methods and headers (Accept, Range) chosen by fast-check. Whatever comes in,
// the server answers with a spec error code in the JSON format (never a 500), stays up, never
// lets a name reach Nix as code, and never serves a file from outside its storage.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertObjectKey, blobName, FilesystemStorage } from '@nixery/storage';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { metricValue, startTestRegistry, type TestRegistry } from './support/registry.js';

const SPEC_CODES = new Set([
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
  'TOOMANYREQUESTS',
  'TAG_INVALID',
]);
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** Path pieces that have broken registries (and file servers) before. */
const NASTY_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e.',
  '..%2f..',
  '%2f',
  '%2F',
  '%5c',
  '..\\..',
  '%00',
  'a%00b',
  '%252e%252e',
  '',
  'blobs',
  'sha256',
  'manifests',
  'staging',
  'layers',
  '_catalog',
  'uploads',
  '%2fetc%2fpasswd',
  '/etc/passwd',
  'canary',
  '~',
  '*',
  '$%7Bbuiltins.readFile%20%2Fetc%2Fpasswd%7D',
  '%22%3B%20throw%20%22x',
] as const;

let parent: string;
let registry: TestRegistry;
let canary: string;
let realBlob: { digest: string; size: number };
let fuzzed = 0;
let fuzzedStorageNames = 0;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends `path` exactly as given (fetch would resolve dot segments and re-encode). */
function raw(method: string, rawPath: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  fuzzed++;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: registry.port, method, path: rawPath, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Characters Node refuses to put on the request line are percent-encoded; the rest go raw. */
function onTheWire(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((b) => (b > 0x20 && b < 0x7f ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`))
    .join('');
}

/** The invariants every answer must keep, whatever was asked. */
function expectWellFormed(res: RawResponse, method: string, what: string): void {
  const context = `${method} ${what} → ${res.status} ${res.body.toString('utf8').slice(0, 300)}`;
  expect(res.status, context).toBeLessThan(500);
  expect(res.body.includes(canary), `canary served: ${context}`).toBe(false);
  if (res.status >= 400) {
    expect(res.headers['content-type'], context).toMatch(/^application\/json/);
    if (method !== 'HEAD') {
      const body = JSON.parse(res.body.toString('utf8')) as { errors: { code: string; message: string }[] };
      expect(body.errors.length, context).toBe(1);
      expect(SPEC_CODES.has(body.errors[0]!.code), context).toBe(true);
      expect(typeof body.errors[0]!.message, context).toBe('string');
    }
  }
}

beforeAll(async () => {
  // Canaries beside and inside the storage folder: no request may ever get their bytes.
  parent = await mkdtemp(path.join(tmpdir(), 'nixery-fuzz-'));
  canary = `CANARY-${randomUUID()}`;
  const storagePath = path.join(parent, 'storage');
  await mkdir(storagePath);
  await writeFile(path.join(parent, 'canary'), canary);
  await writeFile(path.join(storagePath, 'canary'), canary);
  await mkdir(path.join(storagePath, 'blobs', 'sha256'), { recursive: true });
  await writeFile(path.join(storagePath, 'blobs', 'canary'), canary);
  registry = await startTestRegistry({ storagePath });

  const manifest = await fetch(`${registry.url}/v2/hello/manifests/latest`, {
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  expect(manifest.status).toBe(200);
  const layers = ((await manifest.json()) as { layers: { digest: string; size: number }[] }).layers;
  realBlob = layers.reduce((a, b) => (b.size > a.size ? b : a));
});

afterAll(async () => {
  agent.destroy();
  await registry?.stop();
  if (parent) await rm(parent, { recursive: true, force: true });
  console.log(
    `fuzz: ${fuzzed} HTTP requests with generated input, ${fuzzedStorageNames} crafted names against the storage layer`,
  );
});

const nastySegment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_SEGMENTS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(onTheWire) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,12}$/) },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 600 }).map((n) => 'a'.repeat(n)) },
);
const endpoint = fc.constantFrom(
  'manifests/latest',
  'blobs/',
  'manifests/',
  'tags/list',
  'blobs/uploads/',
  '',
);
const digestLike = fc.oneof(
  fc.stringMatching(/^[a-fA-F0-9]{0,70}$/).map((h) => `sha256:${h}`),
  fc.constantFrom('sha256:', 'sha512:abc', 'SHA256:aa', 'sha256:../../canary', 'md5:x', ':', 'sha256%3a00'),
  fc.string({ unit: 'binary', maxLength: 80 }).map(onTheWire),
);

describe('fuzzing the running registry', () => {
  test('arbitrary request paths (traversal, encoding tricks, NUL, long components) under any method', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(nastySegment, { minLength: 0, maxLength: 6 }),
        endpoint,
        fc.oneof(digestLike, nastySegment),
        fc.constantFrom(...METHODS),
        async (segments, tail, last, method) => {
          const p = `/v2/${segments.join('/')}${segments.length ? '/' : ''}${tail}${tail.endsWith('/') ? last : ''}`;
          expectWellFormed(await raw(method, p), method, p);
        },
      ),
      { numRuns: 1500 },
    );
  });

  test('image names that try to be Nix code, paths or shell: NAME_INVALID or a clean not-found, never a Nix error', async () => {
    const hostile = fc.oneof(
      fc.constantFrom(
        'a"b',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: meant to look like Nix interpolation
        '${builtins.readFile "/etc/passwd"}',
        'x\\y',
        "a'b",
        'a;b',
        '$(id)',
        '`id`',
        'a b',
        'Hello',
        'hello/../../etc',
        'a/b/../c',
        'import <nixpkgs>',
        '(throw "x")',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: meant to look like Nix interpolation
        'hello.${x}',
        'pkgs.hello',
        'builtins.currentTime',
        '_',
        'a__b',
      ),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom('GET', 'HEAD'), async (name, method) => {
        const p = `/v2/${onTheWire(name)}/manifests/latest`;
        const res = await raw(method, p, { accept: 'application/vnd.oci.image.manifest.v1+json' });
        expectWellFormed(res, method, p);
        expect([200, 400, 404], p).toContain(res.status);
      }),
      { numRuns: 400 },
    );
    // Valid-looking but unknown names do reach Nix (as JSON data); a bounded number of them.
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[a-z][a-z0-9]{1,8}(\.[a-z][a-z0-9]{1,6})?$/), async (suffix) => {
        const p = `/v2/zzfuzz${suffix}/manifests/latest`;
        const res = await raw('GET', p);
        expectWellFormed(res, 'GET', p);
        expect(res.status, p).toBe(404);
        expect(JSON.parse(res.body.toString()).errors[0].message).toMatch(/unknown package/);
      }),
      { numRuns: 25 },
    );
    // Nothing made Nix fail other than by naming unknown packages.
    for (const result of ['build-failed', 'timeout', 'storage-failed', 'nix-missing']) {
      expect(await metricValue(registry, 'nixery_builds_total', { result })).toBe(0);
    }
    expect(
      await metricValue(registry, 'nixery_builds_total', { result: 'unknown-packages' }),
    ).toBeGreaterThan(0);
  });

  test('tags and digests of every shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 140 }),
          fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,140}$/),
        ),
        async (tag) => {
          const p = `/v2/hello/manifests/${onTheWire(tag)}`;
          const res = await raw('GET', p);
          expectWellFormed(res, 'GET', p);
        },
      ),
      { numRuns: 300 },
    );
    await fc.assert(
      fc.asyncProperty(digestLike, fc.constantFrom('blobs', 'manifests'), async (digest, kind) => {
        const p = `/v2/hello/${kind}/${digest}`;
        const res = await raw('GET', p);
        expectWellFormed(res, 'GET', p);
        expect([400, 404], p).toContain(res.status);
      }),
      { numRuns: 300 },
    );
  });

  test('Range and Accept headers of every shape on a real blob and manifest', async () => {
    const rangeHeader = fc.oneof(
      fc
        .tuple(fc.option(fc.nat({ max: realBlob.size * 2 })), fc.option(fc.nat({ max: realBlob.size * 2 })))
        .map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`),
      fc.constantFrom(
        'bytes=-0',
        'bytes=0-0,5-9',
        'bytes=99999999999999999999-',
        'items=0-1',
        'bytes=--1',
        'bytes=a-b',
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    );
    await fc.assert(
      fc.asyncProperty(rangeHeader, fc.constantFrom('GET', 'HEAD'), async (range, method) => {
        const p = `/v2/hello/blobs/${realBlob.digest}`;
        const res = await raw(method, p, { range });
        expectWellFormed(res, method, `${p} Range: ${range}`);
        expect([200, 206, 416], range).toContain(res.status);
        if (res.status === 206) {
          const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(res.headers['content-range']));
          expect(m, range).not.toBeNull();
          const [start, end, size] = [Number(m![1]), Number(m![2]), Number(m![3])];
          expect(size).toBe(realBlob.size);
          expect(start <= end && end < size, range).toBe(true);
          expect(Number(res.headers['content-length'])).toBe(end - start + 1);
          if (method === 'GET') expect(res.body.length).toBe(end - start + 1);
        }
        if (res.status === 200 && method === 'GET') expect(res.body.length).toBe(realBlob.size);
      }),
      { numRuns: 400 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary-ascii', maxLength: 120 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
        async (accept) => {
          const res = await raw('GET', '/v2/hello/manifests/latest', { accept });
          expectWellFormed(res, 'GET', `Accept: ${accept}`);
          expect(res.status).toBe(200);
          expect(String(res.headers['content-type'])).toMatch(/manifest/);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('an oversized request line is refused by the HTTP layer and the server keeps serving', async () => {
    const res = await raw('GET', `/v2/${'a/'.repeat(20_000)}manifests/latest`);
    expect(res.status).toBe(431);
    expect((await raw('GET', '/v2/')).status).toBe(200);
  });
});

describe('storage name validation (the last line of defence)', () => {
  test('no digest or key, however crafted, names a path outside the storage root or reads the canary', async () => {
    const storage = new FilesystemStorage(registry.storagePath);
    const crafted = fc.oneof(
      fc
        .array(fc.constantFrom(...NASTY_SEGMENTS, 'canary', 'blobs', 'a'), { maxLength: 5 })
        .map((s) => s.join('/')),
      fc.string({ unit: 'binary', maxLength: 60 }),
      digestLike,
    );
    await fc.assert(
      fc.asyncProperty(crafted, async (name) => {
        fuzzedStorageNames++;
        let key: string | null = null;
        try {
          assertObjectKey(name);
          key = name;
        } catch {
          // refused: fine
        }
        if (key !== null) {
          const resolved = path.resolve(registry.storagePath, key);
          expect(resolved.startsWith(registry.storagePath + path.sep), key).toBe(true);
          expect(key.split('/').some((s) => /^\.+$/.test(s))).toBe(false);
        }
        const object = await storage.getObject(name).catch(() => null);
        expect(object?.body.includes(canary) ?? false).toBe(false);
        let blob: string | null = null;
        try {
          blob = blobName(name);
        } catch {
          // refused: fine
        }
        if (blob !== null) expect(blob).toMatch(/^blobs\/sha256\/[a-f0-9]{64}$/);
        const stream = await storage.readBlob(name).catch(() => null);
        if (stream) {
          const chunks: Buffer[] = [];
          for await (const c of stream) chunks.push(c as Buffer);
          expect(Buffer.concat(chunks).includes(canary)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
