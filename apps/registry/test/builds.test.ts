import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BuildInfo } from '@nixery/builder';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { createRegistryApp } from '../src/app.js';
import { BuildBoard } from '../src/build-board.js';
import type { BuildStreamLimits } from '../src/builds.js';
import { createAccessControl } from '../src/index.js';
import { RegistryMetrics } from '../src/metrics.js';
import { RecentErrors } from '../src/recent-errors.js';
import { FakeBlobs, FakeImages } from './support/fake-services.js';
import { readEventStream } from './support/sse.js';

// The board's routes in process, driven by a synthetic build (the real one is e2e/test/builds.test.ts).

const INFO: BuildInfo = {
  image: 'shell/hello',
  tag: 'latest',
  arch: 'amd64',
  system: 'x86_64-linux',
  requestId: 'r-1',
};
const TIMINGS = { nixMs: 1, groupingMs: 1, layersMs: 1, totalMs: 3, layersWritten: 2, layersReused: 0 };
const idle = { derivations: { total: 2, started: 1 }, fetches: { total: 0, started: 0 }, current: null };

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function start(options: { streams?: BuildStreamLimits; auth?: boolean; board?: BuildBoard } = {}) {
  const board = options.board ?? new BuildBoard();
  // alice / "correct horse" (`htpasswd -B -C 5`)
  const access = options.auth
    ? createAccessControl({
        realm: 'nixery',
        users: new Map([['alice', '$2y$05$/.dNr8j556jKy1/O6QJuqufNT9tqbdMoZ0JDzNlDZYMjHhIrvEqmO']]),
      })
    : null;
  const app = createRegistryApp({
    images: new FakeImages(),
    blobs: new FakeBlobs(),
    metrics: new RegistryMetrics(),
    logger: pino({ level: 'silent' }),
    recentErrors: new RecentErrors(),
    sourceDescription: 'fake',
    storageDescription: 'fake',
    version: 'test',
    board,
    ...(options.streams ? { buildStreams: options.streams } : {}),
    ...(access ? { authorize: access.authorize } : {}),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await access?.close();
  });
  return { board, url: (path: string) => `http://127.0.0.1:${port}${path}` };
}

