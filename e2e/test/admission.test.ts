// Admission control against the real `nixery serve`: a storm of distinct cold pulls meets
// `--max-builds 2 --build-queue 10`. At most two Nix processes run at any moment (every run logged
// by wrappers around Nix's programs), the pulls beyond the queue get 429 with Retry-After, every
// admitted pull succeeds, and a cached manifest and /healthz keep answering meanwhile.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallDemoImages } from '@nixery/nix-expressions';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CountedNix, writeCountedNix } from './support/counted-nix.js';
import { type ServeProcess, startServe } from './support/serve-process.js';

const ACCEPT = { accept: 'application/vnd.docker.distribution.manifest.v2+json' };
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function metric(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

/** Sends `probe` one after another (every `gapMs`) until `stop` resolves; the latencies in ms. */
async function probeUntil(stop: Promise<unknown>, gapMs: number, probe: () => Promise<Response>) {
  const latencies: number[] = [];
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  while (!done) {
    const started = performance.now();
    const response = await probe();
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    latencies.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return latencies;
}

function summary(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  return { n: sorted.length, p99: Math.round(p99), max: Math.round(sorted.at(-1) ?? 0) };
}

describe('admission control under a storm of cold pulls', () => {
  let storage: string;
  let server: ServeProcess;
  let nix: CountedNix;
  beforeAll(async () => {
    storage = await mkdtemp(join(tmpdir(), 'nixery-admission-'));
    nix = await writeCountedNix(join(storage, 'counted-nix'));
    server = await startServe(['--max-builds', '2', '--build-queue', '10'], {
      PATH: nix.path,
      STORAGE_PATH: storage,
      // The cached image must stay cached for the whole storm (the bundled set is unpinned).
      NIXERY_UNPINNED_TTL: '3600',
      NIXERY_GCROOTS_DIR: join(storage, 'gcroots'),
    });
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await rm(storage, { recursive: true, force: true });
  });

  test('40 distinct cold pulls with --max-builds 2 --build-queue 10', { timeout: 600_000 }, async () => {
    const { url } = server;
    const cached = `${url}/v2/shell/hello/manifests/latest`;
    expect((await fetch(cached, { headers: ACCEPT })).status).toBe(200);
    const head = () => fetch(cached, { method: 'HEAD', headers: ACCEPT });
    const healthz = () => fetch(`${url}/healthz`);

    const idleFor = new Promise((r) => setTimeout(r, 2000));
    const [idleHead, idleHealth] = await Promise.all([
      probeUntil(idleFor, 20, head),
      probeUntil(idleFor, 20, healthz),
    ]);

    const before = await nix.counts();

    // Never shell/hello, which is the cached one.
    const images = smallDemoImages(40);
    expect(new Set(images).size).toBe(40);
    const storm = Promise.all(
      images.map(async (image) => {
        const response = await fetch(`${url}/v2/${image}/manifests/latest`, { headers: ACCEPT });
        return { image, response, body: await response.text() };
      }),
    );
    const [results, stormHead, stormHealth] = await Promise.all([
      storm,
      probeUntil(storm, 20, head),
      probeUntil(storm, 20, healthz),
    ]);
    const after = await nix.counts();
    const maxNix = after.peak;

    const admitted = results.filter((r) => r.response.status === 200);
    const refused = results.filter((r) => r.response.status === 429);
    expect(results.filter((r) => ![200, 429].includes(r.response.status)).map((r) => r.body)).toEqual([]);
    // Two running and ten queued fill the gate at once; the rest are turned away.
    expect(admitted.length).toBeGreaterThanOrEqual(12);
    expect(refused.length).toBeGreaterThan(0);
    for (const { response, body } of refused) {
      expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const error = (JSON.parse(body) as { errors: { code: string; message: string }[] }).errors[0]!;
      expect(error.code).toBe('TOOMANYREQUESTS');
      expect(error.message).toMatch(/too many image builds waiting/);
    }
    // Each admitted build ran Nix (at least its evaluation), never more than two at once.
    expect(after.runs - before.runs).toBeGreaterThanOrEqual(admitted.length);
    expect(maxNix).toBeGreaterThan(0);
    expect(maxNix).toBeLessThanOrEqual(2);

    expect(await metric(url, 'nixery_builds_refused_total', { reason: 'queue-full' })).toBe(refused.length);
    expect(await metric(url, 'nixery_builds_total', { result: 'success' })).toBe(admitted.length + 1);
    expect(await metric(url, 'nixery_builds_running')).toBe(0);
    expect(await metric(url, 'nixery_builds_queued')).toBe(0);

    // Every admitted pull is whole: each blob there, hashing to its digest.
    for (const { image, body } of admitted) {
      const manifest = JSON.parse(body) as { config: { digest: string }; layers: { digest: string }[] };
      for (const blob of [manifest.config, ...manifest.layers]) {
        const got = await fetch(`${url}/v2/${image}/blobs/${blob.digest}`);
        expect(got.status).toBe(200);
        expect(sha256(new Uint8Array(await got.arrayBuffer()))).toBe(blob.digest);
      }
    }

    const figures = {
      idle: { head: summary(idleHead), healthz: summary(idleHealth) },
      storm: { head: summary(stormHead), healthz: summary(stormHealth) },
      admitted: admitted.length,
      refused: refused.length,
      maxNix,
      nixRuns: after.runs - before.runs,
      eventLoopMaxMs: Math.round((await metric(url, 'nixery_event_loop_delay_max_seconds')) * 1000),
    };
    console.log(`storm figures (ms): ${JSON.stringify(figures)}`);
    // Generous bounds, since this 2-core machine runs other work too (load averages of 20-30 were
    // seen, with idle HEADs of up to 470 ms): the p99 within 500 ms, or within 3× the idle p99 of
    // this same run when the machine is that loaded; no answer stalled for seconds (before
    // admission control they took up to 17 s). The figures proper are `pnpm bench`'s (storm.ts).
    for (const kind of ['head', 'healthz'] as const) {
      expect(figures.storm[kind].p99).toBeLessThanOrEqual(Math.max(500, 3 * figures.idle[kind].p99));
      expect(figures.storm[kind].max).toBeLessThanOrEqual(5000);
    }
  });
});

describe('admission: clients leaving the queue', () => {
  let storage: string;
  let server: ServeProcess;
  beforeAll(async () => {
    storage = await mkdtemp(join(tmpdir(), 'nixery-admission-'));
    server = await startServe(['--max-builds', '1', '--build-queue', '1'], {
      STORAGE_PATH: storage,
      NIXERY_GCROOTS_DIR: join(storage, 'gcroots'),
    });
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await rm(storage, { recursive: true, force: true });
  });

  const until = async (what: string, check: () => Promise<boolean>) => {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const pull = (image: string, signal?: AbortSignal) =>
    fetch(`${server.url}/v2/${image}/manifests/latest`, { headers: ACCEPT, ...(signal ? { signal } : {}) });

  test('a queued build keeps its place while any of its clients waits, and frees it when the last one leaves', {
    timeout: 300_000,
  }, async () => {
    const { url } = server;
    // clang's 76 MiB layer keeps the one place busy for seconds.
    const running = pull('clang');
    await until('clang to run', async () => (await metric(url, 'nixery_builds_running')) === 1);

    // Two clients wait for the same image: one place in the queue.
    const leaving = new AbortController();
    const left = pull('shell/gzip', leaving.signal).catch((e: unknown) => e);
    const staying = new AbortController();
    const stayed = pull('shell/gzip', staying.signal).catch((e: unknown) => e);
    await until('shell/gzip to queue', async () => (await metric(url, 'nixery_builds_queued')) === 1);
    leaving.abort();
    expect(await left).toBeInstanceOf(Error);
    // The other client still waits for that build, so the queue is still full.
    await new Promise((r) => setTimeout(r, 300));
    expect(await metric(url, 'nixery_builds_queued')).toBe(1);
    const full = await pull('shell/xz');
    expect(full.status).toBe(429);
    expect(full.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);

    // Once its last client leaves, the build leaves the queue, and the place is free again.
    staying.abort();
    expect(await stayed).toBeInstanceOf(Error);
    await until('the place to free', async () => (await metric(url, 'nixery_builds_queued')) === 0);
    const next = pull('shell/less');
    await until('shell/less to queue', async () => (await metric(url, 'nixery_builds_queued')) === 1);
    // All of it happened while clang's build held the one place.
    expect(await metric(url, 'nixery_builds_total', { result: 'success' })).toBe(0);
    expect((await running).status).toBe(200);
    expect((await next).status).toBe(200);
    expect(await metric(url, 'nixery_builds_refused_total', { reason: 'queue-full' })).toBe(1);
  });
});
