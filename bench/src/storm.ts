// The build-storm benchmark: 40 concurrent pulls of 40 distinct uncached images of the bundled
// demo set against `nixery serve --max-builds 2 --build-queue 10`, while a cached manifest HEAD
// and /healthz are sent one after another. Their p99 and maximum latency during the storm are
// reported beside the same requests on the idle server, measured in the same run.
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { smallDemoImages } from '@nixery/nix-expressions';
// The e2e tests' log of the Nix runs a server starts (as the bench already shares the storage
// tests' support).
import { writeCountedNix } from '../../e2e/test/support/counted-nix.js';
import { DOCKER_MANIFEST, RegistryProcess } from './registry-process.js';
import { type Figure, withTarget } from './results.js';
import { round } from './stats.js';

export interface StormResult {
  images: number;
  admitted: number;
  refused: number;
  maxNixProcesses: number;
  idle: { head: Latencies; healthz: Latencies };
  storm: { head: Latencies; healthz: Latencies };
  eventLoopMaxMs: number;
  stormMs: number;
}

interface Latencies {
  n: number;
  p99Ms: number;
  maxMs: number;
}

export async function runStorm(options: {
  smoke: boolean;
  log: (line: string) => void;
}): Promise<{ result: StormResult; figures: Figure[] }> {
  const { log } = options;
  const storage = await mkdtemp(join(tmpdir(), 'nixery-bench-storm-'));
  const count = options.smoke ? 8 : 40;
  const [maxBuilds, queue] = options.smoke ? [1, 2] : [2, 10];
  // Nix's programs behind wrappers that log every run, so the most running at once is exact.
  const nix = await writeCountedNix(join(storage, 'counted-nix'));
  // The bundled demo set (the embedded default); the cached image stays cached for the run.
  const server = await RegistryProcess.start({
    storagePath: storage,
    env: {
      PATH: nix.path,
      NIXERY_MAX_BUILDS: String(maxBuilds),
      NIXERY_BUILD_QUEUE: String(queue),
      NIXERY_GCROOTS_DIR: join(storage, 'gcroots'),
    },
  });
  try {
    const cached = `${server.url}/v2/shell/hello/manifests/latest`;
    await fetch(cached, { headers: { accept: DOCKER_MANIFEST } }).then((r) => r.arrayBuffer());
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const head = () => timed(agent, cached, 'HEAD');
    const healthz = () => timed(agent, `${server.url}/healthz`, 'GET');

    log(`storm: idle figures (${options.smoke ? 1 : 5} s)`);
    const idleFor = sleep(options.smoke ? 1000 : 5000);
    const [idleHead, idleHealth] = await Promise.all([probe(idleFor, head), probe(idleFor, healthz)]);

    log(`storm: ${count} distinct cold pulls, --max-builds ${maxBuilds} --build-queue ${queue}`);
    const started = performance.now();
    const storm = Promise.all(
      smallDemoImages(count).map(async (image) => {
        const response = await fetch(`${server.url}/v2/${image}/manifests/latest`, {
          headers: { accept: DOCKER_MANIFEST },
        });
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const [statuses, stormHead, stormHealth] = await Promise.all([
      storm,
      probe(storm, head),
      probe(storm, healthz),
    ]);
    const stormMs = performance.now() - started;
    const maxNix = (await nix.counts()).peak;
    agent.destroy();
    const other = statuses.filter((s) => s !== 200 && s !== 429);
    if (other.length > 0) throw new Error(`storm: unexpected statuses ${other.join(', ')}`);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const loopMax = /^nixery_event_loop_delay_max_seconds (\S+)$/m.exec(metrics);

    const result: StormResult = {
      images: count,
      admitted: statuses.filter((s) => s === 200).length,
      refused: statuses.filter((s) => s === 429).length,
      maxNixProcesses: maxNix,
      idle: { head: summary(idleHead), healthz: summary(idleHealth) },
      storm: { head: summary(stormHead), healthz: summary(stormHealth) },
      eventLoopMaxMs: loopMax ? round(Number(loopMax[1]) * 1000) : Number.NaN,
      stormMs: Math.round(stormMs),
    };
    log(`  ${JSON.stringify(result)}`);
    return { result, figures: stormFigures(result, maxBuilds, queue) };
  } finally {
    await server.stop();
    await rm(storage, { recursive: true, force: true });
  }
}

function stormFigures(result: StormResult, maxBuilds: number, queue: number): Figure[] {
  const section = `build storm (${result.images} cold pulls, --max-builds ${maxBuilds} --build-queue ${queue})`;
  const figures: Figure[] = [];
  for (const [kind, label] of [
    ['head', 'cached manifest HEAD'],
    ['healthz', '/healthz'],
  ] as const) {
    for (const [stat, key] of [
      ['p99', 'p99Ms'],
      ['max', 'maxMs'],
    ] as const) {
      const value = result.storm[kind][key];
      const idle = result.idle[kind][key];
      const figure: Figure = {
        section,
        name: `${label}, ${stat} during the storm`,
        value,
        unit: 'ms',
        baseline: { name: `${stat} on the idle server`, value: idle },
        ratio: idle > 0 ? round(value / idle) : Number.NaN,
      };
      // The targets: 50 ms at the 99th percentile, 500 ms at most.
      figures.push(withTarget(figure, stat === 'p99' ? '≤ 50' : '≤ 500', 'value'));
    }
  }
  figures.push(
    withTarget(
      {
        section,
        name: 'most Nix processes at once (every run logged by wrappers)',
        value: result.maxNixProcesses,
        unit: '',
      },
      `≤ ${maxBuilds}`,
      'value',
    ),
    { section, name: 'pulls admitted (200)', value: result.admitted, unit: '' },
    { section, name: 'pulls refused (429 with Retry-After)', value: result.refused, unit: '' },
    {
      section,
      name: 'longest event-loop delay of the server (monitorEventLoopDelay)',
      value: result.eventLoopMaxMs,
      unit: 'ms',
    },
    { section, name: 'storm, first request to last answer', value: result.stormMs, unit: 'ms' },
  );
  return figures;
}

/** One request over the kept-alive agent: its latency in ms (the response read to its end). */
function timed(agent: Agent, url: string, method: 'GET' | 'HEAD'): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(url, { method, agent, headers: { accept: DOCKER_MANIFEST } }, (res) => {
      res.resume();
      res.once('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${method} ${url}: HTTP ${res.statusCode}`));
        else resolve(performance.now() - started);
      });
    });
    req.once('error', reject);
    req.end();
  });
}

/** Sends `once` one after another, 20 ms apart, until `stop` settles. */
async function probe(stop: Promise<unknown>, once: () => Promise<number>): Promise<number[]> {
  const latencies: number[] = [];
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  while (!done) {
    latencies.push(await once());
    await sleep(20);
  }
  return latencies;
}

function summary(latencies: number[]): Latencies {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  return { n: sorted.length, p99Ms: round(p99), maxMs: round(sorted.at(-1) ?? 0) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