describe('GET /builds and /builds/<id>', () => {
  test('lists builds in flight, then finished ones, with stage, counters, elapsed time and links', async () => {
    const { board, url } = await start();
    const first = board.start(INFO);
    first.observer.stage({ stage: 'queued' });
    first.observer.stage({ stage: 'building', ...idle });
    const second = board.start({ ...INFO, image: 'hello', requestId: null });
    second.observer.stage({ stage: 'queued' });
    second.observer.stage({ stage: 'done', timings: TIMINGS });

    const response = await fetch(url('/builds'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { builds } = (await response.json()) as { builds: Record<string, unknown>[] };
    expect(builds.map((b) => [b.image, (b.stage as { stage: string }).stage])).toEqual([
      ['shell/hello', 'building'],
      ['hello', 'done'],
    ]);
    expect(builds[0]).toMatchObject({
      id: first.id,
      tag: 'latest',
      arch: 'amd64',
      system: 'x86_64-linux',
      requestId: 'r-1',
      endedAt: null,
      description: 'building 1 of 2 derivations',
      counters: { derivations: { total: 2, started: 1 } },
      links: { self: `/builds/${first.id}`, events: `/builds/${first.id}/events` },
    });
    expect(typeof builds[0]?.elapsedMs).toBe('number');
    expect(builds[1]?.endedAt).toEqual(expect.any(String));

    const one = await fetch(url(`/builds/${first.id}`));
    expect(await one.json()).toMatchObject({ id: first.id, log: [], logDropped: 0 });
  });

  test('an unknown or malformed id is a 404 in the registry JSON error format', async () => {
    const { url } = await start();
    for (const id of ['0123456789ab', 'nope', '..%2f..%2fetc']) {
      for (const path of [`/builds/${id}`, `/builds/${id}/events`]) {
        const response = await fetch(url(path));
        expect(response.status).toBe(404);
        expect(await response.json()).toEqual({
          errors: [
            {
              code: 'NAME_UNKNOWN',
              message: expect.stringContaining('no build'),
              detail: { id: expect.any(String) },
            },
          ],
        });
      }
    }
  });

  test('a browser gets HTML pages: the list links each build, a build page streams from its events', async () => {
    const { board, url } = await start();
    const { id, observer } = board.start({ ...INFO, image: 'shell/<b>' });
    observer.stage({ stage: 'queued' });
    observer.log('</script><script>alert(1)</script>');
    const accept = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    const list = await fetch(url('/builds'), { headers: accept });
    expect(list.headers.get('content-type')).toMatch(/^text\/html/);
    const listHtml = await list.text();
    expect(listHtml).toContain(`href="/builds/${id}"`);
    expect(listHtml).not.toContain('<b>');
    const page = await (await fetch(url(`/builds/${id}`), { headers: accept })).text();
    expect(page).toContain(`/builds/${id}/events`);
    expect(page).toContain('new EventSource');
    // The log line travels as data, never as markup: one </script> only, the page's own.
    expect(page.match(/<\/script>/g)).toHaveLength(1);
    expect(page).not.toMatch(/<(?:link|img)\b|src=|https?:\/\//);
  });
});

describe('GET /builds/<id>/events', () => {
  test('snapshot, then stage and log events, then done; the stream ends with the build', async () => {
    const { board, url } = await start();
    const { id, observer } = board.start(INFO);
    observer.stage({ stage: 'queued' });
    observer.log('before the client came');
    const reading = readEventStream(url(`/builds/${id}/events`));
    await new Promise((resolve) => setTimeout(resolve, 200));
    observer.stage({ stage: 'evaluating', evaluations: 1 });
    observer.log("building '/nix/store/x.drv'...");
    observer.stage({ stage: 'writing', layer: 1, layers: 3 });
    observer.stage({ stage: 'done', timings: TIMINGS });
    const { status, contentType, events } = await reading;
    expect(status).toBe(200);
    expect(contentType).toMatch(/^text\/event-stream/);
    expect(events.map((e) => e.event)).toEqual(['snapshot', 'stage', 'log', 'stage', 'done']);
    const data = events.map((e) => JSON.parse(e.data));
    expect(data[0]).toMatchObject({ id, log: ['before the client came'], stage: { stage: 'queued' } });
    expect(data[1]).toMatchObject({
      stage: { stage: 'evaluating', evaluations: 1 },
      counters: { evaluations: 1 },
    });
    expect(data[2]).toEqual({ line: "building '/nix/store/x.drv'..." });
    expect(data[3]).toMatchObject({ counters: { layers: { written: 1, total: 3 } } });
    expect(data[4]).toMatchObject({ id, stage: { stage: 'done' }, endedAt: expect.any(String) });
  });

  test('a finished build: its snapshot and its end at once; a failed one ends with failed', async () => {
    const { board, url } = await start();
    const { id, observer } = board.start(INFO);
    observer.stage({ stage: 'failed', reason: 'build-failed', message: 'builder failed' });
    const { events } = await readEventStream(url(`/builds/${id}/events`));
    expect(events.map((e) => e.event)).toEqual(['snapshot', 'failed']);
    expect(JSON.parse(events[1]?.data ?? '')).toMatchObject({ stage: { reason: 'build-failed' } });
  });

  test('heartbeats keep an idle stream alive', async () => {
    const { board, url } = await start({ streams: { heartbeatMs: 50 } });
    const { id } = board.start(INFO);
    const { events } = await readEventStream(url(`/builds/${id}/events`), {
      comments: true,
      until: (seen) => seen.filter((e) => e.event === '').length >= 2,
    });
    expect(events[0]?.event).toBe('snapshot');
    expect(events.filter((e) => e.event === '').length).toBe(2);
  });

  test('a client that does not read is closed once its unsent bytes pass the bound', async () => {
    const { board, url } = await start({ streams: { maxBufferedBytes: 64 * 1024 } });
    const { id, observer } = board.start(INFO);
    const req = request(url(`/builds/${id}/events`), (res) => {
      res.once('data', () => res.pause()); // read once, then never again
    });
    req.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(board.watchers(id)).toBe(1);
    const line = 'x'.repeat(1900);
    // Far more than the socket buffers and the bound together (up to 76 MB): the server drops
    // the client long before.
    let sent = 0;
    while (sent < 40_000 && board.watchers(id) > 0) {
      observer.log(line);
      if (++sent % 200 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(board.watchers(id)).toBe(0);
    expect(sent).toBeLessThan(40_000);
    req.destroy();
    // The build goes on, and other clients still get it.
    expect(board.get(id)?.endedAt).toBeNull();
  });

  test('past the bound of open streams: 429 with Retry-After', async () => {
    const { board, url } = await start({ streams: { maxStreams: 1 } });
    const { id } = board.start(INFO);
    const first = readEventStream(url(`/builds/${id}/events`), { until: (e) => e.length >= 1 });
    await first;
    // The first stream was destroyed by the client; wait until the server sees it.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const open = request(url(`/builds/${id}/events`));
    open.end();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refused = await fetch(url(`/builds/${id}/events`));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ errors: [{ code: 'TOOMANYREQUESTS' }] });
    open.destroy();
  });
});

describe('the board itself', () => {
  test('keeps the last 50 finished builds and bounded log lines', () => {
    const board = new BuildBoard({ logLines: 3, lineLength: 10 });
    const ids = Array.from({ length: 60 }, () => {
      const { id, observer } = board.start(INFO);
      observer.stage({ stage: 'done', timings: TIMINGS });
      return id;
    });
    expect(board.list()).toHaveLength(50);
    expect(board.get(ids[0] as string)).toBeNull();
    expect(board.list()[0]?.id).toBe(ids.at(-1));
    const { id, observer } = board.start(INFO);
    for (const line of ['1', '2', '3', '4', 'a much longer line']) observer.log(line);
    expect(board.get(id)).toMatchObject({ log: ['3', '4', 'a much lon…'], logDropped: 2 });
  });
});

describe('access control', () => {
  test('with auth on, the board is protected like /v2/', async () => {
    const { board, url } = await start({ auth: true });
    const { id } = board.start(INFO);
    for (const path of ['/builds', `/builds/${id}`, `/builds/${id}/events`]) {
      const denied = await fetch(url(path));
      expect(denied.status).toBe(401);
      expect(denied.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(await denied.json()).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });
    }
    const allowed = await fetch(url('/builds'), {
      headers: { Authorization: `Basic ${Buffer.from('alice:correct horse').toString('base64')}` },
    });
    expect(allowed.status).toBe(200);
  });
});
