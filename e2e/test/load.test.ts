// Bounded load: 100 connections pulling a cached image (manifest GET, every blob; HEADs alongside) for
// LOAD_SECONDS (5 s by default; 60 for the full run), and a slowloris crowd that must be cut
// off by the server's header timeout while everyone else keeps being served.
import { connect, type Socket } from 'node:net';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestRegistry, type TestRegistry } from './support/registry.js';

const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? 5);
const CONNECTIONS = 100;
const DOCKER = 'application/vnd.docker.distribution.manifest.v2+json';

let registry: TestRegistry;
let blobs: string[];
beforeAll(async () => {
  registry = await startTestRegistry();
  const manifest = await fetch(`${registry.url}/v2/hello/manifests/latest`, {
    headers: { accept: DOCKER },
  });
  expect(manifest.status).toBe(200);
  const body = (await manifest.json()) as { config: { digest: string }; layers: { digest: string }[] };
  blobs = [body.config.digest, ...body.layers.map((l) => l.digest)];
});
afterAll(async () => {
  await registry?.stop();
});

describe('load', () => {
  test(
    `${CONNECTIONS} connections pulling a cached image for ${LOAD_SECONDS} s: no errors, no non-2xx`,
    async () => {
      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 100);
      // autocannon waits for a body after HEAD, so HEADs run as plain fetch loops alongside.
      const until = Date.now() + LOAD_SECONDS * 1000;
      const heads = { ok: 0, failed: 0 };
      const headLoops = Array.from({ length: 10 }, async () => {
        while (Date.now() < until) {
          const r = await fetch(`${registry.url}/v2/hello/manifests/latest`, {
            method: 'HEAD',
            headers: { accept: DOCKER },
          }).catch(() => null);
          if (r?.status === 200 && r.headers.get('docker-content-digest')) heads.ok++;
          else heads.failed++;
        }
      });
      const result = await autocannon({
        url: registry.url,
        connections: CONNECTIONS,
        duration: LOAD_SECONDS,
        // Each connection walks a whole pull, round and round.
        requests: [
          { method: 'GET', path: '/v2/hello/manifests/latest', headers: { accept: DOCKER } },
          ...blobs.map((digest) => ({ method: 'GET' as const, path: `/v2/hello/blobs/${digest}` })),
        ],
      });
      await Promise.all(headLoops);
      clearInterval(sampler);
      const summary = {
        requests: result.requests.total,
        perSecond: Math.round(result.requests.average),
        p50ms: result.latency.p50,
        p99ms: result.latency.p99,
        maxMs: result.latency.max,
        megabytes: Math.round(result.throughput.total / 1e6),
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        heads: heads.ok,
        headFailures: heads.failed,
        peakRssMiB: Math.round(peakRss / 2 ** 20),
      };
      console.log(`load: ${JSON.stringify(summary)}`);
      expect(result.errors).toBe(0);
      expect(result.timeouts).toBe(0);
      expect(result.non2xx).toBe(0);
      expect(heads.failed).toBe(0);
      expect(heads.ok).toBeGreaterThan(LOAD_SECONDS * 2);
      expect(result.requests.total).toBeGreaterThan(LOAD_SECONDS * 20);
      // Blobs are streamed, so memory stays far below what the bytes served would need.
      expect(peakRss).toBeLessThan(1024 * 2 ** 20);
    },
    (LOAD_SECONDS + 60) * 1000,
  );

  test('slowloris: clients sending headers a byte at a time are cut off by headersTimeout; others are served meanwhile', async () => {
    const { server } = registry;
    // Bounded: a slow client cannot hold a socket forever, but a build may take a while.
    expect(server.headersTimeout).toBeGreaterThan(0);
    expect(server.headersTimeout).toBeLessThanOrEqual(60_000);
    expect(server.requestTimeout).toBeGreaterThan(0);
    expect(server.keepAliveTimeout).toBeGreaterThan(0);

    const crowd: { socket: Socket; closedAt: number | null }[] = [];
    const started = Date.now();
    const drips: NodeJS.Timeout[] = [];
    for (let i = 0; i < 50; i++) {
      const entry = { socket: connect(registry.port, '127.0.0.1'), closedAt: null as number | null };
      entry.socket.on('error', () => {});
      entry.socket.on('close', () => {
        entry.closedAt = Date.now();
      });
      entry.socket.write('GET /v2/ HTTP/1.1\r\nHost: x\r\n');
      // One header byte a second: never finishing the headers.
      drips.push(
        setInterval(() => {
          if (!entry.socket.destroyed) entry.socket.write('X');
        }, 1000),
      );
      crowd.push(entry);
    }
    try {
      // Everyone else is served at once while the crowd hangs on.
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now();
        const response = await fetch(`${registry.url}/v2/hello/manifests/latest`, {
          headers: { accept: DOCKER },
        });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        expect(Date.now() - t0).toBeLessThan(5_000);
        await new Promise((r) => setTimeout(r, 500));
      }
      // Node enforces headersTimeout on its connection-check interval (30 s by default).
      const limit = server.headersTimeout + 30_000 + 5_000;
      while (crowd.some((c) => c.closedAt === null) && Date.now() - started < limit) {
        await new Promise((r) => setTimeout(r, 250));
      }
      const cutAfter = crowd.map((c) =>
        c.closedAt === null ? Number.POSITIVE_INFINITY : c.closedAt - started,
      );
      console.log(
        `slowloris: ${crowd.length} slow clients cut off after ${Math.round(Math.max(...cutAfter) / 1000)} s`,
      );
      for (const after of cutAfter) {
        expect(after).toBeGreaterThanOrEqual(server.headersTimeout - 1_000);
        expect(after).toBeLessThan(limit);
      }
      expect((await fetch(`${registry.url}/v2/`)).status).toBe(200);
    } finally {
      for (const drip of drips) clearInterval(drip);
      for (const { socket } of crowd) socket.destroy();
    }
  }, 120_000);
});
