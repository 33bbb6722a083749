import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@nixery/config';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type RunningRegistry, startRegistry } from '../src/index.js';

let dir: string;
let registry: RunningRegistry;
const DIGEST = `sha256:${'0'.repeat(64)}`;
const LONG = 'a'.repeat(300);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nixery-registry-names-'));
  registry = await startRegistry({
    config: loadConfig({ env: { STORAGE_PATH: join(dir, 'storage'), PORT: '0' } }),
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  });
});
afterAll(async () => {
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

const routes = (name: string): [string, string][] => [
  ['GET', `/v2/${name}/manifests/latest`],
  ['GET', `/v2/${name}/manifests/${DIGEST}`],
  ['HEAD', `/v2/${name}/manifests/${DIGEST}`],
  ['GET', `/v2/${name}/blobs/${DIGEST}`],
  ['HEAD', `/v2/${name}/blobs/${DIGEST}`],
  ['GET', `/v2/${name}/tags/list`],
  ['POST', `/v2/${name}/blobs/uploads/`],
  ['PATCH', `/v2/${name}/blobs/uploads/some-id`],
];

describe('every route with a name checks it', () => {
  test.each([
    ['300 characters', LONG, /at most \d+ are allowed/],
    ['uppercase', 'Hello', /invalid image name/],
    ['an encoded slash', 'shell%2fgit', /invalid image name/],
    ['a semicolon', 'a;b', /invalid image name/],
  ])('a name of %s is a 400 NAME_INVALID on every route', async (_label, name, message) => {
    for (const [method, path] of routes(name)) {
      const response = await fetch(`${registry.url}${path}`, { method });
      expect(response.status, `${method} ${path.slice(0, 80)}`).toBe(400);
      if (method === 'HEAD') continue;
      const body = (await response.json()) as {
        errors: { code: string; message: string; detail: unknown }[];
      };
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0]?.code).toBe('NAME_INVALID');
      expect(body.errors[0]?.message).toMatch(message);
      expect(body.errors[0]?.detail).toEqual({ name });
    }
  });

  test('a valid name goes on to the route itself', async () => {
    const expected: Record<string, number> = {
      [`GET /v2/hello/manifests/${DIGEST}`]: 404,
      [`GET /v2/hello/blobs/${DIGEST}`]: 404,
      'GET /v2/hello/tags/list': 200,
      'POST /v2/hello/blobs/uploads/': 405,
    };
    for (const [request, status] of Object.entries(expected)) {
      const [method, path] = request.split(' ') as [string, string];
      expect((await fetch(`${registry.url}${path}`, { method })).status, request).toBe(status);
    }
  });
});
