// How the routes answer the admission gate's refusals and a drain: the registry's JSON error
// format, the status from errors.ts, Retry-After; /readyz and /healthz.
import { afterEach, describe, expect, test } from 'vitest';
import { AdmissionRefusedError } from '../src/admission.js';
import { startFakeRegistry } from './support/fake-services.js';

describe('admission and drain responses', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  test('a full queue is 429 TOOMANYREQUESTS with Retry-After; HEAD has the headers and no body', async () => {
    const registry = await startFakeRegistry();
    closers.push(registry.close);
    registry.images.fail = new AdmissionRefusedError('queue-full', 'too many image builds waiting', 42);
    const got = await fetch(registry.url('/v2/hello/manifests/latest'));
    expect(got.status).toBe(429);
    expect(got.headers.get('retry-after')).toBe('42');
    expect(got.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await got.json()).toEqual({
      errors: [
        {
          code: 'TOOMANYREQUESTS',
          message: 'too many image builds waiting',
          detail: { retryAfterSeconds: 42 },
        },
      ],
    });
    const head = await fetch(registry.url('/v2/hello/manifests/latest'), { method: 'HEAD' });
    expect(head.status).toBe(429);
    expect(head.headers.get('retry-after')).toBe('42');
    expect(await head.text()).toBe('');
  });

  test('draining: builds refused with 503 and Retry-After, /readyz 503, /healthz 200, every answer closes its connection', async () => {
    let draining = false;
    const registry = await startFakeRegistry({ isDraining: () => draining });
    closers.push(registry.close);
    const ready = await fetch(registry.url('/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });

    draining = true;
    registry.images.fail = new AdmissionRefusedError(
      'draining',
      'the registry is shutting down; try again',
      1,
    );
    const refused = await fetch(registry.url('/v2/hello/manifests/latest'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('connection')).toBe('close');
    expect(((await refused.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
      'MANIFEST_UNKNOWN',
    );
    const notReady = await fetch(registry.url('/readyz'));
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'draining' });
    const alive = await fetch(registry.url('/healthz'));
    expect(alive.status).toBe(200);
    expect(alive.headers.get('connection')).toBe('close');
  });

  test('other errors carry no Retry-After', async () => {
    const registry = await startFakeRegistry();
    closers.push(registry.close);
    const got = await fetch(registry.url('/v2/hello/blobs/sha256:xyz'));
    expect(got.status).toBe(400);
    expect(got.headers.get('retry-after')).toBeNull();
  });
});
